// Runs the built `mooring` binary (dist/cli/main.js) as a user would, capturing output and exit code.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mooringBin } from '../helpers/controller.js';
import { freePort, tempDir } from '../helpers/gitserver.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function mooring(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  if (!existsSync(mooringBin)) throw new Error(`${mooringBin} missing: run 'npx tsc -p tsconfig.build.json'`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mooringBin, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** A kubeconfig whose server is a closed port on loopback: "no cluster reachable". */
export async function unreachableKubeconfig(): Promise<{ path: string; server: string }> {
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const path = join(tempDir('mooring-cli-kc-'), 'kubeconfig');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
  - name: nowhere
    cluster:
      server: ${server}
      insecure-skip-tls-verify: true
users:
  - name: nobody
    user:
      token: not-a-token
contexts:
  - name: nowhere
    context:
      cluster: nowhere
      user: nobody
      namespace: default
current-context: nowhere
`,
  );
  return { path, server };
}
