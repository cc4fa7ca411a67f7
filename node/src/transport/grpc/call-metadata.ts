/**
 * Who is calling: every call on the cluster port carries the sender's cluster ID and node ID, so a node
 * never accepts Raft traffic or a join from another cluster (e.g. a stale node from a rebuilt cluster).
 */
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import type { NodeId } from '../../raft/types.js';
import { StrataError } from '../../platform/errors.js';
import { toGrpcError } from './grpc-errors.js';

export const CLUSTER_ID_KEY = 'x-strata-cluster-id';
export const NODE_ID_KEY = 'x-strata-node-id';

export interface CallerIdentity {
  clusterId: string;
  /** 0 when the caller did not say (not a Strata node). */
  nodeId: NodeId;
}

export function callerMetadata(identity: CallerIdentity): Metadata {
  const metadata = new Metadata();
  metadata.set(CLUSTER_ID_KEY, identity.clusterId);
  metadata.set(NODE_ID_KEY, String(identity.nodeId));
  return metadata;
}

export function readCaller(metadata: Metadata): CallerIdentity {
  const cluster = metadata.get(CLUSTER_ID_KEY)[0];
  const node = Number(metadata.get(NODE_ID_KEY)[0]);
  return {
    clusterId: typeof cluster === 'string' ? cluster : '',
    nodeId: Number.isSafeInteger(node) && node > 0 ? node : 0,
  };
}

/** Two cluster IDs conflict only when both are known: a fresh node ('') talks to anyone. */
export function clusterIdsConflict(a: string, b: string): boolean {
  return a !== '' && b !== '' && a !== b;
}

export function clusterMismatchError(local: { nodeId: NodeId; clusterId: string }, caller: CallerIdentity): StrataError {
  return new StrataError(
    'ClusterMismatch',
    `cluster ID mismatch: node-${local.nodeId} belongs to cluster '${local.clusterId}' and refuses ` +
      `node-${caller.nodeId} of cluster '${caller.clusterId}'`,
    { details: { localClusterId: local.clusterId, remoteClusterId: caller.clusterId } },
  );
}

/** The FAILED_PRECONDITION status (with code metadata) for a refused caller. */
export function clusterMismatchStatus(local: { nodeId: NodeId; clusterId: string }, caller: CallerIdentity): Partial<StatusObject> {
  const out = toGrpcError(clusterMismatchError(local, caller));
  return { ...out, code: status.FAILED_PRECONDITION };
}
