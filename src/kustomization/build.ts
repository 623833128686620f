// The build step of a Kustomization: spec.path inside the extracted artifact (never outside it),
// spec overrides merged into the kustomization, the kustomize engine, commonMetadata, then
// postBuild substitution. Every failure is a BuildError naming the file or object — never quoting
// an object's body or a substituted value (values often come from Secrets).
import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Kustomization } from '../api/kustomization.js';
import type { Manifest } from '../kube/dynamic.js';
import { build, toObjects } from '../kustomize/build.js';
import { type FileSystem, RootedFileSystem } from '../kustomize/fs.js';
import type { JsonObject } from '../kustomize/yaml-types.js';
import type { BuildReads } from './buildinputs.js';
import { generatedKustomization } from './buildkustomization.js';
import { OverlayFileSystem } from './overlayfs.js';
import { applyCommonMetadata, overriddenKustomization } from './overrides.js';
import { redactValues } from './redact.js';
import { substitute } from './substitute.js';

export class BuildError extends Error {
  constructor(
    readonly reason: 'ArtifactFailed' | 'BuildFailed',
    message: string,
  ) {
    super(message);
  }
}

/** Joins spec.path to the artifact root; refuses anything that resolves (also via symlinks) outside it. */
export function securePath(root: string, specPath: string | undefined): string {
  const realRoot = realpathSync(root);
  const joined = resolve(realRoot, `.${sep}${(specPath ?? './').replace(/^\/+/, '')}`);
  const inside = (p: string) => {
    const rel = relative(realRoot, p);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  if (!inside(joined))
    throw new BuildError('ArtifactFailed', `spec.path '${specPath}' points outside the artifact`);
  if (!existsSync(joined)) {
    throw new BuildError(
      'ArtifactFailed',
      `kustomization path not found: ${specPath ?? './'} does not exist in the artifact`,
    );
  }
  const real = realpathSync(joined);
  if (!inside(real))
    throw new BuildError('ArtifactFailed', `spec.path '${specPath}' points outside the artifact`);
  if (!statSync(real).isDirectory()) {
    throw new BuildError('ArtifactFailed', `kustomization path ${specPath} is not a directory`);
  }
  return real;
}

export interface BuildInput {
  /** The extracted artifact. */
  root: string;
  ks: Kustomization;
  /** postBuild variables (already collected from substitute + substituteFrom). */
  vars?: Record<string, string>;
  strictSubstitution?: boolean;
  maxObjects?: number;
  /** Wraps the artifact's file system (e.g. to record what the build reads). */
  wrapFs?: (fs: RootedFileSystem) => FileSystem;
}

export function buildManifests(input: BuildInput): Manifest[] {
  try {
    return buildUnredacted(input);
  } catch (err) {
    if (err instanceof BuildError && input.vars) {
      throw new BuildError(err.reason, redactValues(err.message, Object.values(input.vars)));
    }
    throw err;
  }
}

/** A build as the controller runs it: the manifests, what the build read, and their digest. */
export interface BuiltManifests {
  manifests: Manifest[];
  reads: BuildReads;
  /** `sha256:<hex>` of the manifests' JSON. */
  digest: string;
}

export type BuildJob = Omit<BuildInput, 'wrapFs'>;

export function manifestsDigest(manifests: readonly Manifest[]): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(manifests)).digest('hex')}`;
}

function buildUnredacted(input: BuildInput): Manifest[] {
  const { root, ks } = input;
  const dir = securePath(root, ks.spec.path);
  let objects: JsonObject[];
  try {
    // The artifact tree is shared by every Kustomization of this revision: never written to.
    const rooted = new RootedFileSystem(root);
    const base = input.wrapFs ? input.wrapFs(rooted) : rooted;
    const overrides = overriddenKustomization(base, dir, ks.spec);
    const fs = overrides ? new OverlayFileSystem(base, overrides) : base;
    const resources = build(fs, dir, {
      missingKustomization: generatedKustomization,
      maxResources: input.maxObjects ?? 20_000,
    });
    objects = toObjects(resources);
  } catch (err) {
    const where = relative(root, dir) || '.';
    throw new BuildError(
      'BuildFailed',
      `kustomize build failed in ${where}: ${stripRoot((err as Error).message, root)}`,
    );
  }
  assertIdentified(objects, 'in the build output');
  applyCommonMetadata(objects, ks.spec.commonMetadata);
  if (input.vars !== undefined || ks.spec.postBuild) {
    try {
      objects = substitute(objects, input.vars ?? {}, {
        strict: input.strictSubstitution ?? true,
        always: ks.spec.postBuild?.substituteStrategy === 'Always',
      });
    } catch (err) {
      throw new BuildError(
        'BuildFailed',
        `post-build substitutions failed: ${stripRoot((err as Error).message, root)}`,
      );
    }
    assertIdentified(objects, 'after post-build substitution');
  }
  assertNestingWithin(objects, MAX_NESTING);
  return objects as unknown as Manifest[];
}

/**
 * How deep an object may nest. The controller walks what it applies with recursive code (IPC
 * from the build process, JSON for the apiserver, drift comparison) on a default-size stack,
 * which overflows near 1,500 levels; a limit well below that keeps a hostile document an error
 * of its own Kustomization instead of a crash of the controller. Real manifests nest tens deep.
 */
export const MAX_NESTING = 1_000;

function assertNestingWithin(objects: readonly JsonObject[], limit: number): void {
  for (const o of objects) {
    const depth = nestingDepth(o, limit);
    if (depth > limit) {
      throw new BuildError(
        'BuildFailed',
        `${objectLabel(o)} nests more than ${limit.toLocaleString('en')} levels deep, the limit of what Mooring applies`,
      );
    }
  }
}

/** Levels of maps and lists in `value`, counted without recursion and up to `limit + 1`. */
function nestingDepth(value: JsonObject, limit: number): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [v, depth] = pending.pop()!;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    const children = Array.isArray(v) ? v : Object.values(v as JsonObject);
    for (const c of children) if (c !== null && typeof c === 'object') pending.push([c, depth + 1]);
  }
  return deepest;
}

/** Every object has a string apiVersion, kind and metadata.name; the error names the object, never its body. */
function assertIdentified(objects: readonly JsonObject[], when: string): void {
  objects.forEach((o, i) => {
    const meta = o.metadata as JsonObject | undefined;
    const fields: Array<[string, unknown]> = [
      ['apiVersion', o.apiVersion],
      ['kind', o.kind],
      ['metadata.name', meta?.name],
    ];
    const bad = fields.filter(([, v]) => typeof v !== 'string' || v === '');
    if (bad.length === 0) return;
    const what = bad.map(([field, v]) => `${field} is ${describeType(v)}`).join(', ');
    throw new BuildError(
      'BuildFailed',
      `object ${i + 1} of ${objects.length} ${when} (${objectLabel(o)}) is not a Kubernetes object: ${what}`,
    );
  });
}

/** `kind/namespace/name` with the parts that are not strings shown as `<type>`. */
function objectLabel(o: JsonObject): string {
  const meta = (o.metadata ?? {}) as JsonObject;
  const part = (v: unknown) => (typeof v === 'string' && v !== '' ? v : `<${describeType(v)}>`);
  const ns = typeof meta.namespace === 'string' && meta.namespace !== '' ? `${meta.namespace}/` : '';
  return `${part(o.kind)}/${ns}${part(meta.name)}`;
}

function describeType(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (v === '') return 'empty';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a map' : `a ${typeof v}`;
}

/** Error texts name files relative to the artifact, never the controller's temp directories. */
function stripRoot(message: string, root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // keep root
  }
  return message
    .split(`${real}/`)
    .join('')
    .split(`${root}/`)
    .join('')
    .split(real)
    .join('.')
    .split(join(root))
    .join('.');
}
