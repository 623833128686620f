import { build, toYaml } from '../../src/kustomize/build.js';
import { MemoryFileSystem } from '../../src/kustomize/fs.js';
import type { JsonObject } from '../../src/kustomize/yaml-types.js';

/** Builds an in-memory tree (paths relative to /) at dir and returns the objects. */
export function buildTree(files: Record<string, string>, dir = '/app'): JsonObject[] {
  return build(new MemoryFileSystem(files), dir).map((r) => r.obj);
}

export function buildYaml(files: Record<string, string>, dir = '/app'): string {
  return toYaml(build(new MemoryFileSystem(files), dir));
}

export function find(objs: JsonObject[], kind: string, name?: string): JsonObject {
  const o = objs.find(
    (x) => x.kind === kind && (name === undefined || (x.metadata as JsonObject | undefined)?.name === name),
  );
  if (!o) throw new Error(`no ${kind} ${name ?? ''} in output`);
  return o;
}

export const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.25
        envFrom:
        - configMapRef:
            name: settings
        env:
        - name: A
          value: "1"
`;
