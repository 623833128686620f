// Writes a kustomize tree of about 2,000 objects: a base of N Deployments, Services,
// ServiceAccounts and ConfigMaps, an intermediate overlay (prefix, labels, images, a JSON patch
// on every Deployment, one strategic merge patch, a generator) and a top overlay (namespace,
// suffix, more labels, annotations, replicas, another generator merged into the first).
//
//   node .build/bench/kustomize/generate.js DIR [N=500]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateTree(dir: string, n = 500): void {
  const base = join(dir, 'base');
  const mid = join(dir, 'overlays/mid');
  const top = join(dir, 'overlays/prod');
  for (const d of [base, mid, top]) mkdirSync(d, { recursive: true });

  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  labels:
    app: app-${i}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app-${i}
  template:
    metadata:
      labels:
        app: app-${i}
    spec:
      serviceAccountName: sa-${i}
      containers:
      - name: main
        image: registry.example.com/team/app:1.0.${i % 10}
        ports:
        - containerPort: 8080
          name: http
        envFrom:
        - configMapRef:
            name: config-${i}
        - configMapRef:
            name: shared
        resources:
          limits:
            cpu: 500m
            memory: 256Mi
      - name: proxy
        image: envoyproxy/envoy:v1.29.0
        args: ["--config", "/etc/envoy/envoy.yaml"]
      volumes:
      - name: cfg
        configMap:
          name: config-${i}`);
    docs.push(`apiVersion: v1
kind: Service
metadata:
  name: app-${i}
spec:
  selector:
    app: app-${i}
  ports:
  - port: 80
    targetPort: http`);
    docs.push(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-${i}`);
    docs.push(`apiVersion: v1
kind: ConfigMap
metadata:
  name: config-${i}
data:
  LOG_LEVEL: info
  INDEX: "${i}"
  description: "configuration for application number ${i} of the benchmark"`);
  }
  writeFileSync(join(base, 'resources.yaml'), `${docs.join('\n---\n')}\n`);
  writeFileSync(
    join(base, 'kustomization.yaml'),
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- resources.yaml\n',
  );

  writeFileSync(
    join(mid, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
namePrefix: team-
commonLabels:
  team: platform
images:
- name: registry.example.com/team/app
  newName: registry.example.com/team/app-hardened
  newTag: "2.0"
- name: envoyproxy/envoy
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
configMapGenerator:
- name: shared
  literals:
  - REGION=eu-west-1
  - TIER=gold
patches:
- target:
    kind: Deployment
  patch: |-
    - op: add
      path: /spec/template/metadata/annotations
      value:
        prometheus.io/scrape: "true"
    - op: replace
      path: /spec/template/spec/containers/0/resources/limits/memory
      value: 512Mi
- path: smp.yaml
`,
  );
  writeFileSync(
    join(mid, 'smp.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-0
spec:
  template:
    spec:
      containers:
      - name: main
        env:
        - name: DEBUG
          value: "1"
`,
  );

  writeFileSync(
    join(top, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../mid
namespace: production
nameSuffix: -prod
labels:
- pairs:
    env: prod
  includeSelectors: false
commonAnnotations:
  owner: sre@example.com
replicas:
- name: team-app-1
  count: 3
configMapGenerator:
- name: shared
  behavior: merge
  literals:
  - TIER=platinum
`,
  );
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''));
if (isMain) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: generate.js DIR [N]');
    process.exit(2);
  }
  generateTree(dir, Number(process.argv[3] ?? 500));
  console.log(`${dir}/overlays/prod`);
}
