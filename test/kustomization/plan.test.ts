// The reconciler's short cut: when a pass may reuse the last full apply, and when a new revision
// needs no build (same reads, same variables) or no apply (the build came out the same).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { ChangeSet } from '../../src/apply/changeset.js';
import { type BuiltManifests, buildManifests, manifestsDigest } from '../../src/kustomization/build.js';
import { RecordingFileSystem } from '../../src/kustomization/buildinputs.js';
import type { LastApply } from '../../src/kustomization/memo.js';
import {
  planBuild,
  shortCutBase,
  touchedKeys,
  unchangedOutcome,
  varsDigestOf,
} from '../../src/kustomization/plan.js';

const scratch = mkdtempSync(join(tmpdir(), 'mooring-plan-'));
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

const cm = (name: string, v: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;

const MINUTE = 60_000;
const NOW = Date.parse('2026-01-01T00:00:00Z');

function ks(edit: (k: Kustomization) => void = () => undefined): Kustomization {
  const k = {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'app', namespace: 'default', generation: 2 },
    spec: { interval: '10m', prune: true, path: './app', sourceRef: { kind: 'GitRepository', name: 'repo' } },
    status: {
      observedGeneration: 2,
      lastAppliedRevision: 'main@sha1:aaa',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ReconciliationSucceeded',
          message: 'Applied revision: main@sha1:aaa',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  } as unknown as Kustomization;
  edit(k);
  return k;
}

/** A real build of ./app in `root`, counting calls. */
function builder(root: string, vars?: Record<string, string>) {
  const counter = { calls: 0 };
  const build = async (): Promise<BuiltManifests> => {
    counter.calls++;
    let recorder: RecordingFileSystem | undefined;
    const manifests = buildManifests({
      root,
      ks: ks(),
      ...(vars ? { vars } : {}),
      wrapFs: (fs) => {
        recorder = new RecordingFileSystem(fs, fs.root);
        return recorder;
      },
    });
    assert.ok(recorder);
    return { manifests, reads: recorder.reads, digest: manifestsDigest(manifests) };
  };
  return { build, counter };
}

async function lastApplyOf(root: string, at = NOW - MINUTE): Promise<LastApply> {
  const built = await builder(root).build();
  const changeSet = new ChangeSet();
  for (const m of built.manifests)
    changeSet.add(
      { group: '', version: 'v1', kind: m.kind, name: m.metadata.name, namespace: 'default' },
      'created',
    );
  return { digest: built.digest, changeSet, at, reads: built.reads, varsDigest: varsDigestOf(undefined) };
}

const REVISION = 'main@sha1:bbb';

test('the short cut base: a new revision, within the interval, nothing else asked for, Ready', async () => {
  const last = await lastApplyOf(tree({ 'app/cm.yaml': cm('a', '1') }));
  assert.equal(shortCutBase(ks(), last, REVISION, NOW), last);

  const refused: Array<[string, Kustomization, LastApply | undefined, string]> = [
    ['nothing remembered (first pass, or after a restart)', ks(), undefined, REVISION],
    ['the same revision: the interval pass is the drift check', ks(), last, 'main@sha1:aaa'],
    ['never applied', ks((k) => (k.status = {})), last, REVISION],
    ['a new generation', ks((k) => (k.metadata.generation = 3)), last, REVISION],
    [
      'a sync request not yet handled',
      ks((k) => (k.metadata.annotations = { 'reconcile.fluxcd.io/requestedAt': 'now' })),
      last,
      REVISION,
    ],
    ['spec.wait', ks((k) => (k.spec.wait = true)), last, REVISION],
    [
      'spec.healthChecks',
      ks((k) => (k.spec.healthChecks = [{ kind: 'Deployment', name: 'web' }])),
      last,
      REVISION,
    ],
    [
      'not Ready',
      ks((k) => {
        const ready = k.status?.conditions?.[0];
        if (ready) ready.status = 'False';
      }),
      last,
      REVISION,
    ],
  ];
  for (const [why, k, memo, revision] of refused) {
    assert.equal(shortCutBase(k, memo, revision, NOW), undefined, why);
  }
  assert.equal(
    shortCutBase(ks(), { ...last, at: NOW - 10 * MINUTE }, REVISION, NOW),
    undefined,
    'the last apply is an interval old: time for a full pass',
  );
  const handled = ks((k) => {
    k.metadata.annotations = { 'reconcile.fluxcd.io/requestedAt': 'then' };
    if (k.status) k.status.lastHandledReconcileAt = 'then';
  });
  assert.equal(shortCutBase(handled, last, REVISION, NOW), last, 'a sync request already handled');
});

test('same reads and variables: unchanged without building', async () => {
  const root = tree({ 'app/cm.yaml': cm('a', '1'), 'other/cm.yaml': cm('o', '1') });
  const last = await lastApplyOf(root);
  const next = tree({ 'app/cm.yaml': cm('a', '1'), 'other/cm.yaml': cm('o', '2') });
  const { build, counter } = builder(next);
  const plan = await planBuild(last, next, varsDigestOf(undefined), build);
  assert.equal(plan.kind, 'unchanged');
  assert.equal(plan.kind === 'unchanged' && plan.rebuilt, false);
  assert.equal(counter.calls, 0, 'no build');
});

test('a read answers differently: built, and applied when the manifests differ', async () => {
  const last = await lastApplyOf(tree({ 'app/cm.yaml': cm('a', '1') }));
  const next = tree({ 'app/cm.yaml': cm('a', '2') });
  const { build, counter } = builder(next);
  const plan = await planBuild(last, next, varsDigestOf(undefined), build);
  assert.equal(counter.calls, 1);
  assert.equal(plan.kind, 'built');
  assert.notEqual(plan.kind === 'built' && plan.digest, last.digest);
  assert.equal(plan.kind === 'built' && plan.manifests[0]?.metadata.name, 'a');
});

test('inputs differ but the build comes out the same: unchanged, rebuilt', async () => {
  const last = await lastApplyOf(tree({ 'app/cm.yaml': cm('a', '1') }));
  // Same object, written differently: another read answer, the same manifest.
  const next = tree({ 'app/cm.yaml': `# a comment\n${cm('a', '1')}` });
  const { build, counter } = builder(next);
  const plan = await planBuild(last, next, varsDigestOf(undefined), build);
  assert.equal(counter.calls, 1);
  assert.deepEqual(plan.kind === 'unchanged' && [plan.rebuilt, plan.last], [true, last]);
});

test('other substitution variables: built even when every file reads the same', async () => {
  const root = tree({ 'app/cm.yaml': cm('a', '1') });
  const last = await lastApplyOf(root);
  const { build, counter } = builder(root);
  const plan = await planBuild(last, root, varsDigestOf({ color: 'blue' }), build);
  assert.equal(counter.calls, 1);
  assert.equal(plan.kind, 'unchanged', 'the variables are not used by these manifests');
  assert.notEqual(varsDigestOf({ color: 'blue' }), varsDigestOf({ color: 'red' }));
  assert.notEqual(varsDigestOf({}), varsDigestOf(undefined));
});

test('no last apply: built', async () => {
  const root = tree({ 'app/cm.yaml': cm('a', '1') });
  const { build, counter } = builder(root);
  const plan = await planBuild(undefined, root, varsDigestOf(undefined), build);
  assert.equal(counter.calls, 1);
  assert.equal(plan.kind, 'built');
  assert.equal(plan.kind === 'built' && plan.varsDigest, varsDigestOf(undefined));
});

test('a pass that applies nothing reports the last apply as unchanged, skipped objects still skipped', () => {
  const ref = (name: string) => ({ group: '', version: 'v1', kind: 'ConfigMap', name, namespace: 'default' });
  const changeSet = new ChangeSet();
  changeSet.add(ref('created'), 'created');
  changeSet.add(ref('configured'), 'configured');
  changeSet.add(ref('skipped'), 'skipped', 'ssa: ignore');
  changeSet.add(ref('deleted'), 'deleted');
  const outcome = unchangedOutcome(REVISION, {
    digest: 'sha256:d',
    changeSet,
    at: NOW,
    reads: new Map(),
    varsDigest: varsDigestOf(undefined),
  });
  assert.equal(outcome.changed, false);
  assert.equal(outcome.revision, REVISION);
  assert.equal(outcome.digest, 'sha256:d');
  assert.deepEqual(outcome.changeSet.toMap(), {
    'ConfigMap/default/created': 'unchanged',
    'ConfigMap/default/configured': 'unchanged',
    'ConfigMap/default/skipped': 'skipped',
  });
  assert.equal(outcome.changeSet.find('ConfigMap/default/skipped')?.note, 'ssa: ignore');
  assert.equal(outcome.inventory.length, 3);
});

test('touched keys: only those whose last apply read something the new tree answers differently', async () => {
  const lastApplies = new Map<string, LastApply>([
    ['ns/old-content', await lastApplyOf(tree({ 'app/cm.yaml': cm('a', '1') }))],
    ['ns/same-content', await lastApplyOf(tree({ 'app/cm.yaml': cm('a', '2') }))],
  ]);
  const lookup = (k: string) => lastApplies.get(k);
  const next = tree({ 'app/cm.yaml': cm('a', '2'), 'elsewhere/cm.yaml': cm('b', '1') });
  const keys = [
    'ns/old-content',
    'ns/same-content',
    'ns/never-applied',
    ...Array(200).fill('ns/same-content'),
  ];
  // A key never applied is not known to be touched.
  assert.deepEqual(await touchedKeys(keys, lookup, next), ['ns/old-content']);
  // A new file in a directory the build listed is a change.
  const added = tree({ 'app/cm.yaml': cm('a', '2'), 'app/more.yaml': cm('b', '1') });
  assert.deepEqual(await touchedKeys(['ns/same-content'], lookup, added), ['ns/same-content']);
});
