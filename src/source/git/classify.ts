// What went wrong, from the error output of git, ssh and curl: a GitError reason and a short message
// that never quotes a secret.
import { GitError } from './types.js';

/** Map git/ssh/curl stderr onto a GitError reason with a short, secret-free message. */
export function classify(stderr: string, op: string, redacted: string, hasCredentials: boolean): GitError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(warning: redirecting|hint:)/.test(l));
  const detail = lines.slice(-3).join('; ').slice(0, 500) || 'git failed without output';
  const has = (re: RegExp) => re.test(stderr);
  const msg = (what: string) => `${op} ${redacted}: ${what}`;
  if (has(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/)) {
    return new GitError('HostKeyMismatch', msg("the server's SSH host key does not match 'known_hosts'"));
  }
  if (has(/No \S+ host key is known for|Host key verification failed/)) {
    return new GitError('HostKeyMismatch', msg("the server's SSH host key is not in 'known_hosts'"));
  }
  if (
    has(
      /server certificate verification failed|SSL certificate problem|certificate verify failed|self.signed certificate/i,
    )
  ) {
    return new GitError(
      'HostKeyMismatch',
      msg("the server's TLS certificate is not trusted (check 'ca.crt')"),
    );
  }
  if (has(/certificate required|alert.*bad certificate|getpeername\(\) failed|TLS fatal alert/i)) {
    // The server ended the TLS handshake: with a required client certificate this is how a
    // missing or unaccepted tls.crt/tls.key shows up (OpenSSL and GnuTLS builds word it differently).
    return new GitError(
      'AuthenticationFailed',
      msg("authentication failed: the server refused the TLS handshake (check 'tls.crt'/'tls.key')"),
    );
  }
  if (has(/Permission denied \(|Permission denied, please try again|Too many authentication failures/)) {
    return new GitError(
      'AuthenticationFailed',
      msg("authentication failed: the server rejected the SSH key 'identity'"),
    );
  }
  if (has(/Load key|invalid format|incorrect passphrase|error in libcrypto/)) {
    return new GitError(
      'AuthenticationFailed',
      msg("authentication failed: cannot load the SSH key 'identity'"),
    );
  }
  if (
    has(
      /Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|HTTP 40[13]/,
    )
  ) {
    return new GitError(
      'AuthenticationFailed',
      msg(
        hasCredentials
          ? 'authentication failed: the server rejected the credentials'
          : 'authentication failed: the server requires credentials and none were given',
      ),
    );
  }
  if (
    has(
      /Could not resolve host|Could not resolve hostname|Connection refused|Failed to connect|Network is unreachable|No route to host|Connection reset|Connection timed out|Connection closed by|kex_exchange_identification|Name or service not known|Temporary failure in name resolution/i,
    )
  ) {
    return new GitError('Unreachable', msg(`cannot reach the server (${detail})`));
  }
  if (has(/Operation timed out|Timeout was reached/i)) {
    return new GitError('Timeout', msg(`timed out (${detail})`));
  }
  if (
    has(
      /couldn't find remote ref|Remote branch .* not found|not our ref|unadvertised object|no such remote ref|invalid refspec|upload-pack: not our ref/,
    )
  ) {
    return new GitError('RefNotFound', msg(detail));
  }
  if (has(/repository .* not found|does not appear to be a git repository|returned error: 404/)) {
    return new GitError('GitOperationFailed', msg(`repository not found (${detail})`));
  }
  return new GitError('GitOperationFailed', msg(detail));
}
