/**
 * Test-only harness (not production code): a tiny in-memory "network" that drives several RawNodes the
 * way the runtime will (persist -> send -> apply -> advance), routes their messages, and can drop,
 * partition, isolate, crash and restart nodes. It can keep a readable trace ("1->2 app term=2 idx=5 n=3").
 */
import { SeededRandom } from '../platform/random.js';
import { RawNode } from './raw-node.js';
import { MemoryRaftLog, bootstrapSnapshot } from './memory-log.js';
import { decodeConfChange } from './conf-change-codec.js';
import { describeMessage } from './messages.js';
import type { ConfState, Message, NodeId, RaftConfig, ReadState, Ready } from './types.js';

export interface HarnessOptions {
  voters: NodeId[];
  learners?: NodeId[];
  preVote?: boolean;
  checkQuorum?: boolean;
  electionTicks?: number;
  electionTicksMax?: number;
  heartbeatTicks?: number;
  maxSizePerMsgBytes?: number;
  maxInflightMsgs?: number;
  maxUncommittedEntriesBytes?: number;
  seed?: number;
}

export interface SimNode {
  id: NodeId;
  node: RawNode;
  /** What the driver has persisted (the mirror a restart reloads from). */
  log: MemoryRaftLog;
  /** The state machine: the text of every applied non-empty normal entry. */
  applied: string[];
  appliedIndex: number;
  conf: ConfState;
  readStates: ReadState[];
  readies: Ready[];
  crashed: boolean;
}

export type MessageFilter = (m: Message) => boolean;

const enc = new TextEncoder();
const dec = new TextDecoder();

export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

export class Network {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly traceLines: string[] = [];
  tracing = false;
  /** Keep every Ready a node produced (for persist-before-send assertions). */
  keepReadies = false;
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly dropFilters: MessageFilter[] = [];
  private readonly rewriters: ((m: Message) => Message)[] = [];
  private readonly options: Required<Omit<HarnessOptions, 'electionTicksMax'>> & Pick<HarnessOptions, 'electionTicksMax'>;
  private seed: number;

  constructor(options: HarnessOptions) {
    this.options = {
      learners: [],
      preVote: false,
      checkQuorum: false,
      electionTicks: 10,
      heartbeatTicks: 1,
      maxSizePerMsgBytes: 1024 * 1024,
      maxInflightMsgs: 256,
      maxUncommittedEntriesBytes: 0,
      seed: 1,
      ...options,
    };
    this.seed = this.options.seed;
    const conf = { voters: this.options.voters, learners: this.options.learners };
    for (const id of [...conf.voters, ...conf.learners]) {
      const log = new MemoryRaftLog();
      log.applySnapshot(bootstrapSnapshot(conf, bytes('[]')));
      log.setHardState({ term: 1, vote: 0, commit: 1 });
      this.start(id, log, 0, []);
    }
  }

  config(id: NodeId, applied: number): RaftConfig {
    const o = this.options;
    return {
      id,
      electionTicks: o.electionTicks,
      electionTicksMax: o.electionTicksMax,
      heartbeatTicks: o.heartbeatTicks,
      maxSizePerMsgBytes: o.maxSizePerMsgBytes,
      maxInflightMsgs: o.maxInflightMsgs,
      maxUncommittedEntriesBytes: o.maxUncommittedEntriesBytes,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      applied,
    };
  }

  private start(id: NodeId, log: MemoryRaftLog, applied: number, state: string[]): SimNode {
    const node = new RawNode({ config: this.config(id, applied), log, random: new SeededRandom(this.seed++ * 7919 + id) });
    const snap = log.snapshot();
    const sim: SimNode = {
      id,
      node,
      log,
      applied: state,
      appliedIndex: Math.max(applied, snap.metadata.index),
      conf: node.status().conf,
      readStates: [],
      readies: [],
      crashed: false,
    };
    this.nodes.set(id, sim);
    return sim;
  }

  /** A brand-new node with an empty log and no configuration (it waits to hear from a leader). */
  addEmptyNode(id: NodeId): SimNode {
    return this.start(id, new MemoryRaftLog(), 0, []);
  }

  get(id: NodeId): SimNode {
    const sim = this.nodes.get(id);
    if (sim === undefined) throw new Error(`no node ${id}`);
    return sim;
  }

  node(id: NodeId): RawNode {
    return this.get(id).node;
  }

  // ---- faults ------------------------------------------------------------------------------------

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}-${other}`);
      this.cut.add(`${other}-${id}`);
    }
  }

  partition(a: NodeId[], b: NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cut.add(`${x}-${y}`);
        this.cut.add(`${y}-${x}`);
      }
    }
  }

  /** Drop every message for which `filter` returns true (until heal()). */
  drop(filter: MessageFilter): void {
    this.dropFilters.push(filter);
  }

  /** Change messages in flight (until heal()), e.g. strip some entries from appends. */
  rewrite(fn: (m: Message) => Message): void {
    this.rewriters.push(fn);
  }

  heal(): void {
    this.cut.clear();
    this.dropFilters.length = 0;
    this.rewriters.length = 0;
  }

  crash(id: NodeId): void {
    this.get(id).crashed = true;
  }

  /**
   * Restart from what was persisted: a fresh MemoryRaftLog loaded like the runtime loads a LogStore.
   * With `fromSnapshot` the state machine is rebuilt from the snapshot (applied = its index);
   * otherwise it is durable and restarts at the applied index it had.
   */
  restart(id: NodeId, fromSnapshot = false): SimNode {
    const old = this.get(id);
    const log = new MemoryRaftLog();
    const snap = old.log.snapshot();
    log.applySnapshot(snap);
    log.setHardState(old.log.initialState().hardState);
    if (old.log.lastIndex() >= old.log.firstIndex()) {
      log.append(old.log.entries(old.log.firstIndex(), old.log.lastIndex() + 1, Infinity));
    }
    const state = fromSnapshot ? (JSON.parse(text(snap.data)) as string[]) : old.applied;
    const applied = fromSnapshot ? snap.metadata.index : old.appliedIndex;
    return this.start(id, log, applied, state);
  }

  // ---- driving -----------------------------------------------------------------------------------

  /** One driver iteration for one node: persist, send (queue), apply, advance. */
  processReady(sim: SimNode): void {
    this.handleReady(sim, sim.node.ready());
  }

  /** Persist, queue the messages, apply and advance one Ready obtained from sim.node.ready(). */
  handleReady(sim: SimNode, rd: Ready): void {
    if (this.keepReadies) sim.readies.push(rd);
    // The core hands out only entries persisted by an earlier Ready (here: already in the mirror).
    for (const e of rd.committedEntries) {
      if (e.index > sim.log.lastIndex() || sim.log.term(e.index) !== e.term) {
        throw new Error(`node ${sim.id} is given entry ${e.index} to apply before it is persisted`);
      }
    }
    if (rd.snapshot !== undefined) {
      sim.log.applySnapshot(rd.snapshot);
      sim.applied = JSON.parse(text(rd.snapshot.data)) as string[];
      sim.appliedIndex = rd.snapshot.metadata.index;
      sim.conf = rd.snapshot.metadata.conf;
    }
    sim.log.append(rd.entries);
    if (rd.hardState !== undefined) sim.log.setHardState(rd.hardState);
    for (const m of rd.messages) this.queue.push(m);
    for (const e of rd.committedEntries) {
      if (e.type === 'conf') {
        sim.conf = sim.node.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.byteLength > 0) {
        sim.applied.push(text(e.data));
      }
      sim.appliedIndex = e.index;
    }
    for (const rs of rd.readStates) sim.readStates.push(rs);
    sim.node.advance(rd);
  }

  private dropped(m: Message): boolean {
    if (this.cut.has(`${m.from}-${m.to}`)) return true;
    const target = this.nodes.get(m.to);
    if (target === undefined || target.crashed || this.get(m.from).crashed) return true;
    return this.dropFilters.some((f) => f(m));
  }

  /** Deliver every queued message once (messages they cause wait for the next round). */
  deliver(): void {
    const batch = this.queue;
    this.queue = [];
    for (const original of batch) {
      let m = original;
      for (const fn of this.rewriters) m = fn(m);
      const lost = this.dropped(m);
      if (this.tracing) this.traceLines.push(`${lost ? 'DROP ' : ''}${describeMessage(m)}`);
      if (m.type === 'snap') {
        // The transport reports how sending the snapshot went.
        if (!lost) this.get(m.to).node.step(m);
        const sender = this.nodes.get(m.from);
        if (sender !== undefined && !sender.crashed) sender.node.reportSnapshot(m.to, !lost);
        continue;
      }
      if (!lost) this.get(m.to).node.step(m);
    }
  }

  /** Process readies and deliver messages until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const sim of this.nodes.values()) {
        if (sim.crashed) continue;
        while (sim.node.hasReady()) {
          this.processReady(sim);
          moved = true;
        }
      }
      if (this.queue.length > 0) {
        this.deliver();
        moved = true;
      }
      if (!moved) return;
    }
    throw new Error('network did not stabilize');
  }

  /** Tick every live node `n` times, stabilizing after each tick. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const sim of this.nodes.values()) if (!sim.crashed) sim.node.tick();
      this.stabilize();
    }
  }

  /** Tick until `done` holds (at most `maxTicks`); returns the ticks used. */
  tickUntil(done: () => boolean, maxTicks = 200): number {
    for (let i = 0; i < maxTicks; i++) {
      if (done()) return i;
      this.tick();
    }
    if (done()) return maxTicks;
    throw new Error(`condition not reached in ${maxTicks} ticks`);
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, data: string): void {
    this.node(id).propose(bytes(data));
  }

  /** Take a state-machine snapshot at the applied index and compact the log up to it. */
  snapshotAndCompact(id: NodeId): void {
    const sim = this.get(id);
    sim.log.createSnapshot(sim.appliedIndex, sim.node.status().conf, bytes(JSON.stringify(sim.applied)));
    sim.log.compact(sim.appliedIndex);
  }

  /** The live leader with the highest term, or 0. */
  leader(): NodeId {
    let best = 0;
    let bestTerm = -1;
    for (const sim of this.nodes.values()) {
      if (sim.crashed) continue;
      const st = sim.node.status();
      if (st.softState.role === 'leader' && st.hardState.term > bestTerm) {
        best = sim.id;
        bestTerm = st.hardState.term;
      }
    }
    return best;
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()]
      .filter((s) => !s.crashed && s.node.status().softState.role === 'leader')
      .map((s) => s.id);
  }

  term(id: NodeId): number {
    return this.node(id).status().hardState.term;
  }

  commit(id: NodeId): number {
    return this.node(id).status().hardState.commit;
  }

  /** Start a trace from here. */
  startTrace(): void {
    this.traceLines.length = 0;
    this.tracing = true;
  }

  /** Trace lines matching `pattern`. */
  traced(pattern: RegExp): string[] {
    return this.traceLines.filter((l) => pattern.test(l));
  }
}
