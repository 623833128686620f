// Push-event authentication, pure: GitHub (`X-Hub-Signature-256: sha256=<hmac>`), GitLab
// (`X-Gitlab-Token: <token>`) and generic HMAC-SHA256 (`X-Signature: sha256=<hmac>`). Both sides
// are reduced to fixed-length digests before a constant-time comparison, so neither the token's
// length nor how much of a guess matched shows in the time taken.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type Provider = 'github' | 'gitlab' | 'generic';

export type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Keys the comparison digests; random per process, so digests say nothing outside it. */
const comparisonKey = randomBytes(32);

/** Equal strings, compared as 32-byte HMACs whatever their lengths, in constant time. */
export function digestEqual(a: string, b: string): boolean {
  const x = createHmac('sha256', comparisonKey).update(a).digest();
  const y = createHmac('sha256', comparisonKey).update(b).digest();
  return timingSafeEqual(x, y);
}

function hmacHex(token: string, body: Buffer): string {
  return createHmac('sha256', token).update(body).digest('hex');
}

/** Which provider authenticated the request, or undefined when no signature matches. */
export function verifySignature(headers: Headers, body: Buffer, token: string): Provider | undefined {
  if (!token) return undefined;
  const github = header(headers, 'x-hub-signature-256');
  if (github !== undefined)
    return digestEqual(github, `sha256=${hmacHex(token, body)}`) ? 'github' : undefined;
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) return digestEqual(gitlab, token) ? 'gitlab' : undefined;
  const generic = header(headers, 'x-signature');
  if (generic !== undefined)
    return digestEqual(generic, `sha256=${hmacHex(token, body)}`) ? 'generic' : undefined;
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
