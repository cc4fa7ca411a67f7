import type { NodeId } from '../raft/types.js';

/**
 * Safety and liveness checkers: pure functions over what a simulation recorded. Each returns the
 * violations it finds (empty = fine), so a failing run can print all of them with its seed.
 */
export interface Violation {
  checker: 'election-safety' | 'log-matching' | 'exactly-once' | 'durability' | 'convergence' | 'linearizability' | 'state-agreement';
  message: string;
}

/** A node saw itself become leader of `term`. */
export interface LeaderEvent {
  node: NodeId;
  term: number;
  atMs: number;
}

/** A node applied the entry at `index` to its state machine; `digest` identifies the command bytes. */
export interface ApplyEvent {
  node: NodeId;
  index: number;
  /** The entry's term when the recorder knows it. */
  term?: number;
  digest: string;
  atMs: number;
}

/** Election safety: at most one leader per term. */
export function checkElectionSafety(events: readonly LeaderEvent[]): Violation[] {
  const byTerm = new Map<number, LeaderEvent>();
  const out: Violation[] = [];
  for (const e of events) {
    const first = byTerm.get(e.term);
    if (!first) byTerm.set(e.term, e);
    else if (first.node !== e.node) {
      out.push({
        checker: 'election-safety',
        message: `term ${e.term} has two leaders: node ${first.node} (at ${first.atMs} ms) and node ${e.node} (at ${e.atMs} ms)`,
      });
    }
  }
  return out;
}

/**
 * Log matching / state machine safety: every node that applied index i applied the same command (and
 * the same term when known). A restarted node re-applies entries; that is fine as long as they match.
 */
export function checkLogMatching(events: readonly ApplyEvent[]): Violation[] {
  const byIndex = new Map<number, ApplyEvent>();
  const out: Violation[] = [];
  for (const e of events) {
    const first = byIndex.get(e.index);
    if (!first) {
      byIndex.set(e.index, e);
      continue;
    }
    const termDiffers = first.term !== undefined && e.term !== undefined && first.term !== e.term;
    if (first.digest !== e.digest || termDiffers) {
      out.push({
        checker: 'log-matching',
        message:
          `index ${e.index}: node ${first.node} applied ${first.digest}@t${first.term ?? '?'} but ` +
          `node ${e.node} applied ${e.digest}@t${e.term ?? '?'} (at ${e.atMs} ms)`,
      });
    }
  }
  return out;
}

/**
 * Exactly-once: a command is in the committed log at one index only. Workload commands are unique, so a
 * command at two indexes was appended twice (e.g. a duplicated forwarded proposal): an old write that
 * reappears later overwrites newer ones.
 */
export function checkExactlyOnce(events: readonly ApplyEvent[]): Violation[] {
  const indexOf = new Map<string, number>();
  const reported = new Set<string>();
  const out: Violation[] = [];
  for (const e of events) {
    const first = indexOf.get(e.digest);
    if (first === undefined) indexOf.set(e.digest, e.index);
    else if (first !== e.index && !reported.has(e.digest)) {
      reported.add(e.digest);
      out.push({ checker: 'exactly-once', message: `command ${e.digest} was applied at index ${first} and again at index ${e.index} (node ${e.node})` });
    }
  }
  return out;
}

/** A proposal whose propose() call resolved successfully. */
export interface AckedProposal {
  digest: string;
  ackMs: number;
}

/**
 * Durability: every acknowledged proposal is in the committed log (some node applied it) and every live
 * node's state machine has reached its index (with log matching, that means it is applied there too; a
 * node that caught up by snapshot never applies the entry itself).
 */
export function checkDurability(
  acked: readonly AckedProposal[],
  applied: readonly ApplyEvent[],
  liveAppliedIndex: ReadonlyMap<NodeId, number>,
): Violation[] {
  const indexOf = new Map<string, number>();
  for (const e of applied) if (!indexOf.has(e.digest)) indexOf.set(e.digest, e.index);
  const out: Violation[] = [];
  for (const a of acked) {
    const index = indexOf.get(a.digest);
    if (index === undefined) {
      out.push({ checker: 'durability', message: `acknowledged ${a.digest} (at ${a.ackMs} ms) was never applied anywhere` });
      continue;
    }
    for (const [node, appliedIndex] of liveAppliedIndex) {
      if (appliedIndex < index) {
        out.push({
          checker: 'durability',
          message: `acknowledged ${a.digest} is at index ${index} but live node ${node} only applied up to ${appliedIndex}`,
        });
      }
    }
  }
  return out;
}

/** What a live node reports once faults have stopped. */
export interface NodeSnapshotStatus {
  node: NodeId;
  appliedIndex: number;
  leader: NodeId;
  term: number;
}

/** Convergence: after healing, every live node knows the same leader and applied the same index. */
export function checkConvergence(statuses: readonly NodeSnapshotStatus[], boundMs: number): Violation[] {
  if (statuses.length === 0) return [];
  const describe = statuses.map((s) => `node ${s.node}: leader=${s.leader} term=${s.term} applied=${s.appliedIndex}`).join('; ');
  const leaders = new Set(statuses.map((s) => s.leader));
  const applied = new Set(statuses.map((s) => s.appliedIndex));
  const leader = statuses[0].leader;
  if (leaders.size !== 1 || leader === 0 || applied.size !== 1 || !statuses.some((s) => s.node === leader)) {
    return [{ checker: 'convergence', message: `not converged within ${boundMs} ms after healing: ${describe}` }];
  }
  return [];
}

/** State agreement: nodes at the same applied index hold byte-identical state machine snapshots. */
export function checkStateAgreement(states: ReadonlyArray<{ node: NodeId; appliedIndex: number; digest: string }>): Violation[] {
  const byIndex = new Map<number, { node: NodeId; digest: string }>();
  const out: Violation[] = [];
  for (const s of states) {
    const first = byIndex.get(s.appliedIndex);
    if (!first) byIndex.set(s.appliedIndex, s);
    else if (first.digest !== s.digest) {
      out.push({
        checker: 'state-agreement',
        message: `at applied index ${s.appliedIndex} node ${first.node} and node ${s.node} hold different state`,
      });
    }
  }
  return out;
}
