// ReplicaCountTransformer: `replicas` — sets the replica count of the named workloads.
import { type FieldSpec, gvkSelected, visitField } from '../fieldspec.js';
import { KustomizeError, type Resource } from '../resource.js';

export interface ReplicaRule {
  name: string;
  count: number;
}

export function transformReplicas(resources: Resource[], rule: ReplicaRule, fieldSpecs: FieldSpec[]): void {
  let found = false;
  for (const fs of fieldSpecs) {
    for (const r of resources) {
      if (!r.allIds.some((id) => id.name === rule.name && gvkSelected(id, fs))) continue;
      found = true;
      visitField(r.obj, fs.path, Boolean(fs.create), (holder, key) => {
        holder[key] = rule.count;
      });
    }
  }
  if (!found) {
    const gvks = fieldSpecs.map((f) => [f.group, f.version, f.kind].filter((x) => x).join('_'));
    throw new KustomizeError(
      `resource with name ${rule.name} does not match a config with the following GVK [${gvks.join(' ')}]`,
    );
  }
}
