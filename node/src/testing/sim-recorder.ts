import type { Logger } from '../platform/logger.js';
import type { Counter, Gauge, Histogram, MetricsSink } from '../platform/metrics.js';
import type { AppliedMembershipChange, SnapshotCapture, StateMachine } from '../ports/state-machine.js';
import type { NodeId } from '../raft/types.js';
import type { ApplyEvent, LeaderEvent } from './checkers.js';

const decoder = new TextDecoder();

/** What a simulation run records for its checkers, plus a bounded trace of recent events for humans. */
export class SimRecorder {
  readonly leaders: LeaderEvent[] = [];
  readonly applies: ApplyEvent[] = [];
  private readonly lines: string[] = [];
  private head = 0;
  private readonly lastLeaderTerm = new Map<NodeId, number>();

  constructor(
    private readonly nowMs: () => number,
    private readonly traceLimit = 60,
  ) {}

  trace(line: string): void {
    const text = `${String(this.nowMs()).padStart(7)} ms  ${line}`;
    if (this.lines.length < this.traceLimit) this.lines.push(text);
    else {
      this.lines[this.head] = text;
      this.head = (this.head + 1) % this.traceLimit;
    }
  }

  /** The most recent trace lines, oldest first. */
  lastTrace(): string[] {
    return [...this.lines.slice(this.head), ...this.lines.slice(0, this.head)];
  }

  leader(node: NodeId, term: number): void {
    if (this.lastLeaderTerm.get(node) === term) return;
    this.lastLeaderTerm.set(node, term);
    this.leaders.push({ node, term, atMs: this.nowMs() });
    this.trace(`node-${node} is leader of term ${term}`);
  }

  apply(node: NodeId, index: number, digest: string): void {
    this.applies.push({ node, index, digest, atMs: this.nowMs() });
  }
}

/**
 * Wraps the real state machine of one node incarnation and records every applied command (index and
 * bytes) for the log-matching and durability checkers. Everything else passes straight through.
 */
export class RecordingStateMachine<S extends StateMachine> implements StateMachine {
  constructor(
    readonly inner: S,
    private readonly node: NodeId,
    private readonly recorder: SimRecorder,
  ) {}

  apply(index: number, command: Uint8Array): unknown {
    this.recorder.apply(this.node, index, decoder.decode(command));
    return this.inner.apply(index, command);
  }

  applyMembership(index: number, change: AppliedMembershipChange): void {
    this.recorder.trace(`node-${this.node} applied ${change.type} node-${change.nodeId} at ${index}`);
    this.inner.applyMembership(index, change);
  }

  members(): { id: number; address: string }[] {
    return this.inner.members();
  }

  clusterId(): string {
    return this.inner.clusterId();
  }

  bootstrap(clusterId: string, self: { id: number; address: string }): void {
    this.inner.bootstrap(clusterId, self);
  }

  snapshot(): Uint8Array {
    return this.inner.snapshot();
  }

  captureSnapshot(): SnapshotCapture {
    return this.inner.captureSnapshot();
  }

  restore(data: Uint8Array): void {
    this.recorder.trace(`node-${this.node} restored a snapshot`);
    this.inner.restore(data);
  }
}

/**
 * A metrics sink that tells the cluster when a node's leadership or term gauge moves, so the cluster
 * samples that node's Raft status (term and role) after the event; other metrics are discarded.
 */
export function watchingMetrics(onLeadershipChange: () => void): MetricsSink {
  const noop = { set() {}, inc() {}, observe() {} };
  return {
    gauge: (name): Gauge =>
      name === 'strata_raft_is_leader' || name === 'strata_raft_term' ? { set: () => onLeadershipChange() } : noop,
    counter: (): Counter => noop,
    histogram: (): Histogram => noop,
  };
}

/** A Logger that keeps info and above in the run's trace (debug and trace lines are dropped). */
export function traceLogger(recorder: SimRecorder, prefix: string): Logger {
  const line = (level: string) => (obj: object | string, msg?: string) => {
    if (typeof obj === 'string') return recorder.trace(`${prefix} ${level} ${obj}`);
    let fields = '';
    try {
      fields = JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : v));
    } catch {
      fields = '{...}';
    }
    recorder.trace(`${prefix} ${level} ${msg ?? ''} ${fields === '{}' ? '' : fields}`);
  };
  const logger: Logger = {
    trace() {},
    debug() {},
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: () => logger,
  };
  return logger;
}
