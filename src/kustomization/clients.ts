// The API client a Kustomization applies with: the controller's own, an impersonated
// ServiceAccount (spec.serviceAccountName or --default-service-account), or a remote cluster from
// spec.kubeConfig — there too as the ServiceAccount when one is named, as Flux does. Clients are
// cached per identity so connections and discovery are reused.

import { createHash } from 'node:crypto';
import { KubeClient } from '../kube/client.js';
import { RESTMapper } from '../kube/discovery.js';
import { KubeConfig } from '../kube/kubeconfig.js';

export interface ApplyTarget {
  client: KubeClient;
  mapper: RESTMapper;
  /** For messages: "the controller", "ServiceAccount ns/sa", "the cluster in Secret ns/x". */
  identity: string;
}

export interface ClientFactoryOptions {
  /** Flux's --insecure-kubeconfig-tls: a remote kubeconfig may set insecure-skip-tls-verify. */
  insecureKubeConfigTLS?: boolean;
}

/** A ServiceAccount to impersonate: `system:serviceaccount:<namespace>:<name>`. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

const serviceAccountUser = (sa: ServiceAccountRef) => `system:serviceaccount:${sa.namespace}:${sa.name}`;

export class ClientFactory {
  private readonly cache = new Map<string, ApplyTarget>();

  constructor(
    private readonly base: KubeConfig,
    baseClient: KubeClient,
    /** Called for every client made here (e.g. to count its requests in metrics). */
    private readonly instrument: (client: KubeClient) => void = () => undefined,
    private readonly opts: ClientFactoryOptions = {},
  ) {
    this.cache.set('', {
      client: baseClient,
      mapper: new RESTMapper(baseClient),
      identity: 'the controller',
    });
  }

  /** The controller's own identity. */
  controller(): ApplyTarget {
    return this.cache.get('')!;
  }

  /** Impersonates `system:serviceaccount:<namespace>:<name>` against the controller's cluster. */
  impersonate(namespace: string, serviceAccount: string): ApplyTarget {
    const user = serviceAccountUser({ namespace, name: serviceAccount });
    return this.cached(`sa:${user}`, () => {
      const kc = new KubeConfig();
      const current = this.base.getCurrentUser();
      const cluster = this.base.getCurrentCluster();
      if (!cluster) throw new Error('kubeconfig has no current cluster');
      kc.loadFromClusterAndUser(cluster, { ...(current ?? { name: 'controller' }), impersonateUser: user });
      return { kc, identity: `ServiceAccount ${namespace}/${serviceAccount}` };
    });
  }

  /**
   * A remote cluster from kubeconfig text (spec.kubeConfig.secretRef), keyed by its content and
   * the impersonated ServiceAccount. With `as`, every request impersonates that ServiceAccount on
   * the remote cluster (replacing any `as`/`as-groups` of the kubeconfig), as Flux's Impersonator.
   */
  remote(kubeconfigYaml: string, source: string, as?: ServiceAccountRef): ApplyTarget {
    const digest = createHash('sha256').update(kubeconfigYaml).digest('hex');
    const user = as ? serviceAccountUser(as) : '';
    return this.cached(`remote:${digest}:${user}`, () => {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigYaml);
      for (const u of kc.getUsers()) {
        if (u.exec) throw new Error(`kubeconfig in ${source} uses an exec plugin, which is not allowed`);
        // A file path would be read from the controller's own file system (its service-account
        // token, for one) and sent to the remote server: only inline data is accepted.
        if (u.tokenFile || u.certFile || u.keyFile) {
          throw new Error(
            `kubeconfig in ${source} refers to files on the controller; inline the credentials`,
          );
        }
      }
      if (kc.clusters.some((c) => c.caFile)) {
        throw new Error(
          `kubeconfig in ${source} refers to files on the controller; use certificate-authority-data`,
        );
      }
      const insecure = kc.clusters.find((c) => c.skipTLSVerify);
      if (insecure && !this.opts.insecureKubeConfigTLS) {
        throw new Error(
          `kubeconfig in ${source} sets insecure-skip-tls-verify for cluster "${insecure.name}", which is refused unless the controller runs with --insecure-kubeconfig-tls`,
        );
      }
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error(`kubeconfig in ${source} has no current cluster`);
      if (!as) return { kc, identity: `the cluster in ${source}` };
      const { impersonateGroups: _groups, ...current } = kc.getCurrentUser() ?? { name: 'remote' };
      const impersonating = new KubeConfig();
      impersonating.loadFromClusterAndUser(cluster, { ...current, impersonateUser: user });
      return {
        kc: impersonating,
        identity: `ServiceAccount ${as.namespace}/${as.name} on the cluster in ${source}`,
      };
    });
  }

  private cached(key: string, make: () => { kc: KubeConfig; identity: string }): ApplyTarget {
    let target = this.cache.get(key);
    if (!target) {
      const { kc, identity } = make();
      const client = new KubeClient(kc);
      this.instrument(client);
      target = { client, mapper: new RESTMapper(client), identity };
      if (this.cache.size > 256) this.evict();
      this.cache.set(key, target);
    }
    return target;
  }

  private evict(): void {
    for (const [k, v] of this.cache) {
      if (k === '') continue;
      v.client.close();
      this.cache.delete(k);
      return;
    }
  }

  close(): void {
    for (const [k, v] of this.cache) if (k !== '') v.client.close();
  }
}
