// Container probes as kubelet runs them: httpGet (2xx/3xx passes), tcpSocket, exec (inside the container's
// mount and network namespaces through nsenter), with initialDelaySeconds, periodSeconds, timeoutSeconds,
// successThreshold and failureThreshold from the spec.
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

export interface ProbeSpec {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ProbeTarget {
  podIp: string;
  /** Named container ports -> numbers. */
  ports: Map<string, number>;
  /** The container's main pid (exec probes enter its namespaces). */
  pid: () => number | undefined;
  env: Record<string, string>;
}

function portOf(port: number | string, target: ProbeTarget): number {
  if (typeof port === 'number') return port;
  return target.ports.get(port) ?? Number(port);
}

/** One probe attempt: true when it passes. */
export function probeOnce(spec: ProbeSpec, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
  if (spec.httpGet) {
    const get = spec.httpGet;
    const https = (get.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
    return new Promise((resolvePromise) => {
      const req = (https ? httpsRequest : httpRequest)(
        {
          host: get.host ?? target.podIp,
          port: portOf(get.port, target),
          path: get.path ?? '/',
          method: 'GET',
          timeout: timeoutMs,
          headers: Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value])),
          ...(https ? { rejectUnauthorized: false } : {}),
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          resolvePromise(status >= 200 && status < 400);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolvePromise(false));
      req.end();
    });
  }
  if (spec.tcpSocket) {
    const tcp = spec.tcpSocket;
    return new Promise((resolvePromise) => {
      const socket = connect({ host: tcp.host ?? target.podIp, port: portOf(tcp.port, target), timeout: timeoutMs });
      socket.on('connect', () => {
        socket.destroy();
        resolvePromise(true);
      });
      socket.on('timeout', () => {
        socket.destroy();
        resolvePromise(false);
      });
      socket.on('error', () => resolvePromise(false));
    });
  }
  if (spec.exec) {
    const pid = target.pid();
    if (pid === undefined) return Promise.resolve(false);
    const argv = ['-t', String(pid), '-m', '-n', '--', ...spec.exec.command];
    return new Promise((resolvePromise) => {
      execFile('nsenter', argv, { timeout: timeoutMs, env: target.env }, (error) => resolvePromise(!error));
    });
  }
  return Promise.resolve(true);
}

/**
 * Runs one probe on its period; `onResult(ok)` is called when the thresholded result changes (first call once
 * the threshold is first met either way).
 */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private result: boolean | undefined;
  private stopped = false;

  constructor(
    private readonly spec: ProbeSpec,
    private readonly target: ProbeTarget,
    private readonly onResult: (ok: boolean) => void,
  ) {}

  start(): void {
    this.timer = setTimeout(() => void this.tick(), (this.spec.initialDelaySeconds ?? 0) * 1000);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const ok = await probeOnce(this.spec, this.target);
    if (this.stopped) return;
    if (ok) {
      this.successes++;
      this.failures = 0;
      if (this.result !== true && this.successes >= (this.spec.successThreshold ?? 1)) {
        this.result = true;
        this.onResult(true);
      }
    } else {
      this.failures++;
      this.successes = 0;
      if (this.result !== false && this.failures >= (this.spec.failureThreshold ?? 3)) {
        this.result = false;
        this.onResult(false);
      }
    }
    this.timer = setTimeout(() => void this.tick(), (this.spec.periodSeconds ?? 10) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
