import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { buildManifestsDecrypting, DecryptionError } from '../../src/kustomization/decrypt.js';
import { fixtureKeys, fixtureTree } from '../sops/fixtures.js';

const ks = (p = './'): Kustomization =>
  ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'k', namespace: 'ns' },
    spec: { path: p, interval: '1m', prune: true, sourceRef: { kind: 'GitRepository', name: 'g' } },
  }) as Kustomization;

const value = (objs: Manifest[], kind: string, name: string, key: string): string => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name) as
    | Record<string, Record<string, string>>
    | undefined;
  assert.ok(o, `${kind}/${name} built`);
  const s = o.stringData?.[key];
  if (s !== undefined) return s;
  const d = o.data?.[key];
  assert.ok(d !== undefined, `${kind}/${name} has ${key}`);
  return kind === 'Secret' ? Buffer.from(d, 'base64').toString('utf8') : d;
};

test('the fixtures build with every value decrypted: resources, env files, files, patches, components, Secret data documents', async () => {
  const dir = fixtureTree();
  try {
    const objs = await buildManifestsDecrypting(
      { root: dir, ks: ks() },
      await fixtureKeys('age.txt', 'age-pq.txt', 'pgp.asc'),
    );
    assert.equal(value(objs, 'Secret', 'sops-algo-age', 'key'), 'value');
    assert.equal(value(objs, 'Secret', 'sops-algo-age-pq', 'key'), 'value');
    assert.equal(value(objs, 'Secret', 'sops-algo-pgp', 'key'), 'value');
    assert.equal(value(objs, 'Secret', 'sops-envs-secret', 'key'), 'value');
    assert.equal(value(objs, 'ConfigMap', 'sops-envs-configmap', 'key'), 'value');
    assert.equal(value(objs, 'Secret', 'sops-files-secret', 'key'), 'value');
    assert.equal(value(objs, 'ConfigMap', 'sops-files-configmap', 'key'), 'value');
    assert.equal(value(objs, 'Secret', 'sops-patches-secret', 'key'), 'merge1');
    assert.equal(value(objs, 'Secret', 'sops-patches-secret', 'merge2'), 'merge2');
    assert.equal(value(objs, 'Secret', 'sops-inside-secret', 'key'), 'value');
    assert.equal(value(objs, 'Secret', 'sops-remote-secret', 'key'), 'value');
    assert.equal(value(objs, 'Secret', 'sops-component', 'key'), 'value');
    const all = JSON.stringify(objs);
    assert.doesNotMatch(all, /ENC\[|"sops"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generated Secret names hash the plain content, as Flux (decrypted before the generator reads it)', async () => {
  const dir = fixtureTree();
  try {
    writeFileSync(
      path.join(dir, 'envs/kustomization.yaml'),
      'secretGenerator:\n- name: s\n  envs:\n  - env.env\n',
    );
    writeFileSync(path.join(dir, 'envs/plain.env'), 'key=value\n');
    const enc = await buildManifestsDecrypting({ root: dir, ks: ks('./envs') }, await fixtureKeys('age.txt'));
    writeFileSync(
      path.join(dir, 'envs/kustomization.yaml'),
      'secretGenerator:\n- name: s\n  envs:\n  - plain.env\n',
    );
    const plain = await buildManifestsDecrypting({ root: dir, ks: ks('./envs') }, undefined);
    assert.equal(enc[0]!.metadata.name, plain[0]!.metadata.name);
    assert.match(plain[0]!.metadata.name, /^s-[a-z0-9]{10}$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('encrypted inputs without decryption configured fail the build naming the file', async () => {
  const dir = fixtureTree();
  try {
    await assert.rejects(
      buildManifestsDecrypting({ root: dir, ks: ks('./algorithms') }, undefined),
      (e: Error) =>
        e instanceof DecryptionError &&
        /^algorithms\/age\.yaml is SOPS encrypted, configuring decryption/.test(e.message),
    );
    await assert.rejects(
      buildManifestsDecrypting({ root: dir, ks: ks('./envs') }, undefined),
      (e: Error) => e instanceof DecryptionError && /envs\/env\.env is SOPS encrypted/.test(e.message),
    );
    await assert.rejects(
      buildManifestsDecrypting({ root: dir, ks: ks('./inside') }, undefined),
      (e: Error) =>
        e instanceof DecryptionError && /Secret\/inside-secret data 'key' is SOPS encrypted/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong key or a tampered file fails the build with the file and the reason, no value', async () => {
  const dir = fixtureTree();
  try {
    await assert.rejects(
      buildManifestsDecrypting({ root: dir, ks: ks('./patches') }, await fixtureKeys('age-global.txt')),
      (e: Error) =>
        e instanceof DecryptionError &&
        !e.stalled &&
        /patches\/merge1\.yaml: cannot get the SOPS data key/.test(e.message),
    );
    const f = path.join(dir, 'patches/merge2.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('name: secret', 'name: secreT'));
    await assert.rejects(
      buildManifestsDecrypting({ root: dir, ks: ks('./patches') }, await fixtureKeys('age.txt')),
      (e: Error) =>
        e instanceof DecryptionError &&
        /patches\/merge2\.yaml: MAC mismatch/.test(e.message) &&
        !/merge2\b(?!\.yaml)/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
