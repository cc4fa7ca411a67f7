/**
 * Test support for the gRPC transport: a recording handler, a recording logger, polling, free ports.
 * (Test support only; not imported by production code.)
 */
import { createServer } from 'node:net';
import type { Logger, LogLevel } from '../../platform/logger.js';
import type { Labels, MetricsSink } from '../../platform/metrics.js';
import type { JoinRequest, JoinResponse, TransportHandler } from '../../ports/transport.js';
import type { Message, NodeId } from '../../raft/types.js';

export class RecordingHandler implements TransportHandler {
  readonly messages: Message[] = [];
  /** Sizes of the onMessages calls (one per received batch or snapshot). */
  readonly deliveries: number[] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshotStatus: Array<{ peer: NodeId; ok: boolean }> = [];
  readonly joins: JoinRequest[] = [];
  joinAnswer: (request: JoinRequest) => Promise<JoinResponse> = () => Promise.reject(new Error('no join answer set'));

  onMessages(messages: Message[]): void {
    this.messages.push(...messages);
    this.deliveries.push(messages.length);
  }

  onUnreachable(peer: NodeId): void {
    this.unreachable.push(peer);
  }

  onSnapshotStatus(peer: NodeId, ok: boolean): void {
    this.snapshotStatus.push({ peer, ok });
  }

  onJoin(request: JoinRequest): Promise<JoinResponse> {
    this.joins.push(request);
    return this.joinAnswer(request);
  }
}

export interface LogLine {
  level: LogLevel;
  fields: Record<string, unknown>;
  msg: string;
}

/** A Logger that keeps its lines (children share the list and add their bindings). */
export function recordingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const log = (level: LogLevel) => (obj: object | string, msg?: string) => {
    if (typeof obj === 'string') lines.push({ level, fields: { ...bindings }, msg: obj });
    else lines.push({ level, fields: { ...bindings, ...(obj as Record<string, unknown>) }, msg: msg ?? '' });
  };
  return {
    lines,
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

/** Polls until `check` holds (fails with `what` after timeoutMs). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A port that was free a moment ago (for a peer that is "down" now and comes up later). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** A MetricsSink that sums counter increments per name and label set, e.g. `name{peer=2}`. */
export function recordingMetrics(): MetricsSink & { values: Map<string, number> } {
  const values = new Map<string, number>();
  const key = (name: string, labels?: Labels): string =>
    labels === undefined ? name : `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',')}}`;
  const add = (name: string) => (amount = 1, labels?: Labels) => void values.set(key(name, labels), (values.get(key(name, labels)) ?? 0) + amount);
  return {
    values,
    counter: (name) => ({ inc: add(name) }),
    gauge: (name) => ({ set: (value, labels) => void values.set(key(name, labels), value) }),
    histogram: (name) => ({ observe: add(name) }),
  };
}
