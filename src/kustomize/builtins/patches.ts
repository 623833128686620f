// The patch builtins: PatchTransformer (`patches`), PatchStrategicMergeTransformer
// (`patchesStrategicMerge`) and PatchJson6902Transformer (`patchesJson6902`).
import type { Accumulator } from '../accumulator.js';
import type { Loader } from '../loader.js';
import { type JsonPatchOp, parseJsonPatch } from '../merge/jsonpatch.js';
import { isObject, parseApiVersion, type ResId } from '../resource.js';
import { parseSelector, type Selector, select } from '../selector.js';
import { applyJson6902 } from '../transformers/patch-json6902.js';
import { applySmPatch, getById, type SmPatch } from '../transformers/patch-strategic-merge.js';
import { parseYamlStream } from '../yaml-read.js';
import type { JsonObject } from '../yaml-types.js';
import { fail, str, wrapYaml } from './common.js';

function smPatchesFromText(text: string, file: string): SmPatch[] {
  const docs = wrapYaml(() => parseYamlStream(text, file, true, true));
  return docs.map((d) => {
    if (!isObject(d)) fail(file, 'a strategic merge patch must be a map');
    return { patch: d, where: file };
  });
}

function patchId(p: JsonObject, w: string): ResId {
  const md = isObject(p.metadata) ? p.metadata : {};
  if (typeof p.kind !== 'string') fail(w, "patch is missing 'kind'");
  return {
    ...parseApiVersion(typeof p.apiVersion === 'string' ? p.apiVersion : ''),
    kind: p.kind,
    name: typeof md.name === 'string' ? md.name : '',
    namespace: typeof md.namespace === 'string' ? md.namespace : '',
  };
}

/** Applies each patch to the one object its own apiVersion, kind and name identify. */
function applyById(ra: Accumulator, patches: SmPatch[]): void {
  for (const p of patches) {
    const target = getById(ra.resources, patchId(p.patch, p.where), p.where);
    ra.resources = applySmPatch(ra.resources, new Set([target]), p, ra.schema);
  }
}

/** PatchStrategicMergeTransformer: `paths` entries are files or inline patches. */
export function parseStrategicMergePatches(cfg: JsonObject, ldr: Loader, w: string): SmPatch[] {
  const paths = Array.isArray(cfg.paths) ? cfg.paths : [];
  const inline = typeof cfg.patches === 'string' ? cfg.patches : '';
  if (paths.length === 0 && inline.trim() === '') fail(w, 'empty file path and empty patch content');
  const patches: SmPatch[] = [];
  for (const entry of paths) {
    const e = str(entry);
    if (ldr.isFile(e)) patches.push(...smPatchesFromText(ldr.readFile(e), ldr.filePath(e)));
    else if (e.includes('\n') || e.includes(':'))
      patches.push(...smPatchesFromText(e, `${w} (inline patch)`));
    else ldr.readFile(e);
  }
  if (inline.trim() !== '') patches.push(...smPatchesFromText(inline, `${w} (inline patch)`));
  if (patches.length === 0) fail(w, `patch appears to be empty; files=${JSON.stringify(paths)}`);
  return patches;
}

export function applyStrategicMergePatches(ra: Accumulator, patches: SmPatch[]): void {
  applyById(ra, patches);
}

export type PatchOptions =
  | { json: true; target: Selector; ops: JsonPatchOp[]; where: string }
  | { json: false; target: Selector | undefined; patches: SmPatch[]; where: string };

/** PatchTransformer: one patch (file or inline), strategic merge or JSON 6902, with a target. */
export function parsePatch(cfg: JsonObject, ldr: Loader, w: string): PatchOptions {
  const path = typeof cfg.path === 'string' ? cfg.path : '';
  const options = isObject(cfg.options) ? cfg.options : undefined;
  let text = (typeof cfg.patch === 'string' ? cfg.patch : '').trim();
  if (text === '' && path === '') fail(w, 'must specify one of patch and path in patches entry');
  if (text !== '' && path !== '') fail(w, "patch and path can't be set at the same time");
  const file = path !== '' ? ldr.filePath(path) : `${w} (inline patch)`;
  if (path !== '') text = ldr.readFile(path);
  const target = parseSelector(isObject(cfg.target) ? cfg.target : undefined, w);
  const docs = wrapYaml(() => parseYamlStream(text, file, true, true));
  // Like kustomize, a JSON patch is read from the first document only.
  if (docs.length >= 1 && Array.isArray(docs[0])) {
    if (!target) fail(w, `must specify a target for JSON patch ${file}`);
    return { json: true, target, ops: parseJsonPatch(docs[0]!, file), where: file };
  }
  const patches = docs.map((d) => {
    if (!isObject(d)) fail(file, 'unable to parse SM or JSON patch');
    const p: SmPatch = { patch: d, where: file };
    if (options?.allowNameChange === true) p.allowNameChange = true;
    if (options?.allowKindChange === true) p.allowKindChange = true;
    return p;
  });
  if (patches.length === 0)
    fail(file, 'patch is empty: it qualifies as neither a strategic merge nor a JSON patch');
  if (target && patches.length > 1) {
    fail(
      w,
      'Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field',
    );
  }
  return { json: false, target, patches, where: file };
}

export function applyPatch(ra: Accumulator, o: PatchOptions): void {
  if (o.json) {
    applyJson6902(select(ra.resources, o.target), o.ops, o.where);
    return;
  }
  if (o.target) {
    const selected = select(ra.resources, o.target);
    ra.resources = applySmPatch(ra.resources, new Set(selected), o.patches[0]!, ra.schema);
    return;
  }
  // Without a target, each patch names the one object it applies to.
  applyById(ra, o.patches);
}

export interface Json6902Options {
  target: Selector;
  ops: JsonPatchOp[];
  where: string;
}

/** PatchJson6902Transformer: a JSON patch from a file (`path`) or inline (`jsonOp`). */
export function parseJson6902(cfg: JsonObject, ldr: Loader, w: string): Json6902Options {
  const path = typeof cfg.path === 'string' ? cfg.path : '';
  const op = typeof cfg.jsonOp === 'string' ? cfg.jsonOp : '';
  if (path !== '' && op.trim() !== '') fail(w, 'must specify either path or jsonOp, not both');
  if (path === '' && op.trim() === '') fail(w, 'empty file path and empty jsonOp');
  const target = parseSelector(cfg.target, w);
  if (!target) fail(w, 'patchesJson6902 entry needs a target');
  if (path !== '') {
    const file = ldr.filePath(path);
    const docs = wrapYaml(() => parseYamlStream(ldr.fs.readFile(file), file));
    return { target, ops: parseJsonPatch(docs[0] ?? null, file), where: file };
  }
  const docs = wrapYaml(() => parseYamlStream(op, `${w} (inline JSON patch)`));
  return { target, ops: parseJsonPatch(docs[0] ?? null, w), where: w };
}

export function applyJson6902Patch(ra: Accumulator, o: Json6902Options): void {
  applyJson6902(select(ra.resources, o.target), o.ops, o.where);
}
