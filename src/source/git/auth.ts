// Builds GitAuth from a GitRepository's auth Secret, with Flux's keys and validation rules
// (fluxcd/pkg git/options.go): basic auth, bearer token, CA / mTLS for HTTPS; identity,
// optional key password and a required known_hosts for SSH.
import { type GitAuth, GitError } from './types.js';
import { parseGitUrl } from './url.js';

/** Conventional SSH user of Git hosting services, used when neither the secret nor the URL names one. */
export const DEFAULT_SSH_USER = 'git';

/**
 * @param data the Secret's `data` (base64 values).
 * @param url the GitRepository's spec.url; decides which keys apply and supplies userinfo fallbacks.
 * @throws GitError with reason AuthenticationFailed (invalid secret) or InvalidURL.
 */
export function authFromSecret(data: Record<string, string>, url: string): GitAuth {
  const parsed = parseGitUrl(url);
  const get = (key: string): string | undefined => {
    const raw = data[key];
    if (raw === undefined || raw === '') return undefined;
    return Buffer.from(raw, 'base64').toString('utf8');
  };
  const invalid = (msg: string): GitError =>
    new GitError('AuthenticationFailed', `invalid '${parsed.protocol}' auth option: ${msg}`);

  const auth: GitAuth = {};
  const username = get('username') ?? (parsed.username || undefined);
  const password = get('password') ?? (parsed.password || undefined);

  if (parsed.protocol === 'ssh') {
    const identity = get('identity');
    const knownHosts = get('known_hosts');
    if (!identity) throw invalid("'identity' is required");
    if (!knownHosts) throw invalid("'known_hosts' is required for SSH (no trust on first use)");
    auth.username = username ?? DEFAULT_SSH_USER;
    auth.sshIdentity = identity;
    auth.knownHosts = knownHosts;
    // For SSH, `password` is the passphrase of an encrypted identity.
    const passphrase = get('password');
    if (passphrase) auth.sshPassphrase = passphrase;
    return auth;
  }

  if (password && !username) throw invalid("'password' requires 'username' to be set");
  // When both are present the bearer token wins, as in Flux's transport setup.
  const bearerToken = get('bearerToken');
  if (username) auth.username = username;
  if (password) auth.password = password;
  if (bearerToken) auth.bearerToken = bearerToken;

  const caCert = get('ca.crt') ?? get('caFile');
  const tlsCert = get('tls.crt');
  const tlsKey = get('tls.key');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw invalid("'tls.crt' and 'tls.key' must be set together");
  if (caCert) auth.caCert = caCert;
  if (tlsCert && tlsKey) {
    auth.tlsCert = tlsCert;
    auth.tlsKey = tlsKey;
  }
  return auth;
}

/** Every secret value in `auth`, for scrubbing error text. */
export function secretValues(auth: GitAuth | undefined): string[] {
  if (!auth) return [];
  const values = [auth.password, auth.bearerToken, auth.tlsKey, auth.sshIdentity, auth.sshPassphrase];
  return values.filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

/** The proxy password (and the URL that carries it), for scrubbing error text. */
export function proxySecrets(proxyUrl: string | undefined): string[] {
  if (!proxyUrl) return [];
  const u = new URL(proxyUrl);
  const password = decodeURIComponent(u.password);
  return [proxyUrl, ...(password.length >= 4 ? [password, u.password] : [])];
}

/**
 * spec.proxySecretRef's Secret (`address`, optional `username`/`password`, as Flux) → the proxy
 * URL with credentials. Throws GitError AuthenticationFailed naming the missing or bad key.
 */
export function proxyUrlFromSecret(data: Record<string, string>, secretName: string): string {
  const get = (key: string) => (data[key] ? Buffer.from(data[key], 'base64').toString('utf8') : '');
  const address = get('address').trim();
  if (!address) {
    throw new GitError(
      'AuthenticationFailed',
      `invalid proxy secret '${secretName}': key 'address' is missing`,
    );
  }
  let u: URL;
  try {
    u = new URL(address.includes('://') ? address : `http://${address}`);
  } catch {
    throw new GitError(
      'AuthenticationFailed',
      `invalid proxy secret '${secretName}': 'address' is not a URL`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new GitError(
      'AuthenticationFailed',
      `invalid proxy secret '${secretName}': only http:// and https:// proxies are supported`,
    );
  }
  const username = get('username');
  if (username) {
    u.username = encodeURIComponent(username);
    u.password = encodeURIComponent(get('password'));
  }
  return u.toString();
}
