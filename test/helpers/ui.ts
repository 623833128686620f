// `mooring ui` as a child process and a real Debian chromium driven by playwright-core (no
// browser download), for the browser tests and the page-load benchmark. Both stop what they
// started, also when they fail to start.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { mooringBin } from './controller.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RunningUi {
  url: string;
  process: ChildProcess;
  logs: () => string;
  stop(): Promise<void>;
}

/** Starts `mooring ui --port 0 …` and resolves with the URL it prints (or rejects after timeoutMs). */
export async function startUi(args: string[], timeoutMs = 30_000): Promise<RunningUi> {
  if (!existsSync(mooringBin)) throw new Error(`${mooringBin} missing: run 'make build' first`);
  const child = spawn(process.execPath, [mooringBin, 'ui', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    if (process.env.TEST_LOGS) process.stderr.write(output);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`mooring ui printed no URL within ${timeoutMs} ms: ${output}`)),
        timeoutMs,
      );
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /serving (http:\/\/\S+\/)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`mooring ui exited with ${code}: ${output}`));
      });
    });
    return { url, process: child, logs: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface Browser {
  context: BrowserContext;
  stop(): Promise<void>;
}

/** Debian's chromium, headless, with a fresh profile directory removed on stop. */
export async function startBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'mooring-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    return {
      context,
      async stop() {
        await context.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Standard deviation of the luminance of a PNG's pixels: about 0 for a blank screenshot. */
export function pixelDeviation(png: Buffer): number {
  const img = PNG.sync.read(png);
  let sum = 0;
  let sumSq = 0;
  const n = img.width * img.height;
  for (let i = 0; i < img.data.length; i += 4) {
    const y = 0.2126 * img.data[i]! + 0.7152 * img.data[i + 1]! + 0.0722 * img.data[i + 2]!;
    sum += y;
    sumSq += y * y;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sumSq / n - mean * mean));
}
