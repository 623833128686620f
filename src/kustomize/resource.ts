// A resource as the engine carries it: the object plus what kustomize tracks beside it (earlier ids
// for name references, generator behaviour, hash suffix, origin).
import { setOwn } from './own.js';
import { patchSchemaData } from './schema/patch-schema.js';
import type { Json, JsonObject } from './yaml-types.js';

export class KustomizeError extends Error {}

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

export interface ResId extends Gvk {
  name: string;
  namespace: string;
}

const clusterScoped = new Set(patchSchemaData.clusterScoped);

/** Certainly cluster-scoped, as kustomize decides it: by apiVersion and kind (an apiVersion its
 * built-in schema does not know counts as namespaced). */
export function isClusterScoped(gvk: Gvk): boolean {
  return clusterScoped.has(`${gvk.group}/${gvk.version}/${gvk.kind}`);
}

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  if (i < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function apiVersionOf(gvk: Gvk): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/** kustomize treats an empty namespace and "default" alike for namespaced kinds. */
export function effectiveNamespace(id: ResId): string {
  if (isClusterScoped(id)) return '';
  return id.namespace === '' ? 'default' : id.namespace;
}

export function gvkString(g: Gvk): string {
  return [g.group, g.version, g.kind].filter((x) => x).join('_') || '~G_~V_~K';
}

export function idString(id: ResId): string {
  const gvk = `${id.group || '~G'}_${id.version || '~V'}_${id.kind || '~K'}`;
  return `${gvk}|${id.namespace || '~X'}|${id.name || '~N'}`;
}

/** Human form used in error messages: `Deployment.v1.apps/name.ns`. */
export function idDisplay(id: ResId): string {
  const g = [id.kind, id.version, id.group].filter((x) => x).join('.');
  return `${g}/${id.name}${id.namespace ? `.${id.namespace}` : ''}`;
}

export function sameGvkn(a: ResId, b: ResId): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind && a.name === b.name;
}

/** A string equal for two ids exactly when sameId holds. */
export function idKey(id: ResId): string {
  return `${id.group}|${id.version}|${id.kind}|${id.name}|${effectiveNamespace(id)}`;
}

export function sameId(a: ResId, b: ResId): boolean {
  return sameGvkn(a, b) && effectiveNamespace(a) === effectiveNamespace(b);
}

export type Behavior = 'create' | 'merge' | 'replace';

export interface Origin {
  path?: string;
  repo?: string;
  ref?: string;
  configuredIn?: string;
  configuredBy?: { apiVersion: string; kind: string; name?: string; namespace?: string };
}

export class Resource {
  obj: JsonObject;
  /** Ids this resource had before renames, oldest first (kustomize's previousNames/Kinds/Namespaces). */
  previousIds: ResId[] = [];
  behavior: Behavior | undefined;
  /** Generated with a content hash suffix still to be appended. */
  needsHash = false;
  /** Where the resource came from, for buildMetadata originAnnotations. */
  origin: Origin | undefined;
  /** Names of transformers that touched it, for buildMetadata transformerAnnotations. */
  transformations: Origin[] = [];
  /** Name prefixes and suffixes applied so far, in order (kustomize's prefixes/suffixes annotations). */
  prefixes: string[] = [];
  suffixes: string[] = [];
  /** Names of the vars bound to this object (kustomize's refVarNames). */
  refVarNames: string[] = [];
  allowNameChange = false;
  allowKindChange = false;
  /** kustomize's `refBy` bookkeeping isn't needed; we record the kustomization that emitted it. */
  readonly serial: number;
  private static nextSerial = 0;

  constructor(obj: JsonObject) {
    this.obj = obj;
    this.serial = Resource.nextSerial++;
  }

  clone(): Resource {
    const r = new Resource(structuredClone(this.obj));
    r.previousIds = this.previousIds.map((id) => ({ ...id }));
    r.behavior = this.behavior;
    r.needsHash = this.needsHash;
    r.origin = this.origin;
    r.transformations = [...this.transformations];
    r.prefixes = [...this.prefixes];
    r.suffixes = [...this.suffixes];
    r.refVarNames = [...this.refVarNames];
    return r;
  }

  get apiVersion(): string {
    const v = this.obj.apiVersion;
    return typeof v === 'string' ? v : '';
  }

  get kind(): string {
    const v = this.obj.kind;
    return typeof v === 'string' ? v : '';
  }

  get gvk(): Gvk {
    return { ...parseApiVersion(this.apiVersion), kind: this.kind };
  }

  get metadata(): JsonObject {
    let m = this.obj.metadata;
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      m = {};
      this.obj.metadata = m;
    }
    return m as JsonObject;
  }

  get name(): string {
    const m = this.obj.metadata as JsonObject | undefined;
    const n = m?.name;
    return typeof n === 'string' ? n : n === undefined || n === null ? '' : String(n);
  }

  set name(n: string) {
    this.metadata.name = n;
  }

  get namespace(): string {
    const m = this.obj.metadata as JsonObject | undefined;
    const n = m?.namespace;
    return typeof n === 'string' ? n : '';
  }

  set namespace(ns: string) {
    if (ns === '') delete this.metadata.namespace;
    else this.metadata.namespace = ns;
  }

  /** The current id. */
  get id(): ResId {
    return { ...this.gvk, name: this.name, namespace: this.namespace };
  }

  /** The id it had when it entered the build (kustomize's OrgId). */
  get originalId(): ResId {
    return this.previousIds[0] ?? this.id;
  }

  /** All ids, oldest first, current last. */
  get allIds(): ResId[] {
    return [...this.previousIds, this.id];
  }

  storePreviousId(): void {
    this.previousIds.push(this.id);
  }

  labels(): Record<string, string> {
    return stringMap(this.metadata.labels);
  }

  annotations(): Record<string, string> {
    return stringMap(this.metadata.annotations);
  }
}

function stringMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v))
      setOwn(out, k, typeof val === 'string' ? val : JSON.stringify(val));
  }
  return out;
}

/** A copy of a map with its keys lower-cased (Go's JSON decoding ignores key case). */
export function lowerKeys(v: Json | undefined): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) setOwn(out, k.toLowerCase(), val);
  }
  return out;
}

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}
