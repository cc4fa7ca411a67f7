/**
 * The ChunkService definition both ends use: the generated one, with the block-carrying messages'
 * (de)serializers swapped for the copy-saving ones of chunk-wire.ts (same bytes on the wire).
 */
import { makeGenericClientConstructor, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { ChunkServiceService, type ChunkServiceClient } from './generated/strata/cluster/v1/chunks.js';
import {
  deserializePutChunkRequest,
  deserializeReadBlocksResponse,
  serializePutChunkRequest,
  serializeReadBlocksResponse,
} from './chunk-wire.js';

export const chunkServiceDefinition = {
  ...ChunkServiceService,
  putChunk: {
    ...ChunkServiceService.putChunk,
    requestSerialize: serializePutChunkRequest,
    requestDeserialize: deserializePutChunkRequest,
  },
  readBlocks: {
    ...ChunkServiceService.readBlocks,
    responseSerialize: serializeReadBlocksResponse,
    responseDeserialize: deserializeReadBlocksResponse,
  },
} as const;

const ClientConstructor = makeGenericClientConstructor(chunkServiceDefinition, 'strata.cluster.v1.ChunkService') as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: ChannelOptions,
) => ChunkServiceClient;

export function createChunkClient(address: string, credentials: ChannelCredentials, options: ChannelOptions): ChunkServiceClient {
  return new ClientConstructor(address, credentials, options);
}
