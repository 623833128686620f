import { KubeConfig } from '../../src/kube/kubeconfig.js';
import type { ClusterState } from '../cluster/cluster.js';

export function kubeConfigFor(state: ClusterState): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  return kc;
}
