// ConfigMapGenerator and SecretGenerator: `configMapGenerator` / `secretGenerator` entries (and the
// same as builtin generator configs) into ConfigMap / Secret objects.
import type { Loader } from '../loader.js';
import { setOwn } from '../own.js';
import { type Behavior, isObject, KustomizeError, Resource } from '../resource.js';
import type { Json, JsonObject } from '../yaml-types.js';
import { type KvPair, parseEnvFile, parseFileSource, parseLiteral } from './kv.js';

export interface GeneratorOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  disableNameSuffixHash?: boolean;
  immutable?: boolean;
}

export interface GeneratorArgs {
  name: string;
  namespace?: string;
  behavior?: Behavior;
  literals: string[];
  files: string[];
  envs: string[];
  options?: GeneratorOptions;
  type?: string;
}

function strList(v: Json | undefined, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KustomizeError(`${where} must be a list`);
  return v.map((x) => (typeof x === 'string' ? x : String(x)));
}

function strMap(v: Json | undefined): Record<string, string> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) setOwn(out, k, val === null ? '' : String(val));
  return out;
}

export function parseGeneratorOptions(v: Json | undefined): GeneratorOptions | undefined {
  if (!isObject(v)) return undefined;
  const o: GeneratorOptions = {};
  const labels = strMap(v.labels);
  if (labels) o.labels = labels;
  const annotations = strMap(v.annotations);
  if (annotations) o.annotations = annotations;
  if (v.disableNameSuffixHash === true) o.disableNameSuffixHash = true;
  if (v.immutable === true) o.immutable = true;
  return o;
}

export function parseGeneratorArgs(v: Json, where: string): GeneratorArgs {
  if (!isObject(v)) throw new KustomizeError(`${where}: generator entry must be a map`);
  const behavior = v.behavior ?? 'create';
  if (behavior !== 'create' && behavior !== 'merge' && behavior !== 'replace' && behavior !== '') {
    throw new KustomizeError(`${where}: invalid behavior "${String(behavior)}"`);
  }
  const args: GeneratorArgs = {
    name: typeof v.name === 'string' ? v.name : '',
    behavior: behavior === '' ? 'create' : behavior,
    literals: strList(v.literals, `${where}: literals`),
    files: strList(v.files, `${where}: files`),
    envs: [...strList(v.envs, `${where}: envs`), ...(typeof v.env === 'string' && v.env ? [v.env] : [])],
  };
  if (typeof v.namespace === 'string' && v.namespace) args.namespace = v.namespace;
  if (typeof v.type === 'string') args.type = v.type;
  const options = parseGeneratorOptions(v.options);
  if (options) args.options = options;
  return args;
}

function mergeOptions(
  global: GeneratorOptions | undefined,
  local: GeneratorOptions | undefined,
): GeneratorOptions {
  const o: GeneratorOptions = {};
  if (global?.labels || local?.labels) o.labels = { ...global?.labels, ...local?.labels };
  if (global?.annotations || local?.annotations)
    o.annotations = { ...global?.annotations, ...local?.annotations };
  if (global?.disableNameSuffixHash || local?.disableNameSuffixHash) o.disableNameSuffixHash = true;
  if (global?.immutable || local?.immutable) o.immutable = true;
  return o;
}

function collectPairs(args: GeneratorArgs, ldr: Loader, where: string): KvPair[] {
  const pairs: KvPair[] = [];
  for (const env of args.envs) pairs.push(...parseEnvFile(ldr.filePath(env), ldr));
  for (const lit of args.literals) pairs.push(parseLiteral(lit, where));
  for (const f of args.files) pairs.push(parseFileSource(f, ldr, where));
  const seen = new Set<string>();
  for (const p of pairs) {
    if (seen.has(p.key)) {
      throw new KustomizeError(`${where}: configmap ${args.name} illegally repeats the key \`${p.key}\``);
    }
    seen.add(p.key);
    if (!/^[-._a-zA-Z0-9]+$/.test(p.key)) {
      throw new KustomizeError(
        `${where}: "${p.key}" is not a valid key name for a ${args.type ? 'Secret' : 'ConfigMap'}`,
      );
    }
  }
  return pairs;
}

/** kyaml's base64 for Secret data and binaryData: broken into 70-character lines past 70. */
export function encodeBase64(bytes: Buffer): string {
  const enc = bytes.toString('base64');
  if (enc.length < 70) return enc;
  let out = '';
  for (let i = 0; i < enc.length; i += 70) out += `${enc.slice(i, i + 70)}\n`;
  return out;
}

function makeObject(
  kind: 'ConfigMap' | 'Secret',
  args: GeneratorArgs,
  options: GeneratorOptions,
  pairs: KvPair[],
): JsonObject {
  const metadata: JsonObject = { name: args.name };
  if (args.namespace) metadata.namespace = args.namespace;
  if (options.labels && Object.keys(options.labels).length) metadata.labels = { ...options.labels };
  if (options.annotations && Object.keys(options.annotations).length)
    metadata.annotations = { ...options.annotations };
  const obj: JsonObject = { apiVersion: 'v1', kind, metadata };
  if (kind === 'Secret') obj.type = args.type || 'Opaque';
  if (pairs.length > 0) {
    const data: JsonObject = {};
    const binary: JsonObject = {};
    for (const p of pairs) {
      if (kind === 'Secret') setOwn(data, p.key, encodeBase64(p.binary ?? Buffer.from(p.value, 'utf8')));
      else if (!p.binary) setOwn(data, p.key, p.value);
      else setOwn(binary, p.key, encodeBase64(p.binary));
    }
    if (Object.keys(data).length) obj.data = data;
    if (Object.keys(binary).length) obj.binaryData = binary;
  }
  if (options.immutable) obj.immutable = true;
  return obj;
}

export function generate(
  kind: 'ConfigMap' | 'Secret',
  args: GeneratorArgs,
  global: GeneratorOptions | undefined,
  ldr: Loader,
  where: string,
): Resource {
  if (!args.name) throw new KustomizeError(`${where}: a ${kind} generator needs a name`);
  const options = mergeOptions(global, args.options);
  const pairs = collectPairs(args, ldr, where);
  const r = new Resource(makeObject(kind, args, options, pairs));
  r.behavior = args.behavior ?? 'create';
  r.needsHash = !options.disableNameSuffixHash;
  return r;
}
