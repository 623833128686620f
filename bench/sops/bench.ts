// A Kustomization of N SOPS-encrypted Secrets (age, one data key per file as the sops CLI writes
// them) built and decrypted in process, beside the same build of the plain Secrets. Prints the
// medians and their ratio.
//
//   npx tsc -p tsconfig.json && node .build/bench/sops/bench.js [--n 500] [--runs 5]
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bech32 } from '@scure/base';
import type { Kustomization } from '../../src/api/kustomization.js';
import { buildManifestsDecrypting } from '../../src/kustomization/decrypt.js';
import { parseAgeKeyFile } from '../../src/sops/age.js';
import { addKeyFiles, emptyKeyring } from '../../src/sops/index.js';
import { encryptYaml } from '../../test/sops/encrypt.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { n: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' } },
  });
  const n = Number(values.n);
  const runs = Number(values.runs);
  const der = generateKeyPairSync('x25519').privateKey.export({ format: 'der', type: 'pkcs8' });
  const secret = bech32
    .encode('AGE-SECRET-KEY-', bech32.toWords(der.subarray(der.length - 32)), false)
    .toUpperCase();
  const publicKey = parseAgeKeyFile(secret)[0]!.publicKey!;
  const root = mkdtempSync(join(tmpdir(), 'sops-bench-'));
  try {
    for (const kind of ['plain', 'sops']) {
      mkdirSync(join(root, kind));
      const names: string[] = [];
      for (let i = 0; i < n; i++) {
        const doc = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `secret-${i}`, namespace: 'bench' },
          stringData: { username: `user-${i}`, password: `password-${i}-${'x'.repeat(32)}` },
        };
        const text =
          kind === 'sops'
            ? encryptYaml(doc, { groups: [[publicKey]], encryptedRegex: '^(data|stringData)$' })
            : JSON.stringify(doc);
        writeFileSync(join(root, kind, `secret-${i}.yaml`), text);
        names.push(`secret-${i}.yaml`);
      }
      writeFileSync(
        join(root, kind, 'kustomization.yaml'),
        `resources:\n${names.map((x) => `- ${x}`).join('\n')}\n`,
      );
    }
    const ks = (p: string) =>
      ({ metadata: { name: 'b', namespace: 'bench' }, spec: { path: p } }) as unknown as Kustomization;
    const times: Record<string, number[]> = { plain: [], sops: [] };
    const cpu: Record<string, number[]> = { plain: [], sops: [] };
    for (let r = 0; r < runs + 1; r++) {
      for (const kind of ['plain', 'sops'] as const) {
        const t = performance.now();
        const c = process.cpuUsage();
        // Keys read per reconcile, as the controller does: part of the measured time.
        const ring =
          kind === 'sops'
            ? await addKeyFiles(emptyKeyring(), [{ name: 'k.agekey', data: Buffer.from(secret) }], 'bench')
            : undefined;
        const objs = await buildManifestsDecrypting({ root, ks: ks(`./${kind}`) }, ring);
        const ms = performance.now() - t;
        const used = process.cpuUsage(c);
        const cpuMs = (used.user + used.system) / 1000;
        if (objs.length !== n) throw new Error(`built ${objs.length} objects, expected ${n}`);
        if (kind === 'sops' && JSON.stringify(objs).includes('ENC[')) throw new Error('not decrypted');
        if (r > 0) {
          // the first round warms up
          times[kind]!.push(ms);
          cpu[kind]!.push(cpuMs);
        }
      }
    }
    const p = median(times.plain!);
    const s = median(times.sops!);
    console.log(`SOPS decryption, ${n} Secrets (age, one data key each), ${runs} runs, medians`);
    const pc = median(cpu.plain!);
    const sc = median(cpu.sops!);
    const row = (name: string, w: number, c: number) =>
      `| ${name.padEnd(24)} | ${w.toFixed(0).padStart(7)} | ${(w / p).toFixed(2).padEnd(5)} | ${c.toFixed(0).padStart(6)} | ${(c / pc).toFixed(2).padEnd(5)} |`;
    console.log('| build                    | wall ms | ratio | CPU ms | ratio |');
    console.log('|--------------------------|---------|-------|--------|-------|');
    console.log(row('plain Secrets', p, pc));
    console.log(row('SOPS-encrypted (decrypt)', s, sc));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
