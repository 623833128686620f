// Key/value sources of configMapGenerator and secretGenerator: literals, files and env files.
import * as path from 'node:path';
import type { Loader } from '../loader.js';
import { KustomizeError } from '../resource.js';

export interface KvPair {
  key: string;
  value: string;
  /** Raw bytes, for files that are not valid UTF-8. */
  binary?: Buffer;
}

function stripQuotes(v: string): string {
  if (v.length >= 2) {
    const f = v[0];
    if ((f === '"' || f === "'") && v[v.length - 1] === f) return v.slice(1, -1);
  }
  return v;
}

export function parseLiteral(src: string, where: string): KvPair {
  const i = src.indexOf('=');
  if (i <= 0) throw new KustomizeError(`${where}: invalid literal source ${src}, expected key=value`);
  return { key: src.slice(0, i), value: stripQuotes(src.slice(i + 1)) };
}

export function parseFileSource(src: string, ldr: Loader, where: string): KvPair {
  let key: string;
  let file: string;
  const i = src.indexOf('=');
  if (i === 0) throw new KustomizeError(`${where}: key name for file path ${src} missing`);
  if (i > 0) {
    key = src.slice(0, i);
    file = src.slice(i + 1);
    if (file === '') throw new KustomizeError(`${where}: file path for key name ${key} missing`);
  } else {
    file = src;
    key = path.posix.basename(src);
  }
  const bytes = Buffer.from(ldr.fs.readFileBytes(ldr.filePath(file)));
  const value = bytes.toString('utf8');
  if (Buffer.from(value, 'utf8').equals(bytes)) return { key, value };
  return { key, value, binary: bytes };
}

export function parseEnvFile(file: string, ldr: Loader): KvPair[] {
  let content = ldr.readFile(file);
  if (content.startsWith('\uFEFF')) content = content.slice(1);
  const out: KvPair[] = [];
  const lines = content.split('\n');
  lines.forEach((raw, n) => {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const i = line.indexOf('=');
    // kustomize reads a bare KEY from its own environment; a pure build has none, so it is empty.
    if (i < 0) {
      out.push({ key: line.trim(), value: '' });
      return;
    }
    const key = line.slice(0, i);
    if (/\s/.test(key) || key === '') {
      throw new KustomizeError(`${file}:${n + 1}: invalid key "${key}" in env file`);
    }
    out.push({ key, value: line.slice(i + 1) });
  });
  return out;
}
