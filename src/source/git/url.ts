// GitRepository URLs: only http://, https:// and ssh:// (Flux rejects scp-like `user@host:repo`).
import { GitError } from './types.js';

export interface GitUrl {
  protocol: 'http' | 'https' | 'ssh';
  hostname: string;
  /** Explicit port or undefined for the scheme default. */
  port?: number;
  username: string;
  password: string;
  /** Path as in the URL, decoded, starting with '/'. */
  path: string;
  /** The URL without userinfo, safe for messages and logs. */
  redacted: string;
}

export function parseGitUrl(raw: string): GitUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new GitError('InvalidURL', `invalid Git URL '${redactUrl(raw)}'`);
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (protocol !== 'http' && protocol !== 'https' && protocol !== 'ssh') {
    throw new GitError(
      'InvalidURL',
      `unsupported Git URL scheme '${protocol}' in '${redactUrl(raw)}': use http://, https:// or ssh://`,
    );
  }
  if (!u.hostname) throw new GitError('InvalidURL', `Git URL '${redactUrl(raw)}' has no host`);
  // `ssh -oProxyCommand=…`: a host that reads as an option. git refuses it too; so do we, first.
  if (u.hostname.startsWith('-'))
    throw new GitError('InvalidURL', `Git URL '${redactUrl(raw)}' has a host starting with '-'`);
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const result: GitUrl = {
    protocol,
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    username,
    password,
    path: decodeURIComponent(u.pathname || '/'),
    redacted: u.toString(),
  };
  if (u.port) result.port = Number(u.port);
  return result;
}

/** The URL with any userinfo removed; best effort for strings that do not parse. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^/@\s]*@/g, '//');
  }
}

const isSchemeChar = (c: string) => /[a-z0-9+.-]/i.test(c);
const isLetter = (c: string) => /[a-z]/i.test(c);
const isUserinfoChar = (c: string) => !/[/@\s'"]/.test(c);

/**
 * What `text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]*@/gi, '$1')` does, in linear time (the
 * regex retries every letter of a long word, so tool output from a hostile server costs O(n²)):
 * for each `://`, the scheme is the run of scheme characters before it from its first letter on,
 * and a userinfo run right after it that ends in `@` is dropped.
 */
function stripUserinfo(text: string): string {
  let out = '';
  let copied = 0;
  for (let k = text.indexOf('://'); k >= 0; k = text.indexOf('://', k + 1)) {
    let start = k;
    while (start > copied && isSchemeChar(text[start - 1]!)) start--;
    while (start < k && !isLetter(text[start]!)) start++;
    if (start === k) continue;
    let end = k + 3;
    while (end < text.length && isUserinfoChar(text[end]!)) end++;
    if (text[end] !== '@') continue;
    out += text.slice(copied, k + 3);
    copied = end + 1;
  }
  return out + text.slice(copied);
}

/** Remove userinfo from any URL in `text` and every given secret value. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = stripUserinfo(text);
  for (const s of secrets) {
    if (s) out = out.split(s).join('***');
    // Multi-line secrets (keys) may appear line by line in tool output.
    for (const line of s.split('\n')) {
      const l = line.trim();
      if (l.length >= 16) out = out.split(l).join('***');
    }
  }
  return out;
}
