// spec.include's tree composition (Flux's CopyToPath): mounts, path clamping, conflicts, and an
// archive of the result that matches an archive of the same files copied on disk.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { archiveTree } from '../../src/source/archive.js';
import { IncludeError, includedTree, includeTarget } from '../../src/source/include.js';
import { includesChanged } from '../../src/source/reconciler.js';
import { DirectoryTree } from '../../src/source/tree.js';
import { tempDir } from '../helpers/gitserver.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const d = tempDir('mooring-inc-');
  dirs.push(d);
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(d, p)), { recursive: true });
    writeFileSync(join(d, p), c);
  }
  return d;
}

describe('spec.include tree', () => {
  it('clamps toPath inside the root like securejoin', () => {
    assert.equal(includeTarget('../../x/y/'), 'x/y');
    assert.equal(includeTarget('./a/../b'), 'b');
    assert.equal(includeTarget('..'), '');
  });

  it('mounts fromPath (a directory or a file) at toPath and archives like the copied files', async () => {
    const base = tree({ 'app.yaml': 'app\n', 'vendor/keep.txt': 'k\n' });
    const lib = tree({ 'shared/x.yaml': 'x\n', 'shared/deep/y.yaml': 'y\n', 'other/z.yaml': 'z\n' });
    const t = await includedTree(new DirectoryTree(base), [
      { name: 'lib', fromPath: 'shared', toPath: 'vendor/lib', unpacked: lib },
      { name: 'lib', fromPath: 'other/z.yaml', toPath: 'z.yaml', unpacked: lib },
    ]);
    assert.deepEqual(
      (await t.entries()).map((e) => e.path),
      [
        'app.yaml',
        'vendor',
        'vendor/keep.txt',
        'vendor/lib',
        'vendor/lib/deep',
        'vendor/lib/deep/y.yaml',
        'vendor/lib/x.yaml',
        'z.yaml',
      ],
    );
    const copied = tree({
      'app.yaml': 'app\n',
      'vendor/keep.txt': 'k\n',
      'vendor/lib/x.yaml': 'x\n',
      'vendor/lib/deep/y.yaml': 'y\n',
      'z.yaml': 'z\n',
    });
    const out = tempDir('mooring-inc-out-');
    dirs.push(out);
    const a = await archiveTree(t, join(out, 'a.tar.gz'));
    const b = await archiveTree(new DirectoryTree(copied), join(out, 'b.tar.gz'));
    assert.equal(a.digest, b.digest);
  });

  it('fails like a rename onto something that exists, and on a missing fromPath', async () => {
    const base = tree({ 'app.yaml': 'app\n', 'dir/f': 'f\n' });
    const lib = tree({ 'x.yaml': 'x\n' });
    const inc = (fromPath: string, toPath: string) =>
      includedTree(new DirectoryTree(base), [{ name: 'lib', fromPath, toPath, unpacked: lib }]);
    const copyFailure = (re: RegExp) => (e: unknown) =>
      e instanceof IncludeError && e.reason === 'CopyFailure' && re.test(e.message);
    await assert.rejects(inc('', 'dir'), copyFailure(/'dir' already exists/));
    await assert.rejects(inc('', 'app.yaml/sub'), copyFailure(/'app\.yaml' is a file/));
    await assert.rejects(inc('nope', 'x'), copyFailure(/'nope' does not exist/));
    await assert.rejects(inc('', '..'), copyFailure(/root of the artifact/));
  });

  it('includedArtifacts differ when a revision or digest changes', () => {
    const a = { revision: 'main@sha1:1', digest: 'sha256:a', path: 'p', url: 'u', lastUpdateTime: 't' };
    assert.equal(includesChanged([a], [{ ...a }]), false);
    assert.equal(includesChanged([a], [{ ...a, digest: 'sha256:b' }]), true);
    assert.equal(includesChanged([a], [{ ...a, revision: 'main@sha1:2' }]), true);
    assert.equal(includesChanged([], [a]), true);
  });
});
