import type { Logger } from '../../../node/src/platform/index.js';
import type { DrainProgressView, MemberRole, MemberState, StrataView } from '../plan/observed.js';
import type { StrataAdmin } from './strata-admin.js';

const MEMBER_STATES: readonly MemberState[] = ['active', 'draining', 'drained'];

/**
 * The Strata cluster as the admin API answers: membership and Raft progress from the leader's
 * clusterStatus, degraded chunks from storageStatus, and drain progress of every draining node. A
 * failure of the first call means "unreachable"; the others only leave their fields unknown.
 */
export async function observeStrata(admin: StrataAdmin, logger: Logger): Promise<StrataView> {
  let status;
  try {
    status = await admin.clusterStatus();
  } catch (err) {
    return { reachable: false, error: (err as Error).message, members: [], drains: {} };
  }
  const view: StrataView = {
    reachable: true,
    leaderId: status.leaderId > 0 ? status.leaderId : undefined,
    term: status.term,
    commitIndex: status.commitIndex,
    members: status.nodes.map((n) => ({
      id: n.id,
      state: MEMBER_STATES.includes(n.state) ? n.state : 'active',
      role: n.role as MemberRole,
      voter: n.voter,
      online: n.online,
      ...(n.matchIndex === undefined ? {} : { matchIndex: n.matchIndex }),
    })),
    drains: {},
  };
  try {
    view.degradedChunks = (await admin.storageStatus()).degradedChunks;
  } catch (err) {
    logger.debug({ err: (err as Error).message }, 'storage status unavailable');
  }
  for (const member of view.members.filter((m) => m.state === 'draining')) {
    try {
      const s = await admin.drainStatus(member.id);
      const p = s.progress;
      const drain: DrainProgressView = {
        chunksRemaining: Math.max(0, p.chunksTotal - p.chunksDone),
        bytesRemaining: Math.max(0, p.bytesTotal - p.bytesDone),
        rateBytesPerSec: p.rateBytesPerSec,
      };
      if (p.etaSeconds !== undefined) drain.etaSeconds = p.etaSeconds;
      view.drains[member.id] = drain;
    } catch (err) {
      logger.debug({ err: (err as Error).message, nodeId: member.id }, 'drain status unavailable');
    }
  }
  return view;
}
