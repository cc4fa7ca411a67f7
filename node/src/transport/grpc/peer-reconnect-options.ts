import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * How every node-to-node gRPC channel finds a peer again. Peers are dialled by name (a StatefulSet pod's DNS
 * name, a host name), and a restarted pod comes back at a new address: with grpc-js's defaults (at most one
 * DNS lookup per 30 s, reconnect backoff growing to 120 s) the others kept dialling the old address for up
 * to half a minute after a rolling restart, and PUTs waited for placement all that time.
 */
export function peerReconnectOptions(backoff: { initialMs: number; maxMs: number }): ChannelOptions {
  return {
    'grpc.dns_min_time_between_resolutions_ms': 1_000,
    'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
    'grpc.max_reconnect_backoff_ms': backoff.maxMs,
  };
}
