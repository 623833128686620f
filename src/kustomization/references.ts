// What a Kustomization's spec refers to in the cluster, read for each pass (never cached between
// passes): the substitution variables, the decryption keys, the cluster its objects go to.
import { readFile } from 'node:fs/promises';
import type { Kustomization } from '../api/kustomization.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { CoreTypes, objectPath } from '../kube/resource.js';
import { errorMessage } from '../runtime/logger.js';
import type { ApplyTarget, ClientFactory } from './clients.js';
import type { KeyFiles } from './decrypt.js';
import { KustomizationStepError } from './outcome.js';
import { collectVars } from './substitute-from.js';

export interface SpecReferencesDeps {
  client: KubeClient;
  clients: ClientFactory;
  defaultServiceAccount?: string;
  /** A file of age identities every Kustomization with spec.decryption may use (SOPS_AGE_KEY_FILE). */
  sopsAgeKeyFile?: string;
}

export class SpecReferences {
  constructor(private readonly deps: SpecReferencesDeps) {}

  async variables(obj: Kustomization): Promise<Record<string, string> | undefined> {
    const pb = obj.spec.postBuild;
    if (!pb || (!pb.substitute && !pb.substituteFrom?.length)) return undefined;
    const ns = obj.metadata.namespace ?? 'default';
    try {
      return await collectVars(pb.substitute, pb.substituteFrom ?? [], (kind, name) =>
        readConfigData(this.deps.client, kind, ns, name),
      );
    } catch (err) {
      throw new KustomizationStepError(
        'BuildFailed',
        `post-build substitutions failed: ${errorMessage(err)}`,
      );
    }
  }

  /**
   * spec.decryption's key files: the referenced Secret's `*.agekey` and `*.asc`, plus the global age
   * keys. Raw bytes: the build process parses them (a bad key fails that build as DecryptionFailed).
   */
  async decryptionKeys(obj: Kustomization): Promise<KeyFiles[] | undefined> {
    const dec = obj.spec.decryption;
    if (!dec) return undefined;
    if (dec.provider !== 'sops') {
      throw new KustomizationStepError(
        'DecryptionFailed',
        `spec.decryption.provider '${dec.provider}' is not supported (only 'sops')`,
        { stalled: true },
      );
    }
    const ns = obj.metadata.namespace ?? 'default';
    const keys: KeyFiles[] = [];
    try {
      const file = this.deps.sopsAgeKeyFile;
      if (file) {
        keys.push({
          from: `the global age key file ${file}`,
          files: [{ name: 'global.agekey', data: await readFile(file) }],
        });
      }
      if (dec.secretRef) {
        const where = `decryption Secret '${ns}/${dec.secretRef.name}'`;
        const data = await readConfigData(this.deps.client, 'Secret', ns, dec.secretRef.name);
        if (!data) throw new KustomizationStepError('DecryptionFailed', `${where} not found`);
        const files = Object.keys(data)
          .sort()
          .map((name) => ({ name, data: Buffer.from(data[name] ?? '', 'base64') }));
        keys.push({ from: where, files });
      }
    } catch (err) {
      if (err instanceof KustomizationStepError) throw err;
      throw new KustomizationStepError('DecryptionFailed', errorMessage(err));
    }
    return keys;
  }

  /** Where the objects go: the controller's client, impersonating a ServiceAccount, or a remote kubeconfig's. */
  async applyTarget(obj: Kustomization): Promise<ApplyTarget> {
    const ns = obj.metadata.namespace ?? 'default';
    const sa = obj.spec.serviceAccountName || this.deps.defaultServiceAccount;
    const secretRef = obj.spec.kubeConfig?.secretRef;
    if (secretRef) {
      const data = await readConfigData(this.deps.client, 'Secret', ns, secretRef.name);
      if (!data)
        throw new KustomizationStepError(
          'ReconciliationFailed',
          `kubeconfig Secret '${ns}/${secretRef.name}' not found`,
        );
      const key = secretRef.key ?? (data.value !== undefined ? 'value' : 'value.yaml');
      const raw = data[key];
      if (raw === undefined)
        throw new KustomizationStepError(
          'ReconciliationFailed',
          `kubeconfig Secret '${ns}/${secretRef.name}' has no key '${key}'`,
        );
      try {
        return this.deps.clients.remote(
          Buffer.from(raw, 'base64').toString('utf8'),
          `Secret ${ns}/${secretRef.name}`,
          sa ? { namespace: ns, name: sa } : undefined,
        );
      } catch (err) {
        throw new KustomizationStepError('ReconciliationFailed', errorMessage(err));
      }
    }
    return sa ? this.deps.clients.impersonate(ns, sa) : this.deps.clients.controller();
  }
}

/** A ConfigMap's or Secret's data for postBuild.substituteFrom and key references; undefined when it does not exist. */
export async function readConfigData(
  client: KubeClient,
  kind: 'ConfigMap' | 'Secret',
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const rt = kind === 'Secret' ? CoreTypes.secret : CoreTypes.configMap;
  try {
    const o = await client.get<{ data?: Record<string, string> }>(objectPath(rt, namespace, name));
    return o.data ?? {};
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
