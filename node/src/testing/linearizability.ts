import type { Violation } from './checkers.js';

/**
 * A linearizability checker for a history of key-value register operations: Wing & Gong's search over
 * a linked list of call/return events, with Porcupine's memoization of (linearized set, state) and the
 * P-compositionality split (each key is an independent register, checked on its own).
 *
 * Outcomes: 'failed' operations definitely did not happen and are dropped; 'unknown' ones (timeouts) may
 * have taken effect at any moment after their call, or never: a put is given an infinite return time
 * (linearizing it last is the same as "never", since a put is always allowed); a get with unknown
 * outcome observed nothing and constrains nothing, so it is dropped.
 */
export interface KvOperation {
  client: number;
  kind: 'put' | 'get';
  key: string;
  /** put: the value written; get: the value read (null = no such key). */
  value: string | null;
  callMs: number;
  returnMs: number;
  outcome: 'ok' | 'failed' | 'unknown';
}

export interface LinearizabilityOptions {
  /** The register's value before the history (null = absent). */
  initial?: string | null;
  /** Search steps per key before giving up (the result then says timedOut, not a violation). */
  maxStepsPerKey?: number;
}

export interface KeyResult {
  key: string;
  ok: boolean;
  timedOut: boolean;
  operations: number;
  steps: number;
  /** For a violation: the operation no linearization could get past. */
  stuckAt?: KvOperation;
}

interface Node {
  op: number;
  isCall: boolean;
  /** For a call: its return event. */
  match: Node | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

/** Check each key's sub-history; the list has one result per key, in key order. */
export function checkKeys(history: readonly KvOperation[], options: LinearizabilityOptions = {}): KeyResult[] {
  const byKey = new Map<string, KvOperation[]>();
  for (const op of history) {
    if (op.outcome === 'failed') continue;
    if (op.outcome === 'unknown' && op.kind === 'get') continue;
    const list = byKey.get(op.key) ?? [];
    list.push(op.outcome === 'unknown' ? { ...op, returnMs: Number.POSITIVE_INFINITY } : op);
    byKey.set(op.key, list);
  }
  return [...byKey.keys()].sort().map((key) => checkRegister(key, byKey.get(key) ?? [], options));
}

/** The linearizability checker as a Violation list, like the other checkers. */
export function checkLinearizability(history: readonly KvOperation[], options: LinearizabilityOptions = {}): Violation[] {
  const out: Violation[] = [];
  for (const r of checkKeys(history, options)) {
    if (r.ok) continue;
    const s = r.stuckAt;
    const where = s
      ? `; stuck at client ${s.client} ${s.kind}(${s.key}${s.kind === 'put' ? `=${s.value}` : ` -> ${s.value}`}) [${s.callMs}, ${s.returnMs}] ms`
      : '';
    out.push({
      checker: 'linearizability',
      message: r.timedOut
        ? `key ${r.key}: search gave up after ${r.steps} steps (${r.operations} operations)`
        : `key ${r.key}: no linearization of ${r.operations} operations${where}`,
    });
  }
  return out;
}

function checkRegister(key: string, ops: KvOperation[], options: LinearizabilityOptions): KeyResult {
  const maxSteps = options.maxStepsPerKey ?? 2_000_000;
  const head = buildEventList(ops);
  const words = Math.ceil(ops.length / 32) || 1;
  const linearized = new Uint32Array(words);
  const cache = new Map<string, Set<string | null>>();
  const stack: Array<{ node: Node; state: string | null }> = [];
  let state: string | null = options.initial ?? null;
  let entry = head.next;
  let steps = 0;
  let deepest = -1;
  let stuckAt: KvOperation | undefined;

  while (head.next !== undefined) {
    if (++steps > maxSteps) return { key, ok: false, timedOut: true, operations: ops.length, steps };
    const node = entry as Node;
    if (node.isCall) {
      const op = ops[node.op];
      const ok = op.kind === 'put' || op.value === state;
      const nextState = op.kind === 'put' ? op.value : state;
      if (ok) {
        setBit(linearized, node.op, true);
        const bits = linearized.join(',');
        let states = cache.get(bits);
        if (!states) {
          states = new Set();
          cache.set(bits, states);
        }
        if (!states.has(nextState)) {
          states.add(nextState);
          stack.push({ node, state });
          state = nextState;
          lift(node);
          entry = head.next;
          continue;
        }
        setBit(linearized, node.op, false);
      }
      entry = node.next;
    } else {
      // A return whose call is not linearized yet: backtrack.
      if (stack.length > deepest) {
        deepest = stack.length;
        stuckAt = ops[node.op];
      }
      const top = stack.pop();
      if (!top) return { key, ok: false, timedOut: false, operations: ops.length, steps, stuckAt };
      state = top.state;
      setBit(linearized, top.node.op, false);
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return { key, ok: true, timedOut: false, operations: ops.length, steps };
}

/** Calls and returns in time order; at equal times calls come first (touching operations overlap). */
function buildEventList(ops: KvOperation[]): Node {
  const events: Array<{ time: number; isCall: boolean; op: number }> = [];
  ops.forEach((op, i) => {
    events.push({ time: op.callMs, isCall: true, op: i });
    events.push({ time: op.returnMs, isCall: false, op: i });
  });
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head: Node = { op: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  const calls = new Map<number, Node>();
  let tail = head;
  for (const e of events) {
    const node: Node = { op: e.op, isCall: e.isCall, match: undefined, prev: tail, next: undefined };
    tail.next = node;
    tail = node;
    if (e.isCall) calls.set(e.op, node);
    else (calls.get(e.op) as Node).match = node;
  }
  return head;
}

/** Take a call and its return out of the list (the operation is linearized). */
function lift(call: Node): void {
  unlink(call);
  unlink(call.match as Node);
}

function unlift(call: Node): void {
  relink(call.match as Node);
  relink(call);
}

function unlink(n: Node): void {
  (n.prev as Node).next = n.next;
  if (n.next) n.next.prev = n.prev;
}

function relink(n: Node): void {
  (n.prev as Node).next = n;
  if (n.next) n.next.prev = n;
}

function setBit(bits: Uint32Array, i: number, on: boolean): void {
  const w = i >>> 5;
  const m = 1 << (i & 31);
  bits[w] = on ? bits[w] | m : bits[w] & ~m;
}
