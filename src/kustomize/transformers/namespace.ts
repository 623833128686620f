// NamespaceTransformer: `namespace:` — sets metadata.namespace on namespaced objects and the
// namespace fields that point into it (RoleBinding subjects, APIService/CRD webhook services).
import { type FieldSpec, gvkSelected, visitField } from '../fieldspec.js';
import { idDisplay, idKey, isClusterScoped, isObject, KustomizeError, type Resource } from '../resource.js';

export type RoleBindingSubjectMode = 'defaultOnly' | 'allServiceAccounts' | 'none';

export interface NamespaceOptions {
  namespace: string;
  fieldSpecs: FieldSpec[];
  unsetOnly?: boolean;
  setRoleBindingSubjects?: RoleBindingSubjectMode;
}

const isRoleBinding = (kind: string) => kind === 'RoleBinding' || kind === 'ClusterRoleBinding';

export function transformNamespace(resources: Resource[], opts: NamespaceOptions): void {
  const set = (holder: Record<string, unknown>, key: string) => {
    const cur = holder[key];
    if (opts.unsetOnly && typeof cur === 'string' && cur !== '') return;
    holder[key] = opts.namespace;
  };
  for (const r of resources) {
    if (Object.keys(r.obj).length === 0) continue;
    const gvk = r.gvk;
    const before = r.id;
    if (!isClusterScoped(gvk)) set(r.metadata as Record<string, unknown>, 'namespace');
    let specs = opts.fieldSpecs.filter((f) => f.path !== 'metadata/namespace');
    // Namespace objects are renamed only for the core v1 Namespace.
    if (r.apiVersion !== 'v1') specs = specs.filter((f) => f.path !== 'metadata/name');
    if (isRoleBinding(gvk.kind)) {
      specs = specs.filter(
        (f) => !(isRoleBinding(f.kind ?? '') && /^subjects(\[\])?\/namespace$/.test(f.path)),
      );
      roleBindingSubjects(r, opts, set);
    }
    for (const fs of specs) {
      if (!gvkSelected(gvk, fs)) continue;
      visitField(r.obj, fs.path, Boolean(fs.create), (holder, key) => {
        const v = holder[key];
        if (v !== undefined && v !== null && typeof v === 'object') {
          throw new KustomizeError(
            `namespace field specs must target scalar nodes: field '${fs.path}' of ${r.kind} ${r.name} is not a scalar`,
          );
        }
        set(holder, key);
      });
    }
    // kustomize records the id before the transformation on every object it visits, moved or not.
    r.previousIds.push(before);
  }
  checkNoConflicts(resources, 'namespace transformation');
}

export function checkNoConflicts(resources: Resource[], what: string): void {
  const seen = new Set<string>();
  for (const r of resources) {
    const id = r.id;
    const key = idKey(id);
    if (seen.has(key)) throw new KustomizeError(`${what} produces ID conflict: ${idDisplay(id)}`);
    seen.add(key);
  }
}

function roleBindingSubjects(
  r: Resource,
  opts: NamespaceOptions,
  set: (holder: Record<string, unknown>, key: string) => void,
): void {
  const mode = opts.setRoleBindingSubjects ?? 'defaultOnly';
  if (mode === 'none') return;
  const subjects = r.obj.subjects;
  if (!Array.isArray(subjects)) return;
  for (const s of subjects) {
    if (!isObject(s)) continue;
    if (mode === 'allServiceAccounts') {
      if (s.kind === 'ServiceAccount') set(s, 'namespace');
    } else if (s.name === 'default') {
      set(s, 'namespace');
    }
  }
}
