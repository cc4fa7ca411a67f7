import type { MemberView, PodView, StrataView } from './observed.js';

/** A follower more than this many entries behind the commit index is not caught up. */
export const MAX_RAFT_LAG_ENTRIES = 100;

export type UpgradeGate = 'PodsReady' | 'RaftCaughtUp' | 'NoDegradedChunks';

export interface UpgradeInput {
  /** Pods of ordinals 0..replicas-1 that exist. */
  pods: PodView[];
  replicas: number;
  /** The StatefulSet's status.updateRevision (the template every pod should run). */
  updateRevision: string | undefined;
  strata: StrataView;
  strategy: 'RollingUpdate' | 'OnDelete';
  gateTimeoutMs: number;
  nowMs: number;
  /** When the current upgrade began (the Upgrading condition's lastTransitionTime), if it is running. */
  upgradeSinceMs?: number;
}

export type UpgradeAction = { kind: 'deletePod'; ordinal: number; name: string } | { kind: 'transferLeadership'; from: number };

export interface UpgradePlan {
  /** idle: every pod runs the update revision. */
  state: 'idle' | 'waiting' | 'stalled' | 'step';
  outdated: string[];
  gate?: UpgradeGate;
  action?: UpgradeAction;
  reason: string;
  message: string;
}

/**
 * The next step of a rolling restart: one pod at a time, followers first (highest ordinal first), the
 * leader last and only after leadership moved away. An outdated pod that is the only one not Ready is
 * replaced first, gates or not, once it has been unready for longer than gateTimeout (see unreadyOutdatedPod). Before each step every gate must be open: all pods
 * Ready, every member's Raft log within MAX_RAFT_LAG_ENTRIES of the commit index, and no degraded chunk.
 * A gate shut for longer than gateTimeout since the last restart (or since the upgrade began) stalls the
 * upgrade: nothing more is restarted until the gate opens, and the condition names the gate.
 */
export function planUpgrade(input: UpgradeInput): UpgradePlan {
  const { pods, strata } = input;
  if (input.updateRevision === undefined) return { state: 'idle', outdated: [], reason: 'UpToDate', message: 'no update revision yet' };
  const outdated = pods.filter((p) => p.revision !== undefined && p.revision !== input.updateRevision).sort((a, b) => b.ordinal - a.ordinal);
  if (outdated.length === 0) return { state: 'idle', outdated: [], reason: 'UpToDate', message: 'every pod runs the current template' };
  const names = outdated.map((p) => p.name);
  if (input.strategy === 'OnDelete') {
    return { state: 'waiting', outdated: names, reason: 'WaitingForManualPodDeletion', message: `strategy OnDelete: delete these pods to update them: ${names.join(', ')}` };
  }
  const unready = unreadyOutdatedPod(input, outdated);
  if (unready !== undefined) {
    return { state: 'step', outdated: names, action: { kind: 'deletePod', ordinal: unready.ordinal, name: unready.name }, reason: 'ReplacingUnreadyPod', message: `replacing ${unready.name}: it runs an old template and is not ready (${names.length} pods to update)` };
  }
  const shut = firstShutGate(input);
  if (shut !== undefined) {
    const newestPodMs = Math.max(0, ...pods.map((p) => p.createdMs ?? 0));
    const sinceMs = Math.max(newestPodMs, input.upgradeSinceMs ?? newestPodMs);
    if (input.nowMs - sinceMs > input.gateTimeoutMs) {
      return { state: 'stalled', outdated: names, gate: shut.gate, reason: `Stalled${shut.gate}`, message: `upgrade stalled: gate ${shut.gate} did not open within ${Math.round(input.gateTimeoutMs / 1000)}s: ${shut.why}` };
    }
    return { state: 'waiting', outdated: names, gate: shut.gate, reason: `WaitingFor${shut.gate}`, message: `waiting for gate ${shut.gate}: ${shut.why}` };
  }
  const leaderOrdinal = strata.leaderId === undefined ? undefined : strata.leaderId - 1;
  const follower = outdated.find((p) => p.ordinal !== leaderOrdinal);
  if (follower !== undefined) {
    return { state: 'step', outdated: names, action: { kind: 'deletePod', ordinal: follower.ordinal, name: follower.name }, reason: 'RestartingPod', message: `restarting ${follower.name} (${names.length} pods to update)` };
  }
  const leader = outdated[0];
  const others = strata.members.filter((m) => m.voter && m.id !== strata.leaderId);
  if (others.length > 0) {
    return { state: 'step', outdated: names, action: { kind: 'transferLeadership', from: leader.ordinal + 1 }, reason: 'TransferringLeadership', message: `moving Raft leadership away from ${leader.name} before restarting it` };
  }
  return { state: 'step', outdated: names, action: { kind: 'deletePod', ordinal: leader.ordinal, name: leader.name }, reason: 'RestartingPod', message: `restarting ${leader.name} (the only voter)` };
}

/**
 * The one pod that is not Ready, when it runs an outdated template, every other pod is Ready, and it has
 * been unready for longer than gateTimeout: it serves nothing, so replacing it costs no availability and
 * keeps one-at-a-time. This is how a rollback heals a pod stuck on a broken version; a StatefulSet leaves it
 * to a human (kubernetes/kubernetes#67250). The wait matters: a healthy old pod whose readiness blips under
 * load mid-upgrade must not be restarted past the gates (it may be the leader).
 */
function unreadyOutdatedPod(input: UpgradeInput, outdated: PodView[]): PodView | undefined {
  if (input.pods.length !== input.replicas) return undefined;
  const unready = input.pods.filter((p) => !p.ready || p.terminating);
  if (unready.length !== 1 || unready[0]!.terminating) return undefined;
  const since = unready[0]!.notReadySinceMs ?? unready[0]!.createdMs;
  if (since === undefined || input.nowMs - since <= input.gateTimeoutMs) return undefined;
  return outdated.find((p) => p.name === unready[0]!.name);
}

function firstShutGate(input: UpgradeInput): { gate: UpgradeGate; why: string } | undefined {
  const { pods, strata } = input;
  const present = new Set(pods.map((p) => p.ordinal));
  const notReady: string[] = [];
  for (let ordinal = 0; ordinal < input.replicas; ordinal++) if (!present.has(ordinal)) notReady.push(`pod ${ordinal} missing`);
  for (const p of pods) if (!p.ready || p.terminating) notReady.push(`${p.name} not ready`);
  if (notReady.length > 0) return { gate: 'PodsReady', why: notReady.join(', ') };
  if (!strata.reachable || strata.commitIndex === undefined) return { gate: 'RaftCaughtUp', why: `Strata cluster status unavailable (${strata.error ?? 'no leader'})` };
  const lagging = strata.members.filter((m) => lagOf(m, strata) > MAX_RAFT_LAG_ENTRIES);
  if (lagging.length > 0) return { gate: 'RaftCaughtUp', why: lagging.map((m) => `node-${m.id} is ${lagOf(m, strata)} entries behind`).join(', ') };
  if (strata.degradedChunks === undefined) return { gate: 'NoDegradedChunks', why: 'storage status unavailable' };
  if (strata.degradedChunks > 0) return { gate: 'NoDegradedChunks', why: `${strata.degradedChunks} degraded chunks` };
  return undefined;
}

function lagOf(member: MemberView, strata: StrataView): number {
  if (member.id === strata.leaderId) return 0;
  if (!member.online) return Number.POSITIVE_INFINITY;
  if (member.matchIndex === undefined) return 0;
  return Math.max(0, (strata.commitIndex ?? 0) - member.matchIndex);
}
