// ImageTagTransformer: `images` — rewrites container images by name (new name, tag, digest).
import { type FieldSpec, gvkSelected, visitField } from '../fieldspec.js';
import { isObject, type Resource } from '../resource.js';
import type { Json } from '../yaml-types.js';

export interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
  tagSuffix?: string;
}

/** Splits an image reference into name, tag and digest; a registry port is not a tag. */
export function splitImage(image: string): { name: string; tag: string; digest: string } {
  let search = image;
  let offset = image.indexOf('/');
  if (offset > 0) search = image.slice(offset);
  else offset = 0;
  let id = search.indexOf('@');
  let ic = search.indexOf(':');
  if (ic < 0 && id < 0) return { name: image, tag: '', digest: '' };
  if (id >= 0 && (id < ic || ic < 0)) {
    id += offset;
    return { name: image.slice(0, id), tag: '', digest: image.slice(id + 1) };
  }
  if (id >= 0 && ic >= 0) {
    id += offset;
    ic += offset;
    return { name: image.slice(0, ic), tag: image.slice(ic + 1, id), digest: image.slice(id + 1) };
  }
  ic += offset;
  return { name: image.slice(0, ic), tag: image.slice(ic + 1), digest: '' };
}

export function updateImage(value: string, rule: ImageRule): string | undefined {
  const parts = splitImage(value);
  if (parts.name !== rule.name) return undefined;
  let { name, tag, digest } = parts;
  if (rule.newName) name = rule.newName;
  if (rule.newTag && rule.digest) {
    tag = rule.newTag;
    digest = rule.digest;
  } else if (rule.newTag) {
    tag = rule.newTag;
    digest = '';
  } else if (rule.digest) {
    tag = '';
    digest = rule.digest;
  }
  if (rule.tagSuffix) tag += rule.tagSuffix;
  if (tag) name += `:${tag}`;
  if (digest) name += `@${digest}`;
  return name;
}

export function transformImages(resources: Resource[], rule: ImageRule, fieldSpecs: FieldSpec[]): void {
  for (const r of resources) {
    // kustomize also updates `image` in any containers/initContainers list, wherever it is.
    legacyUpdate(r.obj, rule);
    for (const fs of fieldSpecs) {
      if (!gvkSelected(r.gvk, fs)) continue;
      visitField(r.obj, fs.path, false, (holder, key) => {
        const v = holder[key];
        if (typeof v !== 'string') return;
        const next = updateImage(v, rule);
        if (next !== undefined) holder[key] = next;
      });
    }
  }
}

function legacyUpdate(node: Json, rule: ImageRule): void {
  if (Array.isArray(node)) {
    for (const el of node) legacyUpdate(el, rule);
    return;
  }
  if (!isObject(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) {
      for (const c of v) {
        if (isObject(c) && typeof c.image === 'string') {
          const next = updateImage(c.image, rule);
          if (next !== undefined) c.image = next;
        }
      }
    } else if (v !== null && typeof v === 'object') legacyUpdate(v, rule);
  }
}
