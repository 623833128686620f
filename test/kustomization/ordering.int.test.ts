// The order a new source revision is worked through: when thousands of Kustomizations share a
// source and a commit changes a few, those few go first. One worker, so the order the passes
// finish in is the order they were taken in; debug logs, where the triage is reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configMapYaml, kustomizationEnv } from './harness.js';

const env = await kustomizationEnv({
  prefix: 'ks-order',
  controllerArgs: ['--concurrent', '1', '--log-level', 'debug'],
});

test('a commit that changes one of many Kustomizations sharing a source reaches it before the untouched ones', async () => {
  const count = 12;
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`apps/a${i}/cm.yaml`] = configMapYaml(`many-${i}`, { version: '1' });
  const src = await env.source('many', files);
  // Created in order, so the last one is also the last a first-in-first-out queue would take.
  for (let i = 0; i < count; i++) {
    await env.applyKustomization(`many-${i}`, {
      sourceRef: { kind: 'GitRepository', name: 'many' },
      path: `./apps/a${i}`,
      targetNamespace: env.ns,
    });
  }
  for (let i = 0; i < count; i++) await env.waitApplied(`many-${i}`, src.revision, { timeoutMs: 60_000 });

  const touched = `many-${count - 1}`;
  const next = await src.push({ [`apps/a${count - 1}/cm.yaml`]: configMapYaml(touched, { version: '2' }) });
  for (let i = 0; i < count; i++) await env.waitApplied(`many-${i}`, next, { timeoutMs: 60_000 });
  assert.equal((await env.configMap(touched))?.data?.version, '2');

  // The order the passes for the new revision finished in, from the controller's log.
  const log = env.controller!.logs();
  const finished = log.split('\n').flatMap((l) => {
    try {
      const e = JSON.parse(l) as { msg?: string; name?: string; revision?: string };
      return e.msg?.startsWith('Reconciliation finished') &&
        e.revision === next &&
        e.name?.startsWith('many-')
        ? [e.name]
        : [];
    } catch {
      return [];
    }
  });
  assert.equal(new Set(finished).size, count, `every Kustomization recorded ${next}`);
  const position = finished.indexOf(touched);
  assert.equal(
    position,
    0,
    `${touched} finished ${position + 1}th of ${count}; in plain queue order it would be last: ${finished.join(' ')}\n${log
      .split('\n')
      .filter((l) => l.includes('new source revision'))
      .join('\n')}`,
  );
});
