// spec.ignoreMissingComponents and spec.buildMetadata merged into the kustomization file as Flux's
// generator does; the engine then builds from it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { OverlayFileSystem } from '../../src/kustomization/overlayfs.js';
import { overriddenKustomization } from '../../src/kustomization/overrides.js';
import { build, toObjects } from '../../src/kustomize/build.js';
import { MemoryFileSystem } from '../../src/kustomize/fs.js';

const files = {
  '/app/kustomization.yaml': 'resources: [cm.yaml]\ncomponents: [../comp]\n',
  '/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "1"\n',
  '/comp/kustomization.yaml':
    'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  comp: "yes"\n',
};

test('ignoreMissingComponents drops component paths not in the source; without it the build fails', () => {
  const fs = new MemoryFileSystem(files);
  const spec = { components: ['../missing'] };
  const strict = overriddenKustomization(fs, '/app', spec)!;
  assert.throws(() => build(new OverlayFileSystem(fs, strict), '/app', {}), /missing/);

  const lenient = overriddenKustomization(fs, '/app', { ...spec, ignoreMissingComponents: true })!;
  const k = parse(lenient.get('/app/kustomization.yaml')!) as { components: string[] };
  assert.deepEqual(k.components, ['../comp']);
  const [cm] = toObjects(build(new OverlayFileSystem(fs, lenient), '/app', {}));
  assert.equal((cm!.metadata as { labels?: Record<string, string> }).labels?.comp, 'yes');
});

test('buildMetadata adds originAnnotations to every object', () => {
  const fs = new MemoryFileSystem(files);
  const o = overriddenKustomization(fs, '/app', { buildMetadata: ['originAnnotations'] })!;
  const [cm] = toObjects(build(new OverlayFileSystem(fs, o), '/app', {}));
  const annotations = (cm!.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  assert.match(annotations['config.kubernetes.io/origin'] ?? '', /path: cm.yaml/);
});
