import { formatDurationMs } from './duration.js';
import type { StrataConfig } from './strata-config.js';

/** A rule that spans keys, named by the key the operator should change. */
export interface ConsistencyProblem {
  dotted: string;
  message: string;
}

/** The first cross-key problem, or undefined. Run after the file is read and again after overrides. */
export function consistencyProblem(config: StrataConfig): ConsistencyProblem | undefined {
  const m = config.metadata;
  if (m.electionTimeoutMinMs >= m.electionTimeoutMaxMs) {
    return {
      dotted: 'metadata.election_timeout_min',
      message: `must be less than metadata.election_timeout_max (${formatDurationMs(m.electionTimeoutMaxMs)}), got ${formatDurationMs(m.electionTimeoutMinMs)}`,
    };
  }
  if (m.heartbeatIntervalMs >= m.electionTimeoutMinMs) {
    return {
      dotted: 'metadata.heartbeat_interval',
      message: `must be less than metadata.election_timeout_min (${formatDurationMs(m.electionTimeoutMinMs)}), got ${formatDurationMs(m.heartbeatIntervalMs)}`,
    };
  }
  const data = config.data;
  if ((data.erasureDataShards === 0) !== (data.erasureParityShards === 0) && data.erasureDataShards === 0) {
    return { dotted: 'data.erasure_data_shards', message: 'must be set (1 or more) when data.erasure_parity_shards is set; leave both 0 to choose by cluster size' };
  }
  if (data.stripeSizeBytes < 4096 || data.stripeSizeBytes > 64 * 1024 * 1024) {
    return { dotted: 'data.stripe_size', message: `must be between 4KiB and 64MiB, got ${data.stripeSizeBytes} bytes` };
  }
  if (data.inlineThresholdBytes > 1024 * 1024) {
    return { dotted: 'data.inline_threshold', message: `must be at most 1MiB (inline objects live in the replicated metadata), got ${data.inlineThresholdBytes} bytes` };
  }
  const ports: [string, number][] = [
    ['node.cluster_port', config.node.clusterPort],
    ['node.admin_port', config.node.adminPort],
    ['node.s3_port', config.node.s3Port],
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = 0; j < i; j++) {
      // 0 means "any free port", so two zeros do not collide.
      if (ports[i][1] !== 0 && ports[i][1] === ports[j][1]) {
        return { dotted: ports[i][0], message: `must differ from ${ports[j][0]} (both ${ports[i][1]}) since every listener binds node.bind_address` };
      }
    }
  }
  return undefined;
}
