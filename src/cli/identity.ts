// `mooring identity NAME --url ssh://…`: the seed's `fluxctl identity`. Makes sure Secret NAME
// holds an SSH deploy key in the format GitRepository.spec.secretRef reads (`identity`,
// `identity.pub`, `known_hosts`) and prints the public key to register with the Git host. The
// private key is written to the Secret only, never printed.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { isAlreadyExists, isNotFound } from '../kube/errors.js';
import { CoreTypes, collectionPath, objectPath } from '../kube/resource.js';
import { CliError, type Command } from './command.js';
import { connectionFlags, parseTimeout, type Session, withSession } from './common.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';

// SSH libraries load on first use: this module is part of every `mooring` process, the controller's too.
const requireCjs = createRequire(import.meta.url);
const ssh2 = (): typeof import('ssh2') => requireCjs('ssh2') as typeof import('ssh2');
const sshpk = (): typeof import('sshpk') => requireCjs('sshpk') as typeof import('sshpk');

const flags = {
  ...connectionFlags,
  url: {
    type: 'string',
    help: 'SSH URL of the repository, ssh://user@host[:port]/path (needed to create the Secret)',
    value: 'URL',
  },
  rsa: { type: 'boolean', default: false, help: 'Generate an RSA 4096 key instead of ed25519' },
  timeout: {
    type: 'string',
    default: '30s',
    help: "How long to wait for the SSH host's key",
    value: 'DURATION',
  },
} satisfies FlagSpecs;

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
}

export function parseSshUrl(raw: string): SshEndpoint {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`--url: "${raw}" is not a URL; expected ssh://user@host[:port]/path`, 2);
  }
  if (u.protocol !== 'ssh:')
    throw new CliError(`--url: "${raw}" is not an SSH URL; expected ssh://user@host[:port]/path`, 2);
  if (!u.hostname) throw new CliError(`--url: "${raw}" has no host`, 2);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port ? Number(u.port) : 22, user: decodeURIComponent(u.username) || 'git' };
}

/** known_hosts' name for a host: `host` on port 22, `[host]:port` otherwise (OpenSSH). */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export interface HostKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`… */
  type: string;
  /** The key blob (RFC 4253 wire format). */
  blob: Buffer;
  fingerprint: string;
}

function hostKeyOf(blob: Buffer): HostKey {
  const len = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + len).toString('latin1');
  const fingerprint = sshpk().parseKey(blob, 'rfc4253').fingerprint('sha256').toString();
  return { type, blob, fingerprint };
}

/**
 * Connects to the SSH server only as far as key exchange, and answers the host key it presented
 * (the connection is then refused on our side: we never authenticate).
 */
export function fetchHostKey(ep: SshEndpoint, timeoutMs: number): Promise<HostKey> {
  return new Promise((resolve, reject) => {
    const conn = new (ssh2().Client)();
    let key: Buffer | undefined;
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      conn.end();
      if (key) resolve(hostKeyOf(key));
      else reject(err ?? new Error('the server presented no host key'));
    };
    conn.on('error', (err) => done(err));
    conn.on('close', () => done());
    conn.on('ready', () => done());
    conn.connect({
      host: ep.host,
      port: ep.port,
      username: ep.user,
      readyTimeout: timeoutMs,
      hostVerifier: (blob: Buffer) => {
        key = Buffer.from(blob);
        // Refuse: what we wanted is the key, and it is captured.
        setImmediate(() => done());
        return false;
      },
    });
  });
}

export interface KeyPair {
  /** OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). */
  privateKey: string;
  /** authorized_keys line. */
  publicKey: string;
}

export function generateKeyPair(rsa: boolean, comment: string): KeyPair {
  const pair = rsa ? generateKeyPairSync('rsa', { modulusLength: 4096 }) : generateKeyPairSync('ed25519');
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = sshpk().parsePrivateKey(pem, 'pem');
  key.comment = comment;
  const pub = key.toPublic();
  pub.comment = comment;
  return { privateKey: key.toString('openssh'), publicKey: pub.toString('ssh').trim() };
}

interface Secret {
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) =>
  s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');

/** The public key of an existing deploy-key Secret: identity.pub, else derived from identity. */
export function publicKeyOf(secret: Secret): string {
  const pub = unb64(secret.data?.['identity.pub'])?.trim();
  if (pub) return pub;
  const identity = unb64(secret.data?.identity);
  if (!identity)
    throw new CliError(
      `Secret '${secret.metadata.namespace}/${secret.metadata.name}' exists but holds no 'identity' key`,
    );
  try {
    return sshpk().parsePrivateKey(identity, 'auto').toPublic().toString('ssh').trim();
  } catch (err) {
    throw new CliError(
      `Secret '${secret.metadata.namespace}/${secret.metadata.name}': cannot read its 'identity' key (${(err as Error).message.split('\n')[0]}); is it passphrase-protected?`,
    );
  }
}

function knownHostsSummary(secret: Secret): string[] {
  const text = unb64(secret.data?.known_hosts) ?? '';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || fields[0]!.startsWith('#')) continue;
    try {
      const fp = sshpk().parseKey(`${fields[1]} ${fields[2]}`, 'ssh').fingerprint('sha256').toString();
      out.push(`host key: ${fields[0]} ${fields[1]} ${fp}`);
    } catch {
      // not a key line we understand: skip it
    }
  }
  return out;
}

async function readSecret(s: Session, name: string): Promise<Secret | undefined> {
  try {
    return await s.client.get<Secret>(objectPath(CoreTypes.secret, s.namespace, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function printExisting(secret: Secret): void {
  for (const line of knownHostsSummary(secret)) console.log(line);
  console.log(`deploy key of Secret ${secret.metadata.namespace}/${secret.metadata.name}:`);
  console.log(publicKeyOf(secret));
}

export const identityCommand: Command = {
  name: 'identity',
  usage: `Make sure Secret NAME holds an SSH deploy key for a GitRepository and print its public key,
to be added to the Git host as a (read-only) deploy key.

When the Secret does not exist, an ed25519 key pair is generated (RSA 4096 with --rsa), the
host's public key is fetched over SSH from --url, and the Secret is created with the keys
'identity' (OpenSSH private key), 'identity.pub' and 'known_hosts'. Check the printed host key
fingerprint against the one your Git host publishes. When the Secret exists, its public key is
printed and nothing changes. The private key is never printed.

Usage: mooring identity NAME [--url ssh://user@host[:port]/path] [flags]

Examples:
  mooring identity podinfo-deploy-key --url ssh://git@github.com/stefanprodan/podinfo -n flux-system
  mooring identity gitea-key --url ssh://git@gitea.local:2222/org/repo.git --rsa
  # Print the public key of an existing Secret
  mooring identity podinfo-deploy-key -n flux-system

Then reference it from the GitRepository: spec.secretRef.name: NAME.

Exit status: 0 on success; 1 when the host key cannot be fetched or the cluster cannot be reached;
2 on a usage error (e.g. --url missing when the Secret must be created).

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    if (positionals.length !== 1)
      throw new CliError(positionals.length ? `unexpected argument "${positionals[1]}"` : 'missing NAME', 2);
    const name = positionals[0]!;
    const endpoint = f.url ? parseSshUrl(f.url) : undefined;
    const timeoutMs = parseTimeout(f.timeout);
    return withSession(f, async (s) => {
      const existing = await readSecret(s, name);
      if (existing) {
        printExisting(existing);
        return 0;
      }
      if (!endpoint)
        throw new CliError(
          `Secret '${s.namespace}/${name}' does not exist; pass --url ssh://… to create it`,
          2,
        );

      let hostKey: HostKey;
      try {
        hostKey = await fetchHostKey(endpoint, timeoutMs);
      } catch (err) {
        throw new CliError(
          `cannot fetch the host key of ${endpoint.host}:${endpoint.port}: ${(err as Error).message}`,
        );
      }
      const hostName = knownHostsName(endpoint.host, endpoint.port);
      const knownHosts = `${hostName} ${hostKey.type} ${hostKey.blob.toString('base64')}\n`;
      const keys = generateKeyPair(f.rsa, `mooring-${s.namespace}-${name}`);
      try {
        await s.client.post(collectionPath(CoreTypes.secret, s.namespace), {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: s.namespace },
          type: 'Opaque',
          data: {
            identity: b64(keys.privateKey),
            'identity.pub': b64(`${keys.publicKey}\n`),
            known_hosts: b64(knownHosts),
          },
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        // Someone created it meanwhile: theirs wins, as if it had existed all along.
        const theirs = await readSecret(s, name);
        if (!theirs) throw err;
        printExisting(theirs);
        return 0;
      }
      console.log(`host key: ${hostName} ${hostKey.type} ${hostKey.fingerprint}`);
      console.log(`✔ Secret ${s.namespace}/${name} created with a new ${f.rsa ? 'RSA 4096' : 'ed25519'} key`);
      console.log('deploy key (add it to the Git host; read-only access is enough):');
      console.log(keys.publicKey);
      return 0;
    });
  },
};
