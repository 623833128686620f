// kustomize's default field specs (its builtin "transformer configuration"): which fields hold
// labels, annotations, images, replicas, namespaces and references to other objects by name.
import type { FieldSpec, NameBackReference } from './fieldspec-types.js';

const pod = (kind: string, group?: string): [string, string, string | undefined] => [
  kind,
  'spec/template/spec',
  group,
];
/** Workload kinds and where their pod spec lives. */
const workloads: [string, string, string | undefined][] = [
  pod('Deployment'),
  pod('ReplicaSet'),
  pod('DaemonSet'),
  pod('StatefulSet'),
  pod('Job'),
];

function podSpecRefs(paths: string[], withPod: boolean, cronPaths = paths): FieldSpec[] {
  const out: FieldSpec[] = [];
  if (withPod) for (const p of paths) out.push({ path: `spec/${p}`, version: 'v1', kind: 'Pod' });
  for (const [kind, prefix] of workloads) for (const p of paths) out.push({ path: `${prefix}/${p}`, kind });
  for (const p of cronPaths) out.push({ path: `spec/jobTemplate/spec/template/spec/${p}`, kind: 'CronJob' });
  return out;
}

const configMapPodPaths = [
  'volumes/configMap/name',
  'containers/env/valueFrom/configMapKeyRef/name',
  'initContainers/env/valueFrom/configMapKeyRef/name',
  'containers/envFrom/configMapRef/name',
  'initContainers/envFrom/configMapRef/name',
  'volumes/projected/sources/configMap/name',
];

const secretPodPaths = [
  'volumes/secret/secretName',
  'containers/env/valueFrom/secretKeyRef/name',
  'initContainers/env/valueFrom/secretKeyRef/name',
  'containers/envFrom/secretRef/name',
  'initContainers/envFrom/secretRef/name',
  'imagePullSecrets/name',
  'volumes/projected/sources/secret/name',
];

const knative = { group: 'serving.knative.dev', version: 'v1', kind: 'Service' };
const rbac = 'rbac.authorization.k8s.io';
const saKinds = ['StatefulSet', 'Deployment', 'ReplicationController', 'Job', 'DaemonSet'];

function podField(field: string, kinds = saKinds): FieldSpec[] {
  return [
    { path: `spec/${field}`, kind: 'Pod' },
    ...kinds.map((kind) => ({ path: `spec/template/spec/${field}`, kind })),
    { path: `spec/jobTemplate/spec/template/spec/${field}`, kind: 'CronJob' },
  ];
}

export const nameReferenceSpecs: NameBackReference[] = [
  ...['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet'].map((kind) => ({
    gvk: { kind },
    referrers: [{ path: 'spec/scaleTargetRef/name', kind: 'HorizontalPodAutoscaler' }],
  })),
  {
    gvk: { version: 'v1', kind: 'ConfigMap' },
    referrers: [
      ...podSpecRefs(configMapPodPaths, true, [
        'volumes/configMap/name',
        'volumes/projected/sources/configMap/name',
        'containers/env/valueFrom/configMapKeyRef/name',
        'initContainers/env/valueFrom/configMapKeyRef/name',
        'containers/envFrom/configMapRef/name',
        'initContainers/envFrom/configMapRef/name',
      ]),
      { path: 'spec/configSource/configMap', kind: 'Node' },
      { path: 'rules/resourceNames', kind: 'Role' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
      {
        path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap',
        kind: 'Ingress',
      },
      { path: 'spec/template/spec/containers/env/valueFrom/configMapKeyRef/name', ...knative },
      { path: 'spec/template/spec/containers/envFrom/configMapRef/name', ...knative },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'Secret' },
    referrers: [
      ...podSpecRefs(secretPodPaths, true),
      { path: 'spec/tls/secretName', kind: 'Ingress' },
      { path: 'metadata/annotations/ingress.kubernetes.io\\/auth-secret', kind: 'Ingress' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret', kind: 'Ingress' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret', kind: 'Ingress' },
      { path: 'imagePullSecrets/name', kind: 'ServiceAccount' },
      { path: 'parameters/secretName', kind: 'StorageClass' },
      { path: 'parameters/adminSecretName', kind: 'StorageClass' },
      { path: 'parameters/userSecretName', kind: 'StorageClass' },
      { path: 'parameters/secretRef', kind: 'StorageClass' },
      { path: 'rules/resourceNames', kind: 'Role' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
      { path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name', ...knative },
      { path: 'spec/azureFile/secretName', kind: 'PersistentVolume' },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'Service' },
    referrers: [
      { path: 'spec/serviceName', kind: 'StatefulSet', group: 'apps' },
      { path: 'spec/rules/http/paths/backend/serviceName', kind: 'Ingress' },
      { path: 'spec/backend/serviceName', kind: 'Ingress' },
      { path: 'spec/rules/http/paths/backend/service/name', kind: 'Ingress' },
      { path: 'spec/defaultBackend/service/name', kind: 'Ingress' },
      { path: 'spec/service/name', kind: 'APIService', group: 'apiregistration.k8s.io' },
      {
        path: 'webhooks/clientConfig/service',
        kind: 'ValidatingWebhookConfiguration',
        group: 'admissionregistration.k8s.io',
      },
      {
        path: 'webhooks/clientConfig/service',
        kind: 'MutatingWebhookConfiguration',
        group: 'admissionregistration.k8s.io',
      },
    ],
  },
  {
    gvk: { kind: 'Role', group: rbac },
    referrers: [{ path: 'roleRef/name', kind: 'RoleBinding', group: rbac }],
  },
  {
    gvk: { kind: 'ClusterRole', group: rbac },
    referrers: [
      { path: 'roleRef/name', kind: 'RoleBinding', group: rbac },
      { path: 'roleRef/name', kind: 'ClusterRoleBinding', group: rbac },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'ServiceAccount' },
    referrers: [
      { path: 'subjects', kind: 'RoleBinding', group: rbac },
      { path: 'subjects', kind: 'ClusterRoleBinding', group: rbac },
      ...podField('serviceAccountName'),
    ],
  },
  {
    gvk: { version: 'v1', kind: 'PersistentVolumeClaim' },
    referrers: podField('volumes/persistentVolumeClaim/claimName'),
  },
  {
    gvk: { version: 'v1', kind: 'PersistentVolume' },
    referrers: [
      { path: 'spec/volumeName', kind: 'PersistentVolumeClaim' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
    ],
  },
  {
    gvk: { version: 'v1', group: 'storage.k8s.io', kind: 'StorageClass' },
    referrers: [
      { path: 'spec/storageClassName', kind: 'PersistentVolume' },
      { path: 'spec/storageClassName', kind: 'PersistentVolumeClaim' },
      { path: 'spec/volumeClaimTemplates/spec/storageClassName', kind: 'StatefulSet' },
    ],
  },
  {
    gvk: { version: 'v1', group: 'scheduling.k8s.io', kind: 'PriorityClass' },
    referrers: podField('priorityClassName'),
  },
  {
    gvk: { kind: 'ValidatingAdmissionPolicy', group: 'admissionregistration.k8s.io' },
    referrers: [
      {
        path: 'spec/policyName',
        kind: 'ValidatingAdmissionPolicyBinding',
        group: 'admissionregistration.k8s.io',
      },
    ],
  },
  {
    // kustomize's default config spells this group with the version; it never matches.
    gvk: { version: 'v1', group: 'networking.k8s.io/v1', kind: 'IngressClass' },
    referrers: [{ path: 'spec/ingressClassName', kind: 'Ingress' }],
  },
];

export const namespaceSpecs: FieldSpec[] = [
  { path: 'metadata/namespace', create: true },
  { path: 'metadata/name', kind: 'Namespace', create: true },
  { path: 'subjects[]/namespace', kind: 'RoleBinding' },
  { path: 'subjects[]/namespace', kind: 'ClusterRoleBinding' },
  { path: 'spec/service/namespace', group: 'apiregistration.k8s.io', kind: 'APIService', create: true },
  {
    path: 'spec/conversion/webhook/clientConfig/service/namespace',
    group: 'apiextensions.k8s.io',
    kind: 'CustomResourceDefinition',
  },
];

const affinityPaths = [
  'spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels',
];

/** Labels on objects and pod templates (also used by `labels` with includeTemplates). */
export const templateLabelSpecs: FieldSpec[] = [
  { path: 'metadata/labels', create: true },
  { path: 'spec/template/metadata/labels', create: true, version: 'v1', kind: 'ReplicationController' },
  { path: 'spec/template/metadata/labels', create: true, kind: 'Deployment' },
  { path: 'spec/template/metadata/labels', create: true, kind: 'ReplicaSet' },
  { path: 'spec/template/metadata/labels', create: true, kind: 'DaemonSet' },
  { path: 'spec/template/metadata/labels', create: true, group: 'apps', kind: 'StatefulSet' },
  { path: 'spec/volumeClaimTemplates[]/metadata/labels', create: true, group: 'apps', kind: 'StatefulSet' },
  { path: 'spec/template/metadata/labels', create: true, group: 'batch', kind: 'Job' },
  { path: 'spec/jobTemplate/metadata/labels', create: true, group: 'batch', kind: 'CronJob' },
  { path: 'spec/jobTemplate/spec/template/metadata/labels', create: true, group: 'batch', kind: 'CronJob' },
];

export const commonLabelSpecs: FieldSpec[] = [
  { path: 'spec/selector', create: true, version: 'v1', kind: 'Service' },
  { path: 'spec/selector', create: true, version: 'v1', kind: 'ReplicationController' },
  { path: 'spec/selector/matchLabels', create: true, kind: 'Deployment' },
  ...affinityPaths.map((path) => ({ path, create: false, group: 'apps', kind: 'Deployment' })),
  { path: 'spec/selector/matchLabels', create: true, kind: 'ReplicaSet' },
  { path: 'spec/selector/matchLabels', create: true, kind: 'DaemonSet' },
  { path: 'spec/selector/matchLabels', create: true, group: 'apps', kind: 'StatefulSet' },
  { path: 'spec/volumeClaimTemplates[]/metadata/labels', create: true, group: 'apps', kind: 'StatefulSet' },
  ...affinityPaths.map((path) => ({ path, create: false, group: 'apps', kind: 'StatefulSet' })),
  { path: 'spec/selector/matchLabels', create: false, group: 'batch', kind: 'Job' },
  { path: 'spec/jobTemplate/spec/selector/matchLabels', create: false, group: 'batch', kind: 'CronJob' },
  { path: 'spec/selector/matchLabels', create: false, group: 'policy', kind: 'PodDisruptionBudget' },
  { path: 'spec/podSelector/matchLabels', create: false, group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  {
    path: 'spec/ingress/from/podSelector/matchLabels',
    create: false,
    group: 'networking.k8s.io',
    kind: 'NetworkPolicy',
  },
  {
    path: 'spec/egress/to/podSelector/matchLabels',
    create: false,
    group: 'networking.k8s.io',
    kind: 'NetworkPolicy',
  },
  ...templateLabelSpecs,
];

export const commonAnnotationSpecs: FieldSpec[] = [
  { path: 'metadata/annotations', create: true },
  { path: 'spec/template/metadata/annotations', create: true, version: 'v1', kind: 'ReplicationController' },
  { path: 'spec/template/metadata/annotations', create: true, kind: 'Deployment' },
  { path: 'spec/template/metadata/annotations', create: true, kind: 'ReplicaSet' },
  { path: 'spec/template/metadata/annotations', create: true, kind: 'DaemonSet' },
  { path: 'spec/template/metadata/annotations', create: true, kind: 'StatefulSet' },
  { path: 'spec/template/metadata/annotations', create: true, group: 'batch', kind: 'Job' },
  { path: 'spec/jobTemplate/metadata/annotations', create: true, group: 'batch', kind: 'CronJob' },
  {
    path: 'spec/jobTemplate/spec/template/metadata/annotations',
    create: true,
    group: 'batch',
    kind: 'CronJob',
  },
];

export const imageSpecs: FieldSpec[] = [
  { path: 'spec/containers[]/image', create: true },
  { path: 'spec/initContainers[]/image', create: true },
  { path: 'spec/volumes[]/image/reference', create: true },
  { path: 'spec/template/spec/containers[]/image', create: true },
  { path: 'spec/template/spec/initContainers[]/image', create: true },
  { path: 'spec/template/spec/volumes[]/image/reference', create: true },
];

export const replicaSpecs: FieldSpec[] = [
  'Deployment',
  'ReplicationController',
  'ReplicaSet',
  'StatefulSet',
].map((kind) => ({ path: 'spec/replicas', create: true, kind }));

const varPodPaths = [
  'containers/args',
  'containers/command',
  'containers/env/value',
  'containers/volumeMounts/mountPath',
  'initContainers/args',
  'initContainers/command',
  'initContainers/env/value',
  'initContainers/volumeMounts/mountPath',
  'volumes/nfs/server',
];

export const varReferenceSpecs: FieldSpec[] = [
  ...varPodPaths.map((p) => ({ path: `spec/jobTemplate/spec/template/spec/${p}`, kind: 'CronJob' })),
  ...['DaemonSet', 'Deployment'].flatMap((kind) =>
    varPodPaths.map((p) => ({ path: `spec/template/spec/${p}`, kind })),
  ),
  { path: 'spec/rules/host', kind: 'Ingress' },
  { path: 'spec/tls/hosts', kind: 'Ingress' },
  { path: 'spec/tls/secretName', kind: 'Ingress' },
  ...varPodPaths.map((p) => ({ path: `spec/template/spec/${p}`, kind: 'Job' })),
  ...varPodPaths.map((p) => ({ path: `spec/${p}`, kind: 'Pod' })),
  ...varPodPaths.map((p) => ({ path: `spec/template/spec/${p}`, kind: 'ReplicaSet' })),
  { path: 'spec/ports/port', kind: 'Service' },
  { path: 'spec/ports/targetPort', kind: 'Service' },
  ...varPodPaths.slice(0, 8).map((p) => ({ path: `spec/template/spec/${p}`, kind: 'StatefulSet' })),
  { path: 'spec/volumeClaimTemplates/spec/nfs/server', kind: 'StatefulSet' },
  { path: 'spec/nfs/server', kind: 'PersistentVolume' },
  { path: 'metadata/labels' },
  { path: 'metadata/annotations' },
  // kustomize v5.5 also substitutes in pod template annotations and in the CronJob volume path
  // its configuration has always spelled without `spec` (jobTemplate/spec/template/volumes).
  { path: 'spec/template/metadata/annotations' },
  { path: 'spec/jobTemplate/spec/template/metadata/annotations', kind: 'CronJob' },
  { path: 'spec/jobTemplate/spec/template/volumes/nfs/server', kind: 'CronJob' },
];
