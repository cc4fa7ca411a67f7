import type { ResolvedStrataClusterSpec } from '../api/defaults.js';
import { nodeName, podName, selectorString } from '../api/naming.js';
import type { BackupRecord, NodeStatusEntry, RaftRole, StrataCluster, StrataClusterStatus } from '../api/strata-cluster.js';
import type { DrainPlan } from '../plan/drain-plan.js';
import type { PodView, StrataView } from '../plan/observed.js';
import type { RebalancePlan } from '../plan/rebalance-plan.js';
import type { ScalePlan } from '../plan/scale-plan.js';
import type { UpgradePlan } from '../plan/upgrade-plan.js';
import { findCondition, setConditions, type ConditionInput } from './conditions.js';
import { phaseOf } from './phase.js';

export interface PodStatusView extends PodView {
  /** The pod's app.kubernetes.io/version label: the Strata version it was started with. */
  version?: string;
}

export interface StatusInput {
  cluster: StrataCluster;
  spec: ResolvedStrataClusterSpec;
  pods: PodStatusView[];
  strata: StrataView;
  nowIso: string;
  paused: boolean;
  scale?: ScalePlan;
  drains?: DrainPlan;
  upgrade?: UpgradePlan;
  rebalance?: RebalancePlan;
  /** Strata's own rebalance state, when asked. */
  rebalanceState?: 'idle' | 'running' | 'done' | 'failed';
  /** Why the scale-in drain was refused (FailedPrecondition from the node), if it was. */
  scaleInRefused?: string;
  /** Problems that make the cluster Degraded regardless of plans (missing credentials Secret, ...). */
  problems?: { reason: string; message: string }[];
  /** A backup run made by this reconcile. */
  backupRun?: BackupRecord;
  backupScheduleError?: string;
}

/** The status before this reconcile says the cluster has been available at least once. */
function wasAvailable(previous: StrataClusterStatus): boolean {
  return ['Available', 'Progressing', 'Degraded'].includes(previous.phase ?? '');
}

/**
 * A PUT of an erasure-coded object needs k+m distinct active, online nodes (decision 0016): with fewer, the
 * cluster still serves reads and inline objects but refuses bigger writes, which Available alone hides.
 */
function writesRefused(spec: ResolvedStrataClusterSpec, strata: StrataView): string | undefined {
  if (!strata.reachable || strata.members.length === 0) return undefined;
  const { dataShards: k, parityShards: m } = spec.erasure;
  const writable = strata.members.filter((member) => member.online && member.state === 'active').length;
  if (writable >= k + m) return undefined;
  return `${writable} of ${strata.members.length} nodes are online and active, a PUT needs ${k + m} (erasure ${k}+${m}): objects above the inline threshold are refused until a node is back or one is added`;
}

/** The whole status this reconcile would write; the reconciler writes it only if it differs. */
export function buildStatus(input: StatusInput): StrataClusterStatus {
  const { cluster, spec, pods, strata } = input;
  const previous = cluster.status ?? {};
  const readyNodes = pods.filter((p) => p.ready && !p.terminating).length;
  const conditions: ConditionInput[] = [];

  const available = strata.reachable && strata.leaderId !== undefined && readyNodes > 0;
  conditions.push(
    available
      ? { type: 'Available', status: 'True', reason: 'ClusterServing', message: `${readyNodes}/${spec.nodes} nodes ready, leader node-${strata.leaderId}` }
      : { type: 'Available', status: 'False', ...unavailableReason(strata, readyNodes) },
  );

  const problems = [...(input.problems ?? [])];
  if (input.upgrade?.state === 'stalled') problems.push({ reason: 'UpgradeStalled', message: input.upgrade.message });
  if (input.scaleInRefused !== undefined) problems.push({ reason: 'ScaleInRefused', message: input.scaleInRefused });
  if (strata.degradedChunks !== undefined && strata.degradedChunks > 0) problems.push({ reason: 'DegradedChunks', message: `${strata.degradedChunks} chunks are degraded (recovery rebuilds them)` });
  const offline = strata.members.filter((m) => !m.online).map((m) => nodeName(m.id));
  if (offline.length > 0) problems.push({ reason: 'NodesOffline', message: `offline: ${offline.join(', ')}` });
  // While a new cluster's nodes join one by one, too few nodes is Creating, not a problem.
  const refused = wasAvailable(previous) ? writesRefused(spec, strata) : undefined;
  if (refused !== undefined) problems.push({ reason: 'WritesRefused', message: refused });
  if (input.backupScheduleError !== undefined) problems.push({ reason: 'InvalidBackupSchedule', message: input.backupScheduleError });
  conditions.push(
    problems.length > 0
      ? { type: 'Degraded', status: 'True', reason: problems[0].reason, message: problems.map((p) => p.message).join('; ') }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'nothing is degraded' },
  );

  if (!input.paused) {
    const upgrade = input.upgrade;
    // No plan (the StatefulSet controller has not caught up, or a scale-in goes first): keep what was said.
    if (upgrade !== undefined || findCondition(previous.conditions, 'Upgrading') === undefined) {
      conditions.push(
        upgrade === undefined || upgrade.state === 'idle'
          ? { type: 'Upgrading', status: 'False', reason: 'UpToDate', message: 'every pod runs the current template' }
          : { type: 'Upgrading', status: 'True', reason: upgrade.reason, message: upgrade.message },
      );
    }
    const drains = input.drains;
    if (drains !== undefined) conditions.push({ type: 'Draining', status: drains.active ? 'True' : 'False', reason: drains.reason, message: drains.message });
    const scale = input.scale;
    if (input.scaleInRefused !== undefined) {
      conditions.push({ type: 'ScalingIn', status: 'False', reason: 'DrainRefused', message: input.scaleInRefused });
    } else if (scale !== undefined) {
      conditions.push(scale.direction === 'in' ? { type: 'ScalingIn', status: 'True', reason: scale.reason, message: scale.message } : { type: 'ScalingIn', status: 'False', reason: 'NoScaleIn', message: 'no scale-in under way' });
    }
    conditions.push(rebalancingCondition(input));
  }
  if (spec.backup !== undefined) conditions.push(backupCondition(input));

  const progressingWhy = progressing(input, readyNodes);
  conditions.push(
    input.paused
      ? { type: 'Progressing', status: 'False', reason: 'Paused', message: 'spec.paused is true: the operator changes nothing' }
      : progressingWhy !== undefined
        ? { type: 'Progressing', status: 'True', ...progressingWhy }
        : { type: 'Progressing', status: 'False', reason: 'Reconciled', message: 'the cluster matches its spec' },
  );

  const generation = cluster.metadata.generation;
  const nextConditions = setConditions(previous.conditions, conditions, generation, input.nowIso);
  // Once available, a cluster that loses availability is Degraded, not back to Creating.
  const status: StrataClusterStatus = {
    observedGeneration: generation,
    phase: phaseOf({ paused: input.paused, everAvailable: wasAvailable(previous) || available, conditions: nextConditions, podsExist: pods.length }),
    conditions: nextConditions,
    nodes: nodeEntries(input),
    readyNodes,
    replicas: pods.length,
    selector: selectorString(cluster.metadata.name),
  };
  if (strata.leaderId !== undefined) status.leader = nodeName(strata.leaderId);
  else if (!strata.reachable && previous.leader !== undefined) status.leader = previous.leader;
  if (strata.term !== undefined) status.term = strata.term;
  else if (previous.term !== undefined) status.term = previous.term;
  const versions = new Set(pods.map((p) => p.version).filter((v): v is string => v !== undefined));
  const currentVersion = versions.size === 1 && pods.length > 0 ? [...versions][0] : previous.currentVersion;
  if (currentVersion !== undefined) status.currentVersion = currentVersion;
  const lastBackup = input.backupRun ?? previous.lastBackup;
  if (lastBackup !== undefined) status.lastBackup = lastBackup;
  const lastSuccessful = input.backupRun?.ok ? input.backupRun : previous.lastSuccessfulBackup;
  if (lastSuccessful !== undefined) status.lastSuccessfulBackup = lastSuccessful;
  return status;
}

function unavailableReason(strata: StrataView, readyNodes: number): { reason: string; message: string } {
  if (readyNodes === 0) return { reason: 'WaitingForPodsReady', message: 'no Strata pod is Ready yet' };
  if (!strata.reachable) return { reason: 'StrataAdminUnreachable', message: `the admin API did not answer: ${strata.error ?? 'no answer'}` };
  return { reason: 'WaitingForRaftLeader', message: 'the Strata cluster has no Raft leader' };
}

function rebalancingCondition(input: StatusInput): ConditionInput {
  const plan = input.rebalance;
  if (plan?.rebalance) return { type: 'Rebalancing', status: 'True', reason: 'RebalanceRequested', message: plan.why === 'scaleOut' ? 'asked for a rebalance after adding nodes' : 'asked for a rebalance (spec.rebalanceRequest changed)' };
  if (input.rebalanceState === 'running') return { type: 'Rebalancing', status: 'True', reason: 'RebalanceRunning', message: 'Strata is moving shards to even out utilisation' };
  if (plan?.waiting !== undefined) return { type: 'Rebalancing', status: 'True', reason: 'WaitingForNewNodes', message: plan.waiting };
  if (input.rebalanceState === 'failed') return { type: 'Rebalancing', status: 'False', reason: 'RebalanceFailed', message: 'the last rebalance failed; change spec.rebalanceRequest to retry' };
  return { type: 'Rebalancing', status: 'False', reason: 'NoRebalance', message: 'no rebalance under way' };
}

function backupCondition(input: StatusInput): ConditionInput {
  const last = input.backupRun ?? input.cluster.status?.lastBackup;
  if (input.backupScheduleError !== undefined) return { type: 'BackupHealthy', status: 'False', reason: 'InvalidSchedule', message: input.backupScheduleError };
  if (last === undefined) return { type: 'BackupHealthy', status: 'Unknown', reason: 'NoBackupYet', message: 'waiting for the first scheduled backup' };
  return last.ok
    ? { type: 'BackupHealthy', status: 'True', reason: 'BackupSucceeded', message: `last backup ${last.time}${last.file === undefined ? '' : `: ${last.file}`}` }
    : { type: 'BackupHealthy', status: 'False', reason: 'BackupFailed', message: `last backup ${last.time} failed: ${last.message ?? 'unknown error'}` };
}

function progressing(input: StatusInput, readyNodes: number): { reason: string; message: string } | undefined {
  if (input.scaleInRefused === undefined && input.scale?.direction === 'in') return { reason: input.scale.reason, message: input.scale.message };
  if (input.scale?.direction === 'out') return { reason: 'AddingNodes', message: input.scale.message };
  if (input.upgrade !== undefined && input.upgrade.state !== 'idle' && input.upgrade.state !== 'stalled') return { reason: input.upgrade.reason, message: input.upgrade.message };
  if (input.drains?.active) return { reason: input.drains.reason, message: input.drains.message };
  if (readyNodes < input.spec.nodes) return { reason: 'WaitingForPodsReady', message: `${readyNodes}/${input.spec.nodes} pods Ready` };
  if (input.rebalance?.rebalance || input.rebalanceState === 'running') return { reason: 'Rebalancing', message: 'a rebalance is under way' };
  return undefined;
}

function nodeEntries(input: StatusInput): NodeStatusEntry[] {
  const { cluster, pods, strata } = input;
  const name = cluster.metadata.name;
  const ids = new Set<number>([...pods.map((p) => p.ordinal + 1), ...strata.members.map((m) => m.id)]);
  const previous = new Map((cluster.status?.nodes ?? []).map((n) => [n.name, n]));
  return [...ids]
    .sort((a, b) => a - b)
    .map((id) => {
      const pod = pods.find((p) => p.ordinal === id - 1);
      const member = strata.members.find((m) => m.id === id);
      const old = previous.get(nodeName(id));
      const entry: NodeStatusEntry = {
        name: nodeName(id),
        pod: podName(name, id - 1),
        state: member?.state ?? (strata.reachable ? 'removed' : old?.state ?? 'active'),
        online: member?.online ?? false,
        ready: pod !== undefined && pod.ready && !pod.terminating,
      };
      const role = member === undefined ? undefined : member.role === 'none' ? 'unknown' : (member.role as RaftRole);
      if (role !== undefined) entry.raftRole = role;
      if (pod?.version !== undefined) entry.version = pod.version;
      const drain = strata.drains[id];
      if (drain !== undefined) {
        entry.drain = { chunksRemaining: drain.chunksRemaining, bytesRemaining: drain.bytesRemaining, rateBytesPerSec: drain.rateBytesPerSec };
        if (drain.etaSeconds !== undefined) entry.drain.etaSeconds = drain.etaSeconds;
      }
      return entry;
    });
}
