/**
 * ChunkBuildRequest <-> the BuildChunk message. The receiving side checks the shape before it reads or
 * writes anything: a request it cannot make sense of is refused with InvalidArgument naming the field.
 */
import { StrataError } from '../../platform/errors.js';
import type { ChunkBuildRequest } from '../../ports/chunk-store.js';
import { BuildMode, type BuildChunkRequest } from './generated/strata/cluster/v1/chunks.js';

export function buildChunkRequestToPb(request: ChunkBuildRequest): BuildChunkRequest {
  const { source } = request;
  const { layout } = source;
  return {
    newChunkId: request.newChunkId,
    mode: request.mode === 'copy' ? BuildMode.BUILD_MODE_COPY : BuildMode.BUILD_MODE_REBUILD,
    column: source.column,
    sizeBytes: source.sizeBytes,
    dataBytes: source.dataBytes,
    codecId: layout.codecId,
    dataShards: layout.dataShards,
    parityShards: layout.parityShards,
    stripeDataBytes: layout.stripeDataBytes,
    shardBytes: layout.shardBytes,
    columns: layout.chunks.map((c) => ({ nodeId: c.nodeId, chunkId: c.chunkId })),
  };
}

export function buildChunkRequestFromPb(message: BuildChunkRequest): ChunkBuildRequest {
  const refuse = (field: string, why: string): never => {
    throw new StrataError('InvalidArgument', `BuildChunk: ${field} ${why}`);
  };
  const mode = message.mode === BuildMode.BUILD_MODE_COPY ? 'copy' : message.mode === BuildMode.BUILD_MODE_REBUILD ? 'rebuild' : refuse('mode', `is ${message.mode}`);
  if (message.newChunkId === '') refuse('new_chunk_id', 'is empty');
  if (message.dataShards < 1) refuse('data_shards', 'must be at least 1');
  if (message.columns.length !== message.dataShards + message.parityShards) {
    refuse('columns', `has ${message.columns.length} entries for ${message.dataShards}+${message.parityShards}`);
  }
  if (message.column >= message.columns.length) refuse('column', `${message.column} is out of range`);
  if (message.stripeDataBytes <= 0 || message.shardBytes <= 0) refuse('stripe_data_bytes/shard_bytes', 'must be positive');
  return {
    newChunkId: message.newChunkId,
    mode,
    source: {
      column: message.column,
      sizeBytes: message.sizeBytes,
      dataBytes: message.dataBytes,
      layout: {
        codecId: message.codecId,
        dataShards: message.dataShards,
        parityShards: message.parityShards,
        stripeDataBytes: message.stripeDataBytes,
        shardBytes: message.shardBytes,
        chunks: message.columns.map((c) => ({ nodeId: c.nodeId, chunkId: c.chunkId })),
      },
    },
  };
}
