// `mooring ui`: a local web page over the cluster, with the user's own kubeconfig (the server is
// only loaded when this command runs; see src/ui/).
import { CliError, type Command } from './command.js';
import { connectionFlags, withSession } from './common.js';
import { describeError } from './errors.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';

const flags = {
  ...connectionFlags,
  'all-namespaces': {
    type: 'boolean',
    short: 'A',
    default: false,
    help: 'Show the objects of every namespace',
  },
  port: {
    type: 'string',
    default: '9898',
    help: 'Port to serve the page on (0: any free port)',
    value: 'PORT',
  },
  address: {
    type: 'string',
    default: '127.0.0.1',
    help: 'Address to listen on; anything but loopback lets others act with your credentials',
    value: 'IP',
  },
  'artifact-host': {
    type: 'string',
    help: "Replace the host[:port] of the source-controller's artifact URLs when computing drift",
    value: 'HOST:PORT',
  },
} satisfies FlagSpecs;

export const uiCommand: Command = {
  name: 'ui',
  usage: `Run a local web server that shows GitRepositories and Kustomizations (status, revision,
graph, inventory health, events, history and drift) and lets you sync, suspend and resume them.
It talks to the cluster with your kubeconfig, like kubectl: what you see and do is what your RBAC
allows. Changes in the cluster appear on the page as they happen.

Usage: mooring ui [flags]

Examples:
  mooring ui -n flux-system          # then open http://127.0.0.1:9898/
  mooring ui -A --port 8080

Exit status: 0 after Ctrl-C; 1 when the cluster cannot be reached or the port is taken;
2 on a usage error.

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    if (positionals.length) throw new CliError(`unexpected argument "${positionals[0]}"`, 2);
    const port = Number(f.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new CliError(`--port: invalid port "${f.port}"`, 2);
    if (f['all-namespaces'] && f.namespace)
      throw new CliError('--namespace cannot be combined with --all-namespaces', 2);
    const { UiStore } = await import('../ui/store.js');
    const { UiServer } = await import('../ui/server.js');
    const { createLogger } = await import('../runtime/logger.js');
    return withSession(f, async (s) => {
      const logger = createLogger({ level: 'error', encoding: 'console' });
      const namespace = f['all-namespaces'] ? undefined : s.namespace;
      const store = new UiStore(s.client, namespace, logger);
      store.start();
      let server: InstanceType<typeof UiServer> | undefined;
      try {
        await store.waitForSync(30_000);
        server = new UiServer({
          store,
          client: s.client,
          logger,
          address: f.address,
          port,
          ...(f['artifact-host'] ? { artifactHost: f['artifact-host'] } : {}),
        });
        let url: string;
        try {
          url = await server.listen();
        } catch (err) {
          throw new CliError(`cannot listen on ${f.address}:${port}: ${(err as Error).message}`);
        }
        const loopback = /^(127\.|::1$|localhost$)/.test(f.address);
        if (!loopback)
          process.stderr.write(
            `warning: listening on ${f.address}: anyone who can reach it acts on the cluster with your credentials\n`,
          );
        console.log(
          `mooring ui: serving ${url} (${namespace ? `namespace ${namespace}` : 'all namespaces'}); Ctrl-C to stop`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        return 0;
      } catch (err) {
        throw describeError(err, s);
      } finally {
        await server?.close();
        await store.stop();
      }
    });
  },
};
