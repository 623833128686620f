// The engine calls exercised by redos.test.ts, as plain functions of plain data so that a worker
// thread can run them (see test/helpers/deadline.ts).
import { parseKind } from '../../src/cli/common.js';
import { tableOf } from '../../src/cli/get.js';
import type { FluxObject } from '../../src/cli/reconcile.js';
import { envsubst } from '../../src/kustomization/envsubst.js';
import { build } from '../../src/kustomize/build.js';
import { MemoryFileSystem } from '../../src/kustomize/fs.js';
import type { JsonObject } from '../../src/kustomize/yaml-types.js';
import { hostMatches } from '../../src/source/git/knownhosts.js';
import { scrub } from '../../src/source/git/url.js';
import { readPatterns } from '../../src/source/ignore.js';

function objects(files: Record<string, string>): JsonObject[] {
  return build(new MemoryFileSystem(files), '/app').map((r) => r.obj);
}

const configMap = (name: string, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${JSON.stringify(name)}\ndata:\n  a: "1"\n${extra}`;

/** Names of the ConfigMaps (named `names`) that a JSON patch with target `name: pattern` reaches. */
export function patchedByNameRegex(names: string[], pattern: string): string[] {
  const files: Record<string, string> = {
    '/app/kustomization.yaml': `resources:\n${names.map((_, i) => `- cm${i}.yaml\n`).join('')}patches:\n- target:\n    kind: ConfigMap\n    name: ${JSON.stringify(pattern)}\n  patch: |-\n    - op: add\n      path: /data/hit\n      value: "yes"\n`,
  };
  names.forEach((n, i) => {
    files[`/app/cm${i}.yaml`] = configMap(n);
  });
  return objects(files)
    .filter((o) => (o.data as JsonObject).hit === 'yes')
    .map((o) => String((o.metadata as JsonObject).name));
}

export function knownHostsMatch(patterns: string, name: string): boolean {
  return hostMatches(patterns, name);
}

export function substituteText(text: string, vars: Record<string, string>): string {
  return envsubst(text, (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined));
}

/** A var reference next to `n` unclosed `$(`: returns the container's args after the build. */
export function varsNextToUnclosedRefs(n: number): string[] {
  const objs = objects({
    '/app/kustomization.yaml': `resources: [cm.yaml, pod.yaml]
vars:
- name: CM_NAME
  objref: {apiVersion: v1, kind: ConfigMap, name: cm}
`,
    '/app/cm.yaml': configMap('cm'),
    '/app/pod.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: i
    args: ["use $(CM_NAME)", ${JSON.stringify('$('.repeat(n))}]
`,
  });
  const pod = objs.find((o) => o.kind === 'Pod')!;
  return ((pod.spec as JsonObject).containers as JsonObject[])[0]!.args as string[];
}

/** commonLabels with an extra field spec whose path is `[` repeated n times then `]`. */
export function labelsWithBracketPath(n: number): JsonObject {
  const objs = objects({
    '/app/kustomization.yaml':
      'resources: [cm.yaml]\nconfigurations: [config.yaml]\ncommonLabels: {app: web}\n',
    '/app/config.yaml': `commonLabels:\n- path: ${JSON.stringify(`metadata/${'['.repeat(n)}]`)}\n  create: true\n`,
    '/app/cm.yaml': configMap('cm'),
  });
  return objs[0]!.metadata as JsonObject;
}

/** A replacement creating `data.x.[===…` (n `=`, no closing bracket): the key lengths created under data.x. */
export function replacementIntoBracketPath(n: number): number[] {
  const objs = objects({
    '/app/kustomization.yaml': `resources: [cm.yaml]
replacements:
- source: {kind: ConfigMap, fieldPath: data.a}
  targets:
  - select: {kind: ConfigMap}
    fieldPaths: [${JSON.stringify(`data.x.[${'='.repeat(n)}`)}]
    options: {create: true}
`,
    '/app/cm.yaml': configMap('cm'),
  });
  return Object.keys((objs[0]!.data as JsonObject).x as JsonObject).map((k) => k.length);
}

export function scrubText(text: string): string {
  return scrub(text, []);
}

export function ignorePatterns(text: string): string[] {
  return readPatterns(text);
}

/** What `mooring get kustomizations` prints for a Kustomization whose Ready message is `message`. */
export function getTable(message: string): string {
  const obj = {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'k', namespace: 'ns', generation: 1 },
    status: { conditions: [{ type: 'Ready', status: 'False', reason: 'BuildFailed', message }] },
  } as unknown as FluxObject;
  return tableOf(parseKind('kustomization'), [obj], false);
}

/** Runs several of the functions above in order (one worker for several hostile inputs). */
export function runAll(calls: [string, ...unknown[]][]): unknown[] {
  const fns: Record<string, (...args: never[]) => unknown> = {
    patchedByNameRegex,
    knownHostsMatch,
    substituteText,
    varsNextToUnclosedRefs,
    labelsWithBracketPath,
    replacementIntoBracketPath,
    scrubText,
    ignorePatterns,
    getTable,
  };
  return calls.map(([name, ...args]) => {
    const fn = fns[name];
    if (!fn) throw new Error(`no case ${name}`);
    return fn(...(args as never[]));
  });
}
