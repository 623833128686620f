import winston from 'winston';

export type LogLevel = 'error' | 'info' | 'debug' | 'trace';
export type LogEncoding = 'json' | 'console';

/** The structured fields a log line may carry (design.md): level, ts and msg are always present. */
export interface LogFields {
  controller?: string;
  controllerKind?: string;
  name?: string;
  namespace?: string;
  reconcileID?: string;
  revision?: string;
  error?: string;
  [key: string]: unknown;
}

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const levels = { error: 0, info: 1, debug: 2, trace: 3 };

function line(encoding: LogEncoding): winston.Logform.Format {
  return winston.format.printf((info) => {
    const { level, message, timestamp: _t, ...rest } = info;
    const fields: Record<string, unknown> = { level, ts: new Date().toISOString(), msg: message };
    for (const [k, v] of Object.entries(rest)) {
      if (typeof k === 'string' && v !== undefined) fields[k] = v instanceof Error ? v.message : v;
    }
    if (encoding === 'json') return JSON.stringify(fields);
    const { level: l, ts, msg, ...extra } = fields;
    const tail = Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
    return `${ts} ${String(l).toUpperCase()} ${msg}${tail}`;
  });
}

class WinstonLogger implements Logger {
  constructor(private readonly w: winston.Logger) {}
  error(msg: string, fields?: LogFields): void {
    this.w.log('error', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.w.log('info', msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.w.log('debug', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.w.child(fields));
  }
}

/** JSON lines on stderr, as Flux's controllers log. */
export function createLogger(
  opts: { level?: LogLevel; encoding?: LogEncoding; silent?: boolean } = {},
): Logger {
  const w = winston.createLogger({
    levels,
    level: opts.level ?? 'info',
    silent: opts.silent ?? false,
    format: line(opts.encoding ?? 'json'),
    transports: [new winston.transports.Stream({ stream: process.stderr })],
  });
  return new WinstonLogger(w);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
