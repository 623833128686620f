// How an error reaches the user: one line, naming the cluster when it was the cluster. Kept apart
// from common.ts so that main.ts can report errors without loading the kube client.
import { ApiError, TransportError } from '../kube/errors.js';
import { CliError } from './command.js';

/**
 * Turns an API or network failure into the one line a user should read: where the cluster is when
 * it cannot be reached, the server's own words otherwise. CliErrors pass through.
 */
export function describeError(err: unknown, session?: { client: { server: URL } }): Error {
  if (err instanceof CliError) return err;
  if (err instanceof TransportError) {
    const cause = err.message.replace(/^[A-Z]+ \S+: /, '');
    const where = session ? ` at ${session.client.server.origin}` : '';
    return new CliError(`cannot reach the Kubernetes API${where}: ${cause}`);
  }
  if (err instanceof ApiError) {
    if (err.code === 401)
      return new CliError(`the cluster refused our credentials (401 Unauthorized): ${err.message}`);
    if (err.code === 403) return new CliError(`forbidden: ${err.message}`);
    return new CliError(err.message);
  }
  return err instanceof Error ? err : new Error(String(err));
}
