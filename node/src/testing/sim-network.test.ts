import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../platform/random.js';
import { isStrataError } from '../platform/errors.js';
import type { JoinRequest, TransportHandler } from '../ports/transport.js';
import type { Message, NodeId } from '../raft/types.js';
import { SimClock } from './sim-clock.js';
import { SimNetwork, type SimNetworkFaults } from './sim-network.js';

function msg(from: NodeId, to: NodeId, index: number, type: Message['type'] = 'app'): Message {
  return { type, from, to, term: 1, logTerm: 0, index, entries: [], commit: 0, reject: false, rejectHint: 0 };
}

interface Recorder extends TransportHandler {
  got: Message[];
  unreachable: NodeId[];
  snapStatus: Array<[NodeId, boolean]>;
}

function recorder(id: NodeId): Recorder {
  const r: Recorder = {
    got: [],
    unreachable: [],
    snapStatus: [],
    onMessages: (ms) => r.got.push(...ms),
    onUnreachable: (p) => r.unreachable.push(p),
    onSnapshotStatus: (p, ok) => r.snapStatus.push([p, ok]),
    onJoin: async (req: JoinRequest) => ({
      clusterId: 'c1',
      members: [
        { id, address: `n${id}` },
        { id: req.nodeId, address: req.address },
      ],
    }),
  };
  return r;
}

async function setup(n: number, faults: Partial<SimNetworkFaults> = {}, seed = 1) {
  const clock = new SimClock();
  const net = new SimNetwork({ clock, random: new SeededRandom(seed), faults });
  const handlers: Recorder[] = [];
  const transports = [];
  for (let id = 1; id <= n; id++) {
    const t = net.createTransport(id, `n${id}`);
    const h = recorder(id);
    await t.start(h);
    handlers.push(h);
    transports.push(t);
  }
  return { clock, net, handlers, transports };
}

describe('SimNetwork', () => {
  it('delivers every message after a delay within bounds, reordering some', async () => {
    const { clock, handlers, transports } = await setup(2, { minDelayMs: 1, maxDelayMs: 20 });
    transports[0].send(Array.from({ length: 50 }, (_, i) => msg(1, 2, i)));
    await clock.runFor(0);
    expect(handlers[1].got).toHaveLength(0);
    await clock.runFor(20);
    const order = handlers[1].got.map((m) => m.index);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
  });

  it('drops and duplicates at the configured rates', async () => {
    const { clock, handlers, transports, net } = await setup(2, { dropRate: 0.3, duplicateRate: 0.2 });
    transports[0].send(Array.from({ length: 1000 }, (_, i) => msg(1, 2, i)));
    await clock.runFor(100);
    const distinct = new Set(handlers[1].got.map((m) => m.index)).size;
    expect(distinct).toBeGreaterThan(600);
    expect(distinct).toBeLessThan(800);
    expect(handlers[1].got.length - distinct).toBeGreaterThan(50);
    expect(net.stats.dropped).toBe(1000 - distinct);
    // Random loss is silent, as on a real network.
    expect(handlers[0].unreachable).toEqual([]);
  });

  it('never duplicates forwarded proposals unless told to', async () => {
    const count = async (duplicateProposals: boolean) => {
      const { clock, handlers, transports } = await setup(2, { duplicateRate: 0.5, duplicateProposals });
      transports[0].send(Array.from({ length: 200 }, (_, i) => msg(1, 2, i, 'prop')));
      await clock.runFor(100);
      return handlers[1].got.length;
    };
    expect(await count(false)).toBe(200);
    expect(await count(true)).toBeGreaterThan(250);
  });

  it('partitions symmetrically and one way, reports unreachable, and heals', async () => {
    const { clock, handlers, transports, net } = await setup(3);
    net.partition([1], [2, 3]);
    transports[0].send([msg(1, 2, 1)]);
    transports[1].send([msg(2, 1, 2), msg(2, 3, 3)]);
    await clock.runFor(50);
    expect(handlers[1].got).toEqual([]);
    expect(handlers[0].got).toEqual([]);
    expect(handlers[2].got.map((m) => m.index)).toEqual([3]);
    expect(handlers[0].unreachable).toEqual([2]);
    net.heal();
    net.blockOneWay(1, 2);
    transports[0].send([msg(1, 2, 4)]);
    transports[1].send([msg(2, 1, 5)]);
    await clock.runFor(50);
    expect(handlers[1].got).toEqual([]);
    expect(handlers[0].got.map((m) => m.index)).toEqual([5]);
    net.heal();
    transports[0].send([msg(1, 2, 6)]);
    await clock.runFor(50);
    expect(handlers[1].got.map((m) => m.index)).toEqual([6]);
  });

  it('loses messages to a crashed node, tells the sender, and ignores a dead incarnation', async () => {
    const { clock, handlers, transports, net } = await setup(2);
    transports[0].send([msg(1, 2, 1)]);
    net.crash(2); // in flight: lost on arrival
    transports[0].send([msg(1, 2, 2)]);
    transports[1].send([msg(2, 1, 3)]); // the dead process cannot send
    await clock.runFor(50);
    expect(handlers[1].got).toEqual([]);
    expect(handlers[0].got).toEqual([]);
    expect(handlers[0].unreachable).toEqual([2, 2]);
    const t2 = net.createTransport(2, 'n2');
    const h2 = recorder(2);
    await t2.start(h2);
    transports[0].send([msg(1, 2, 4)]);
    await clock.runFor(50);
    expect(h2.got.map((m) => m.index)).toEqual([4]);
  });

  it('reports snapshot status for delivered and for lost snapshots', async () => {
    const { clock, handlers, transports, net } = await setup(3);
    transports[0].send([msg(1, 2, 10, 'snap')]);
    net.crash(3);
    transports[0].send([msg(1, 3, 11, 'snap')]);
    await clock.runFor(50);
    expect(handlers[1].got.map((m) => m.type)).toEqual(['snap']);
    expect(handlers[0].snapStatus).toEqual(
      expect.arrayContaining([
        [2, true],
        [3, false],
      ]),
    );
    expect(handlers[0].snapStatus).toHaveLength(2);
  });

  it('routes join to the node at the address and fails when it is unreachable', async () => {
    const { clock, transports, net } = await setup(2);
    const p = transports[1].join('n1', { nodeId: 2, address: 'n2', clusterId: '' });
    await clock.runFor(20);
    await expect(p).resolves.toMatchObject({ clusterId: 'c1', members: [{ id: 1 }, { id: 2 }] });
    net.partition([1], [2]);
    const q = transports[1].join('n1', { nodeId: 2, address: 'n2', clusterId: '' });
    const outcome = q.then(
      () => 'ok',
      (e: unknown) => (isStrataError(e, 'Unavailable') ? 'unavailable' : 'other'),
    );
    await clock.runFor(20);
    expect(await outcome).toBe('unavailable');
  });

  it('refuses messages between different clusters', async () => {
    const { clock, handlers, transports } = await setup(2);
    transports[0].setClusterId('a');
    transports[1].setClusterId('b');
    transports[0].send([msg(1, 2, 1)]);
    await clock.runFor(20);
    expect(handlers[1].got).toEqual([]);
  });

  it('is a pure function of the seed', async () => {
    const run = async (seed: number) => {
      const { clock, handlers, transports } = await setup(2, { maxDelayMs: 9, dropRate: 0.2, duplicateRate: 0.1 }, seed);
      transports[0].send(Array.from({ length: 100 }, (_, i) => msg(1, 2, i)));
      await clock.runFor(100);
      return handlers[1].got.map((m) => m.index).join(',');
    };
    expect(await run(7)).toBe(await run(7));
    expect(await run(7)).not.toBe(await run(8));
  });
});
