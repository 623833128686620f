// The build step of a Kustomization: spec.path inside the extracted artifact (never outside it),
// spec overrides merged into the kustomization, the kustomize engine, commonMetadata, then
// postBuild substitution. Every failure is a BuildError naming the file or object.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Kustomization } from '../api/kustomization.js';
import type { Manifest } from '../kube/dynamic.js';
import { build, toObjects } from '../kustomize/build.js';
import { type FileSystem, RootedFileSystem } from '../kustomize/fs.js';
import type { JsonObject } from '../kustomize/yaml.js';
import { OverlayFileSystem } from './overlayfs.js';
import { applyCommonMetadata, overriddenKustomization } from './overrides.js';
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
      generateKustomization: true,
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
  }
  for (const o of objects) {
    const meta = o.metadata as JsonObject | undefined;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof meta?.name !== 'string') {
      throw new BuildError(
        'BuildFailed',
        `object without apiVersion, kind or metadata.name: ${JSON.stringify(o).slice(0, 200)}`,
      );
    }
  }
  return objects as unknown as Manifest[];
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
