export {
  AdminClient,
  resolveAdminClientOptions,
  type AdminClientOptions,
  type ResolvedAdminClientOptions,
  type BackupDownload,
  type NodeCallOptions,
  type NodeRef,
  type SettingChange,
} from './admin-client.js';
export { errorFromResponse, RETRYABLE_CODES } from './response-error.js';
export { ndjsonRecords } from './ndjson-lines.js';
// The shapes the client returns, so its users (CLI, operator) need not reach into ports/.
export type { BucketInfo, ClusterStatus, HealthReport, NodeRole, NodeStatus } from '../ports/admin-service.js';
export type { BackupInfo, BackupRun, BackupStatus } from '../ports/backup-admin.js';
export type { LogQuery, LogRecord } from '../ports/log-admin.js';
export type {
  DrainPlan,
  DrainStatus,
  MemberState,
  MovePlanTarget,
  MoveProgress,
  NodeUtilisation,
  RebalanceStatus,
  RecoveryStatus,
  StorageStatus,
} from '../ports/maintenance-admin.js';
export type { ScrubStatus } from '../ports/scrub-admin.js';
