import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import type { Random } from '../platform/random.js';
import type { JoinRequest, JoinResponse, PeerAddress, Transport, TransportHandler } from '../ports/transport.js';
import type { Message, NodeId } from '../raft/types.js';
import type { SimClock } from './sim-clock.js';

/** Knobs of the simulated network; the fault schedule changes them while a run goes on. */
export interface SimNetworkFaults {
  /** One-way delay of a message: uniform in [minDelayMs, maxDelayMs] per message (so messages reorder). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a message is silently lost. */
  dropRate: number;
  /** Probability that a delivered message is delivered a second time, a little later. */
  duplicateRate: number;
  /**
   * Whether forwarded proposals ('prop') are duplicated too. Off by default: the real transport (one
   * gRPC stream per peer) never delivers a message twice, and Raft proposals are not idempotent (a
   * duplicate is appended and applied twice). Every other message type is safe to duplicate.
   */
  duplicateProposals: boolean;
}

export interface SimNetworkOptions {
  clock: SimClock;
  random: Random;
  faults?: Partial<SimNetworkFaults>;
  /** Called for every notable network event (for the trace printed on failure). */
  trace?: (line: string) => void;
}

export function resolveSimNetworkFaults(faults: Partial<SimNetworkFaults> = {}): SimNetworkFaults {
  return {
    minDelayMs: faults.minDelayMs ?? 1,
    maxDelayMs: faults.maxDelayMs ?? 3,
    dropRate: faults.dropRate ?? 0,
    duplicateRate: faults.duplicateRate ?? 0,
    duplicateProposals: faults.duplicateProposals ?? false,
  };
}

export interface SimNetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  blocked: number;
}

/** The live incarnation of a node's transport; a crash replaces it, so late deliveries to the old one vanish. */
interface Endpoint {
  transport: SimTransport;
  handler: TransportHandler | undefined;
}

/**
 * A seeded, in-process network: one Transport per node incarnation, delivery through SimClock timers with
 * random delay (hence reordering), loss, duplication, and partitions (blocked directed links). A message to
 * a node that is down or cut off is lost and the sender hears onUnreachable; a snapshot message is always
 * followed by onSnapshotStatus at the sender.
 */
export class SimNetwork {
  private readonly clock: SimClock;
  private readonly random: Random;
  private readonly trace: (line: string) => void;
  private faults: SimNetworkFaults;
  private readonly endpoints = new Map<NodeId, Endpoint>();
  private readonly addresses = new Map<string, NodeId>();
  /** Directed links that carry nothing: `${from}>${to}`. */
  private readonly blocked = new Set<string>();
  readonly stats: SimNetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, blocked: 0 };

  constructor(options: SimNetworkOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.trace = options.trace ?? (() => {});
    this.faults = resolveSimNetworkFaults(options.faults);
  }

  /** A fresh transport for a new incarnation of `nodeId` (any earlier one goes dead). */
  createTransport(nodeId: NodeId, address: string): Transport {
    const existing = this.addresses.get(address);
    assert(existing === undefined || existing === nodeId, `address ${address} already belongs to node ${existing}`);
    this.addresses.set(address, nodeId);
    const transport = new SimTransport(this, nodeId);
    this.endpoints.set(nodeId, { transport, handler: undefined });
    return transport;
  }

  /** The node's process died: everything addressed to it from now on is lost. */
  crash(nodeId: NodeId): void {
    this.endpoints.delete(nodeId);
  }

  setFaults(faults: Partial<SimNetworkFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  getFaults(): SimNetworkFaults {
    return { ...this.faults };
  }

  /** Cut every link between the groups (symmetric), e.g. partition([1,2],[3]). */
  partition(...groups: NodeId[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]) for (const b of groups[j]) this.blocked.add(`${a}>${b}`);
      }
    }
    this.trace(`net partition ${groups.map((g) => `[${g.join(',')}]`).join(' ')}`);
  }

  /** Cut only the direction from -> to. */
  blockOneWay(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
    this.trace(`net block ${from}->${to}`);
  }

  /** Restore every link (faults such as drop rate stay as set). */
  heal(): void {
    this.blocked.clear();
    this.trace('net heal');
  }

  canReach(from: NodeId, to: NodeId): boolean {
    return !this.blocked.has(`${from}>${to}`) && this.endpoints.get(to)?.handler !== undefined;
  }

  isLive(transport: SimTransport): boolean {
    return this.endpoints.get(transport.nodeId)?.transport === transport;
  }

  attach(transport: SimTransport, handler: TransportHandler | undefined): void {
    const ep = this.endpoints.get(transport.nodeId);
    if (ep && ep.transport === transport) ep.handler = handler;
  }

  deliver(from: SimTransport, messages: Message[]): void {
    for (const m of messages) this.sendOne(from, m);
  }

  private delay(): number {
    return this.random.between(this.faults.minDelayMs, this.faults.maxDelayMs);
  }

  private sendOne(from: SimTransport, m: Message): void {
    this.stats.sent++;
    const isSnap = m.type === 'snap';
    const lost = (why: string): void => {
      if (why === 'blocked') this.stats.blocked++;
      else this.stats.dropped++;
      // A real transport learns of a dead or cut-off peer (connection errors), but not of a lost packet.
      if (why === 'drop' && !isSnap) return;
      this.clock.setTimeout(() => {
        const ep = this.endpoints.get(from.nodeId);
        if (!ep || ep.transport !== from || !ep.handler) return;
        if (isSnap) ep.handler.onSnapshotStatus(m.to, false);
        else ep.handler.onUnreachable(m.to);
      }, this.faults.maxDelayMs * 2);
    };
    if (this.blocked.has(`${m.from}>${m.to}`)) return lost('blocked');
    if (!this.endpoints.get(m.to)?.handler) return lost('down');
    if (this.random.next() < this.faults.dropRate) return lost('drop');
    const arrive = (duplicate: boolean): void => {
      // Checked again on arrival: the link may have been cut or the node may have crashed in flight.
      if (this.blocked.has(`${m.from}>${m.to}`)) return duplicate ? undefined : lost('blocked');
      const target = this.endpoints.get(m.to);
      if (!target?.handler) return duplicate ? undefined : lost('down');
      if (!from.clusterMatches(target.transport)) return;
      this.stats.delivered++;
      target.handler.onMessages([m]);
      if (isSnap && !duplicate) {
        this.clock.setTimeout(() => {
          const ep = this.endpoints.get(from.nodeId);
          if (ep && ep.transport === from && ep.handler) ep.handler.onSnapshotStatus(m.to, true);
        }, this.delay());
      }
    };
    this.clock.setTimeout(() => arrive(false), this.delay());
    const mayDuplicate = !isSnap && (m.type !== 'prop' || this.faults.duplicateProposals);
    if (mayDuplicate && this.random.next() < this.faults.duplicateRate) {
      this.stats.duplicated++;
      this.clock.setTimeout(() => arrive(true), this.delay() + this.delay());
    }
  }

  /** Route a join request to the node at `address`, with a network round trip each way. */
  join(from: SimTransport, address: string, request: JoinRequest): Promise<JoinResponse> {
    const unavailable = (why: string) =>
      new StrataError('Unavailable', `join via ${address}: ${why}`, { retryable: true });
    const to = this.addresses.get(address);
    if (to === undefined) return Promise.reject(unavailable('unknown address'));
    return new Promise<JoinResponse>((resolve, reject) => {
      this.clock.setTimeout(() => {
        if (!this.isLive(from)) return; // the asking process died: nobody waits for the answer
        if (this.blocked.has(`${from.nodeId}>${to}`)) return reject(unavailable('unreachable'));
        const target = this.endpoints.get(to);
        if (!target?.handler) return reject(unavailable('node down'));
        target.handler.onJoin(request).then(
          (response) =>
            this.clock.setTimeout(() => {
              if (!this.isLive(from)) return;
              if (this.blocked.has(`${to}>${from.nodeId}`)) reject(unavailable('reply lost'));
              else resolve(response);
            }, this.delay()),
          (err: unknown) => this.clock.setTimeout(() => reject(err), this.delay()),
        );
      }, this.delay());
    });
  }
}

/** One node incarnation's view of the SimNetwork. */
export class SimTransport implements Transport {
  private clusterId = '';
  private readonly peers = new Map<NodeId, string>();

  constructor(
    private readonly network: SimNetwork,
    readonly nodeId: NodeId,
  ) {}

  async start(handler: TransportHandler): Promise<void> {
    this.network.attach(this, handler);
  }

  send(messages: Message[]): void {
    if (!this.network.isLive(this)) return;
    this.network.deliver(this, messages);
  }

  setPeer(peer: PeerAddress): void {
    this.peers.set(peer.id, peer.address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  setClusterId(clusterId: string): void {
    this.clusterId = clusterId;
  }

  /** Messages between nodes of different clusters are refused (an empty ID is a node not yet joined). */
  clusterMatches(other: SimTransport): boolean {
    return this.clusterId === '' || other.clusterId === '' || this.clusterId === other.clusterId;
  }

  join(address: string, request: JoinRequest): Promise<JoinResponse> {
    return this.network.join(this, address, request);
  }

  async stop(): Promise<void> {
    this.network.attach(this, undefined);
  }
}
