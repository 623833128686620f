import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatedKustomization } from '../../src/kustomization/buildkustomization.js';
import { build } from '../../src/kustomize/build.js';
import { MemoryFileSystem } from '../../src/kustomize/fs.js';
import { buildTree, buildYaml } from './helpers.js';

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('build', () => {
  it('orders output the way kustomize does: namespaces first, then by kind order', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': 'resources:\n- all.yaml\n',
      '/app/all.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\n${cm('b')}---\n${cm('a')}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n`,
    });
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${(o.metadata as { name: string }).name}`),
      ['Namespace/ns', 'ConfigMap/a', 'ConfigMap/b', 'Deployment/d'],
    );
  });

  it('keeps input order with sortOptions fifo', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': 'sortOptions:\n  order: fifo\nresources:\n- all.yaml\n',
      '/app/all.yaml': `${cm('b')}---\n${cm('a')}`,
    });
    assert.deepEqual(
      objs.map((o) => (o.metadata as { name: string }).name),
      ['b', 'a'],
    );
  });

  it('builds bases and expands List kinds', () => {
    const objs = buildTree({
      '/base/kustomization.yaml': 'resources:\n- list.yaml\n',
      '/base/list.yaml': `apiVersion: v1\nkind: List\nitems:\n- ${cm('x').replaceAll('\n', '\n  ').trim()}\n`,
      '/app/kustomization.yaml': 'resources:\n- ../base\n',
    });
    assert.equal(objs.length, 1);
  });

  it('refuses a resource id added twice', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'resources:\n- a.yaml\n- b.yaml\n',
          '/app/a.yaml': cm('x'),
          '/app/b.yaml': cm('x'),
        }),
      /already registered id/,
    );
  });

  it('refuses remote resources with a clear error', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'resources:\n- https://github.com/org/repo//deploy?ref=v1\n',
        }),
      /remote resource .* not supported/,
    );
  });

  it('refuses files outside the kustomization directory', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'resources:\n- ../other/cm.yaml\n',
          '/other/cm.yaml': cm('x'),
        }),
      /security; file/,
    );
  });

  it('names the file and the problem for unknown fields', () => {
    assert.throws(
      () => buildTree({ '/app/kustomization.yaml': 'resourcez:\n- a.yaml\n' }),
      /\/app\/kustomization.yaml: unknown field "resourcez"/,
    );
  });

  it('needs a kustomization file unless asked to generate one like Flux', () => {
    const files = {
      '/app/cm.yaml': cm('x'),
      '/app/sub/kustomization.yaml': 'resources:\n- cm.yaml\n',
      '/app/sub/cm.yaml': cm('y'),
    };
    assert.throws(() => buildTree(files), /unable to find one of 'kustomization.yaml'/);
    const objs = build(new MemoryFileSystem(files), '/app', {
      missingKustomization: generatedKustomization,
    });
    assert.deepEqual(objs.map((r) => r.name).sort(), ['x', 'y']);
  });

  it('enforces the resource count limit', () => {
    const fs = new MemoryFileSystem({
      '/app/kustomization.yaml': 'resources:\n- a.yaml\n',
      '/app/a.yaml': `${cm('a')}---\n${cm('b')}`,
    });
    assert.throws(() => build(fs, '/app', { maxResources: 1 }), /more than 1 resources/);
  });

  it('prints documents separated by ---', () => {
    const out = buildYaml({
      '/app/kustomization.yaml': 'resources:\n- a.yaml\n',
      '/app/a.yaml': `${cm('a')}---\n${cm('b')}`,
    });
    assert.equal(
      out,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
    );
  });

  it('drops objects marked as local configuration', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': 'resources:\n- a.yaml\n',
      '/app/a.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    config.kubernetes.io/local-config: "true"\n',
    });
    assert.equal(objs.length, 0);
  });

  it('refuses Helm charts instead of ignoring them, as kustomize does without --enable-helm', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml':
            'helmCharts:\n- name: podinfo\n  repo: https://example.com/charts\n  version: 6.0.0\n',
        }),
      /helmCharts: chart "podinfo" is not supported: builds do not run Helm/,
    );
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'generators:\n- g.yaml\n',
          '/app/g.yaml':
            'apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: x\nname: podinfo\n',
        }),
      /HelmChartInflationGenerator is not supported/,
    );
  });

  it('refuses validators (plugins) instead of skipping them', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'resources:\n- a.yaml\nvalidators:\n- v.yaml\n',
          '/app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
          '/app/v.yaml': 'apiVersion: example.com/v1\nkind: Check\nmetadata:\n  name: v\n',
        }),
      /validators: "v.yaml" is not supported: validator plugins cannot run/,
    );
  });
});
