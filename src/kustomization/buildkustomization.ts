// Flux's generated kustomization: for a directory without a kustomization file, kustomize-controller
// builds one listing its YAML files and the sub-directories that hold a kustomization (not the
// files below those), recursively. Empty directories get a kustomization that builds nothing.
import * as path from 'node:path';
import type { FileSystem } from '../kustomize/fs.js';
import { findKustomizationFile } from '../kustomize/kustomization.js';
import type { JsonObject } from '../kustomize/yaml-types.js';

/** The kustomization Flux generates for `dir` (absolute inside fs). */
export function generatedKustomization(fs: FileSystem, dir: string): JsonObject {
  const resources: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readDir(d)) {
      const p = path.posix.join(d, name);
      const kind = fs.stat(p);
      if (kind === 'dir') {
        if (findKustomizationFile(fs, p)) resources.push(path.posix.relative(dir, p));
        else walk(p);
      } else if (kind === 'file' && /\.ya?ml$/.test(name)) {
        resources.push(path.posix.relative(dir, p));
      }
    }
  };
  walk(dir);
  return resources.length > 0
    ? { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }
    : { namespace: '_placeholder' };
}
