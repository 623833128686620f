// What the scale and soak benchmarks share: the applications of the fleet, the controller's node
// flags as shipped, and readings of the controller process (peak RSS, CPU, metrics).
import { readFileSync } from 'node:fs';

/** Application i of the fleet: a ServiceAccount, a Service, a Deployment scaled to 0, an Ingress. */
export function app(i: number, image = 'nginx:1.27.0'): Record<string, string> {
  const n = `app-${i}`;
  return {
    [`apps/${n}/sa.yaml`]: `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${n}\n`,
    [`apps/${n}/svc.yaml`]: `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${n}\nspec:\n  selector:\n    app: ${n}\n  ports:\n    - port: 80\n`,
    [`apps/${n}/deploy.yaml`]: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${n}\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n      app: ${n}\n  template:\n    metadata:\n      labels:\n        app: ${n}\n    spec:\n      serviceAccountName: ${n}\n      containers:\n        - name: app\n          image: ${image}\n`,
    [`apps/${n}/ingress.yaml`]: `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${n}\nspec:\n  rules:\n    - host: ${n}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: ${n}\n                port:\n                  number: 80\n`,
  };
}

export interface Sample {
  rssKb: number;
  cpuS: number;
}

export function procSample(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fields = (p: number) => readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const stat = fields(pid);
  // The controller's CPU, its reaped children's (cutime, cstime) and its live build processes'.
  let ticks = Number(stat[11]) + Number(stat[12]) + Number(stat[13]) + Number(stat[14]);
  for (const kid of children(pid)) {
    try {
      const k = fields(kid);
      ticks += Number(k[11]) + Number(k[12]);
    } catch {
      // exited meanwhile
    }
  }
  return { rssKb: hwm, cpuS: ticks / 100 };
}

/** The controller's child processes (its build processes). */
export function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Peak RSS (VmHWM) of the controller's live child processes, summed, in KiB. */
export function childrenPeakKb(pid: number): number {
  let sum = 0;
  for (const kid of children(pid)) {
    try {
      sum += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${kid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return sum;
}

/** p99 and max event-loop delay since the previous scrape (prom-client resets the histogram on each). */
export async function eventLoopDelay(port: number): Promise<string> {
  // One scrape: the next one would see a fresh histogram.
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const ms = (name: string) =>
    (Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) * 1000).toFixed(0);
  return `${ms('nodejs_eventloop_lag_p99_seconds')} / ${ms('nodejs_eventloop_lag_max_seconds')} ms`;
}

/** Current (not peak) RSS of a process, in KiB. */
export function currentRssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** A gauge or counter of the controller's /metrics without labels. */
export async function metricValue(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** `used/total MiB` of the V8 heap at the end, from the controller's process metrics. */
export async function heapFigures(port: number): Promise<string> {
  const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
  const used = await metricValue(port, 'nodejs_heap_size_used_bytes');
  return `${mib(used)}/${mib(await metricValue(port, 'nodejs_heap_size_total_bytes'))} MiB`;
}

export async function metricsPort(logs: () => string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const m = /"metricsPort":(\d+)/.exec(logs());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('controller did not report its metrics port');
}

/**
 * The controller runs with the node flags of the Deployment's command (config/manager), so the
 * figures are those of the shipped configuration; MOORING_CONTROLLER_NODE_ARGS overrides them.
 */
export function deployedNodeFlags(): string {
  const text = readFileSync(new URL('../../../config/manager/deployment.yaml', import.meta.url), 'utf8');
  const command = /\n(\s+)command:\n((?:\1 {2}- .*\n)+)/.exec(text)?.[2] ?? '';
  return [...command.matchAll(/- (--\S+)/g)].map((m) => m[1]).join(' ');
}
