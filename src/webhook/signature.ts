// Push-event authentication, pure: GitHub (`X-Hub-Signature-256: sha256=<hmac>`), GitLab
// (`X-Gitlab-Token: <token>`) and generic HMAC-SHA256 (`X-Signature: sha256=<hmac>`), all compared
// in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Provider = 'github' | 'gitlab' | 'generic';

export type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Length is not secret (it is the digest length); compare anyway to keep the time constant.
  return x.length === y.length && timingSafeEqual(x, y);
}

function hmacHex(token: string, body: Buffer): string {
  return createHmac('sha256', token).update(body).digest('hex');
}

/** Which provider authenticated the request, or undefined when no signature matches. */
export function verifySignature(headers: Headers, body: Buffer, token: string): Provider | undefined {
  if (!token) return undefined;
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined) return safeEqual(github, `sha256=${hmacHex(token, body)}`) ? 'github' : undefined;
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) return safeEqual(gitlab, token) ? 'gitlab' : undefined;
  const generic = header(headers, 'x-signature');
  if (generic !== undefined)
    return safeEqual(generic, `sha256=${hmacHex(token, body)}`) ? 'generic' : undefined;
  return undefined;
}

/** Signs a body the way GitHub does, for clients and tests. */
export function signGitHub(body: Buffer | string, token: string): string {
  return `sha256=${hmacHex(token, Buffer.from(body))}`;
}

/** The git ref a push event is about (`refs/heads/main`), when the payload says. */
export function pushedRef(body: Buffer): string | undefined {
  try {
    const payload = JSON.parse(body.toString('utf8')) as { ref?: unknown };
    return typeof payload.ref === 'string' ? payload.ref : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an event for `ref` concerns a GitRepository tracking `spec.ref` (undefined ref: yes). */
export function refMatches(
  ref: string | undefined,
  spec: { branch?: string; tag?: string; semver?: string; name?: string; commit?: string } | undefined,
): boolean {
  if (!ref) return true;
  if (spec?.name) return ref === spec.name;
  if (spec?.tag || spec?.semver) return ref.startsWith('refs/tags/');
  if (spec?.branch) return ref === `refs/heads/${spec.branch}`;
  // No ref (the remote's default branch) or a bare commit: any branch push may matter.
  return ref.startsWith('refs/heads/');
}
