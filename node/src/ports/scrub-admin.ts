import type { NodeId } from './admin-service.js';
import type { MoveProgress } from './maintenance-admin.js';

/** One node's scrubber: it verifies the checksums of the chunks on its own disk. */
export interface ScrubStatus {
  nodeId: NodeId;
  /** `[scrub] enabled`: whether passes also start on their own every `[scrub] interval`. */
  enabled: boolean;
  state: 'idle' | 'running';
  /** The current pass, or the last one when idle. */
  progress: MoveProgress;
  /** Over the node's lifetime (strata_scrub_errors_total counts the same). */
  errorsFound: number;
  errorsRepaired: number;
  lastStartedMs?: number;
  lastFinishedMs?: number;
  nextRunMs?: number;
}

/** Scrub of this node (the CLI asks every node through its adminUrl). */
export interface ScrubAdmin {
  /** Start a pass now (a running pass is left to run and reported). */
  scrubStart(): Promise<ScrubStatus>;
  scrubStatus(): Promise<ScrubStatus>;
}
