// Build inputs: what a build read in one artifact tree is replayed against the next revision's
// tree; only when every read answers the same may the build be skipped.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { buildManifests } from '../../src/kustomization/build.js';
import { type BuildReads, RecordingFileSystem, sameReads } from '../../src/kustomization/buildinputs.js';

const scratch = mkdtempSync(join(tmpdir(), 'mooring-buildinputs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

function tree(files: Record<string, string>): string {
  const root = join(scratch, `t${n++}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

function record(root: string, path: string): BuildReads {
  let recorder: RecordingFileSystem | undefined;
  const ks = { metadata: { name: 'app', namespace: 'default' }, spec: { path } } as unknown as Kustomization;
  buildManifests({
    root,
    ks,
    wrapFs: (fs) => {
      recorder = new RecordingFileSystem(fs, fs.root);
      return recorder;
    },
  });
  return recorder!.reads;
}

const cm = (name: string, v: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;

test('a plain directory: the same files elsewhere (another revision) replay the same; any change to what was read does not', () => {
  const a = tree({ 'apps/a/cm.yaml': cm('a', '1'), 'apps/b/cm.yaml': cm('b', '1') });
  const reads = record(a, './apps/a');
  assert.ok(reads.size > 0);

  const copy = join(scratch, 'copy');
  cpSync(a, copy, { recursive: true });
  writeFileSync(join(copy, 'apps/b/cm.yaml'), cm('b', '2')); // another app changed
  assert.equal(sameReads(reads, copy), true, 'files this build did not read do not matter');

  writeFileSync(join(copy, 'apps/a/cm.yaml'), cm('a', '2'));
  assert.equal(sameReads(reads, copy), false, 'a changed file');

  const added = tree({ 'apps/a/cm.yaml': cm('a', '1'), 'apps/a/new.yaml': cm('n', '1') });
  assert.equal(sameReads(reads, added), false, 'a new file in a listed directory');
  assert.equal(sameReads(reads, tree({ 'apps/b/cm.yaml': cm('b', '1') })), false, 'the path is gone');
});

test('an overlay: a change in its base (outside spec.path) is a change', () => {
  const files = {
    'base/kustomization.yaml': 'resources:\n  - cm.yaml\n',
    'base/cm.yaml': cm('x', '1'),
    'overlay/kustomization.yaml': 'resources:\n  - ../base\nnamePrefix: p-\n',
  };
  const reads = record(tree(files), './overlay');
  assert.equal(sameReads(reads, tree(files)), true);
  assert.equal(sameReads(reads, tree({ ...files, 'base/cm.yaml': cm('x', '2') })), false);
  assert.equal(
    sameReads(
      reads,
      tree({ ...files, 'overlay/kustomization.yaml': 'resources:\n  - ../base\nnamePrefix: q-\n' }),
    ),
    false,
  );
});
