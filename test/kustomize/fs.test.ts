import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildDirectory } from '../../src/kustomize/build.js';
import { RootedFileSystem } from '../../src/kustomize/fs.js';

const dir = mkdtempSync(join(tmpdir(), 'kz-fs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the rooted file system', () => {
  mkdirSync(join(dir, 'root/app'), { recursive: true });
  writeFileSync(join(dir, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n');
  symlinkSync(join(dir, 'secret.yaml'), join(dir, 'root/app/link.yaml'));

  it('refuses a path outside the root', () => {
    const fs = new RootedFileSystem(join(dir, 'root'));
    assert.throws(() => fs.readFile(join(dir, 'secret.yaml')), /outside the root/);
  });

  it('refuses a symlink that leads outside the root', () => {
    const fs = new RootedFileSystem(join(dir, 'root'));
    assert.throws(() => fs.readFile(join(fs.root, 'app/link.yaml')), /outside the root/);
  });

  it('fails the build instead of reading through the symlink', () => {
    writeFileSync(join(dir, 'root/app/kustomization.yaml'), 'resources:\n- link.yaml\n');
    assert.throws(() => buildDirectory(join(dir, 'root/app'), join(dir, 'root')), /outside the root/);
  });

  it('refuses files larger than the limit', () => {
    writeFileSync(join(dir, 'root/big.yaml'), 'x'.repeat(100));
    const fs = new RootedFileSystem(join(dir, 'root'), 10);
    assert.throws(() => fs.readFile(join(fs.root, 'big.yaml')), /larger than the limit/);
  });
});
