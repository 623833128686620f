// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Repository content that makes a build expensive without any bug in the engine: what the build
// threads' limits (src/kustomization/buildpool.ts) are for.

/**
 * A kustomization whose build takes long in bounded memory: `patches` JSON6902 patches that each
 * target every one of `configMaps` ConfigMaps and replace the same key (so the objects do not
 * grow). The work is configMaps × patches patch applications (1,000 × 100 take ~15 s on the
 * project's 2-core machine).
 */
export function slowKustomization(dir: string, configMaps: number, patches: number): Record<string, string> {
  const cms: string[] = [];
  for (let i = 0; i < configMaps; i++) {
    cms.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  k: v\n`);
  }
  const ps: string[] = [];
  for (let j = 0; j < patches; j++) {
    ps.push(
      `- target:\n    kind: ConfigMap\n  patch: |\n    - op: replace\n      path: /data/k\n      value: x${j}\n`,
    );
  }
  return {
    [`${dir}/cms.yaml`]: cms.join('---\n'),
    [`${dir}/kustomization.yaml`]: `resources:\n- cms.yaml\npatches:\n${ps.join('')}`,
  };
}

/**
 * One ConfigMap whose data holds `${variable}` `references` times: with a large value (a
 * ConfigMap can hold 1 MiB) the substituted text is hundreds of MiB.
 */
export function substitutionBomb(dir: string, variable: string, references: number): Record<string, string> {
  const data: string[] = [];
  for (let i = 0; i < references; i++) data.push(`  k${i}: \${${variable}}\n`);
  return {
    [`${dir}/bomb.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${data.join('')}`,
  };
}
