// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Build errors name objects, never their bodies or a substituted value.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { BuildError, buildManifests } from '../../src/kustomization/build.js';

const root = mkdtempSync(join(tmpdir(), 'mooring-build-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'app'));
writeFileSync(
  join(root, 'app/secret.yaml'),
  'apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${NAME}\nstringData:\n  password: ${PASSWORD}\n',
);
const ks = {
  metadata: { name: 'app', namespace: 'default' },
  spec: { path: './app', postBuild: { substituteFrom: [{ kind: 'Secret', name: 'vars' }] } },
} as unknown as Kustomization;

test('a name that substitution made a number: the error names the object and the field, not the body', () => {
  const vars = { NAME: '73910457281936', PASSWORD: 'hunter2-5f1e9c4d' };
  assert.throws(
    () => buildManifests({ root, ks, vars }),
    (err: unknown) => {
      assert.ok(err instanceof BuildError);
      assert.equal(err.reason, 'BuildFailed');
      assert.equal(
        err.message,
        'object 1 of 1 after post-build substitution (Secret/<a number>) is not a Kubernetes object: metadata.name is a number',
      );
      return true;
    },
  );
});

test('every substituted value is redacted from a build error', () => {
  const vars = { NAME: 'ok', PASSWORD: '*hunter2-5f1e9c4d' };
  assert.throws(
    () => buildManifests({ root, ks, vars }),
    (err: unknown) => {
      assert.ok(err instanceof BuildError);
      assert.equal(
        err.message,
        'post-build substitutions failed: Secret/${NAME}: the substituted YAML is invalid: an alias (*) names no anchor at line 6, column 13, in the value of ${PASSWORD}',
      );
      assert.ok(!err.message.includes('hunter2'), err.message);
      return true;
    },
  );
});
