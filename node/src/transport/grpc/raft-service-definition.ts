/**
 * The RaftService definition both ends use: the generated one, with the snapshot-chunk (de)serializers
 * swapped for the copy-saving ones of snapshot-wire.ts (same bytes on the wire).
 */
import { makeGenericClientConstructor, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { RaftServiceService, type RaftServiceClient } from './generated/strata/cluster/v1/raft.js';
import { deserializeSnapshotChunk, serializeSnapshotChunk } from './snapshot-wire.js';

export const raftServiceDefinition = {
  ...RaftServiceService,
  sendSnapshot: {
    ...RaftServiceService.sendSnapshot,
    requestSerialize: serializeSnapshotChunk,
    requestDeserialize: deserializeSnapshotChunk,
  },
} as const;

const ClientConstructor = makeGenericClientConstructor(raftServiceDefinition, 'strata.cluster.v1.RaftService') as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: ChannelOptions,
) => RaftServiceClient;

export function createRaftClient(address: string, credentials: ChannelCredentials, options: ChannelOptions): RaftServiceClient {
  return new ClientConstructor(address, credentials, options);
}
