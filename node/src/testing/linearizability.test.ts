import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../platform/random.js';
import { checkKeys, checkLinearizability, type KvOperation } from './linearizability.js';

let clientSeq = 0;
function put(key: string, value: string, callMs: number, returnMs: number, outcome: KvOperation['outcome'] = 'ok'): KvOperation {
  return { client: clientSeq++, kind: 'put', key, value, callMs, returnMs, outcome };
}
function get(key: string, value: string | null, callMs: number, returnMs: number, outcome: KvOperation['outcome'] = 'ok'): KvOperation {
  return { client: clientSeq++, kind: 'get', key, value, callMs, returnMs, outcome };
}

describe('linearizability checker', () => {
  it('accepts sequential and overlapping histories that have a linearization', () => {
    expect(checkLinearizability([put('k', 'a', 0, 10), get('k', 'a', 11, 20), put('k', 'b', 21, 30), get('k', 'b', 31, 40)])).toEqual([]);
    // A read overlapping a write may see either value; two overlapping reads may see old then new.
    expect(checkLinearizability([put('k', 'a', 0, 5), put('k', 'b', 10, 30), get('k', 'a', 12, 14), get('k', 'b', 15, 40)])).toEqual([]);
    expect(checkLinearizability([get('k', null, 0, 5), put('k', 'a', 3, 8)])).toEqual([]);
  });

  it('rejects a stale read after a completed write', () => {
    const v = checkLinearizability([put('k', 'a', 0, 10), put('k', 'b', 11, 20), get('k', 'a', 21, 30)]);
    expect(v).toHaveLength(1);
    expect(v[0].checker).toBe('linearizability');
    expect(v[0].message).toMatch(/key k: no linearization/);
  });

  it('rejects reads that go back in time and reads of values never written', () => {
    // Two sequential reads during one long write: new then old is impossible.
    expect(checkLinearizability([put('k', 'a', 0, 1), put('k', 'b', 5, 100), get('k', 'b', 10, 20), get('k', 'a', 30, 40)])).toHaveLength(1);
    expect(checkLinearizability([put('k', 'a', 0, 1), get('k', 'zzz', 5, 6)])).toHaveLength(1);
  });

  it('drops failed operations, and lets unknown puts take effect late or never', () => {
    // A failed put was not applied, so reading its value is a violation.
    expect(checkLinearizability([put('k', 'a', 0, 5, 'failed'), get('k', 'a', 10, 12)])).toHaveLength(1);
    // An unknown put may show up long after its call timed out...
    expect(checkLinearizability([put('k', 'a', 0, 5, 'unknown'), get('k', null, 10, 12), get('k', 'a', 100, 120)])).toEqual([]);
    // ...or never.
    expect(checkLinearizability([put('k', 'a', 0, 5, 'unknown'), get('k', null, 100, 120)])).toEqual([]);
    // But not before its call.
    expect(checkLinearizability([get('k', 'a', 0, 5), put('k', 'a', 10, 20, 'unknown')])).toHaveLength(1);
  });

  it('checks keys independently and names the bad one', () => {
    const v = checkLinearizability([put('x', '1', 0, 5), put('y', '1', 0, 5), get('x', '1', 6, 7), get('y', null, 6, 7)]);
    expect(v).toHaveLength(1);
    expect(v[0].message).toMatch(/^key y:/);
  });

  it('classifies random histories of an atomic register correctly and stays fast on 2000 operations', () => {
    // Simulate clients against a true atomic register: each op takes effect at a random point inside
    // its [call, return] window, so the history is linearizable by construction.
    const random = new SeededRandom(42);
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const ops: Array<KvOperation & { effectMs: number }> = [];
    const clients = 8;
    const nextFree = new Array<number>(clients).fill(0);
    for (let i = 0; i < 2000; i++) {
      const client = i % clients;
      const callMs = nextFree[client] + random.int(3);
      const returnMs = callMs + 1 + random.int(20);
      nextFree[client] = returnMs + 1;
      const kind = random.next() < 0.5 ? 'put' : 'get';
      const outcome = random.next() < 0.05 ? 'unknown' : 'ok';
      ops.push({ client, kind, key: keys[random.int(keys.length)], value: `v${i}`, callMs, returnMs, outcome, effectMs: callMs + random.next() * (returnMs - callMs) });
    }
    const state = new Map<string, string | null>();
    for (const op of [...ops].sort((a, b) => a.effectMs - b.effectMs)) {
      if (op.kind === 'put') {
        // An unknown put sometimes never happened.
        if (op.outcome === 'unknown' && op.effectMs % 2 < 1) continue;
        state.set(op.key, op.value);
      } else op.value = state.get(op.key) ?? null;
    }
    const started = performance.now();
    const results = checkKeys(ops);
    const elapsedMs = performance.now() - started;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.reduce((n, r) => n + r.operations, 0)).toBeGreaterThan(1800);
    expect(elapsedMs).toBeLessThan(5000);

    // Now make one completed read stale: it returns the value of a write that was overwritten before it began.
    const bad = ops.map((o) => ({ ...o }));
    const victim = bad.find((g, i) => {
      if (g.kind !== 'get' || g.outcome !== 'ok' || i < 500) return false;
      const older = bad.filter((p) => p.kind === 'put' && p.key === g.key && p.outcome === 'ok' && p.returnMs < g.callMs);
      const overwritten = older.find((p) => older.some((q) => q.callMs > p.returnMs && q.returnMs < g.callMs && q.value !== p.value));
      if (!overwritten) return false;
      g.value = overwritten.value;
      return true;
    });
    expect(victim).toBeDefined();
    expect(checkLinearizability(bad)).toHaveLength(1);
  });

  it('reports a search that runs out of steps as such, not as a violation', () => {
    const r = checkKeys([put('k', 'a', 0, 100), put('k', 'b', 0, 100), get('k', 'b', 101, 102)], { maxStepsPerKey: 2 });
    expect(r[0]).toMatchObject({ ok: false, timedOut: true });
  });
});
