import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createErasureCodec, DEFAULT_ERASURE_CODEC_ID } from '../../erasure/erasure-codec.js';
import { allocateShards } from '../../erasure/shard-buffers.js';
import { splitStripe } from '../../erasure/stripe.js';
import { isStrataError } from '../../platform/errors.js';
import { SystemClock } from '../../platform/real/system-clock.js';
import type { ChunkBuildRequest, ChunkBuilder, ChunkStore } from '../../ports/chunk-store.js';
import { StreamingChunkBuilder } from '../../repair/chunk-builder.js';
import { FsChunkStore } from '../../storage/fs/fs-chunk-store.js';
import { ChunkServiceServer } from './chunk-service-server.js';
import { GrpcChunkStoreDirectory } from './grpc-chunk-store-directory.js';
import { GrpcTransport } from './grpc-transport.js';
import { RecordingHandler } from './test-harness.js';

/**
 * BuildChunk between real processes' worth of parts in one process: four nodes, each an FsChunkStore
 * served by a started GrpcTransport on 127.0.0.1, with the directory and the builder wired as main.ts
 * wires them. Erasure 2+1 over stripes of 8 KiB (shards of 4 KiB): columns on nodes 1-3, node 4 free.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  id: number;
  store: FsChunkStore;
  directory: GrpcChunkStoreDirectory;
}

const SHARD = 4096;
const STRIPES = 3;

async function startCluster(options: { oldVersion?: number } = {}): Promise<Map<number, Node>> {
  const nodes = new Map<number, Node>();
  const addresses = new Map<number, string>();
  const clock = new SystemClock();
  for (const id of [1, 2, 3, 4]) {
    const dir = await mkdtemp(join(tmpdir(), `strata-build-${id}-`));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = await FsChunkStore.open({ dir, syncWrites: false });
    let builder: ChunkBuilder | undefined;
    const server = new ChunkServiceServer({ store, nodeId: id, clusterId: () => 'c1', builder: () => builder });
    // A node of a version before BuildChunk: grpc-js answers UNIMPLEMENTED for a method it has no handler for.
    if (options.oldVersion === id) delete (server.implementation as Record<string, unknown>).buildChunk;
    const transport = new GrpcTransport({ nodeId: id, listenAddress: '127.0.0.1:0', clusterId: 'c1', services: [server] });
    await transport.start(new RecordingHandler());
    cleanups.push(() => transport.stop());
    addresses.set(id, transport.address);
    const directory = new GrpcChunkStoreDirectory({
      selfId: id,
      local: store,
      addressOf: (peer) => addresses.get(peer),
      clusterId: () => 'c1',
      localBuilder: () => builder,
    });
    cleanups.push(() => directory.close());
    builder = new StreamingChunkBuilder({ chunkStores: directory, clock, blockTimeoutMs: 5_000 }).writingTo(store);
    nodes.set(id, { id, store, directory });
  }
  return nodes;
}

/** Three columns (2 data + parity) of STRIPES stripes, written to nodes 1-3; returns the request's source. */
async function writeColumns(nodes: Map<number, Node>): Promise<{ columns: Buffer[][]; source: ChunkBuildRequest['source'] }> {
  const codec = createErasureCodec({ dataShards: 2, parityShards: 1 });
  const columns: Buffer[][] = [[], [], []];
  for (let s = 0; s < STRIPES; s++) {
    const shards = [...splitStripe(randomBytes(2 * SHARD), 2, SHARD), ...allocateShards(1, SHARD)];
    await codec.encode(shards);
    shards.forEach((shard, j) => columns[j].push(Buffer.from(shard)));
  }
  const chunks = [1, 2, 3].map((nodeId, j) => ({ nodeId, chunkId: `obj.${j}` }));
  for (const [j, chunk] of chunks.entries()) {
    const writer = await nodes.get(chunk.nodeId)!.store.create(chunk.chunkId, { blockSizeBytes: SHARD, expectedBytes: STRIPES * SHARD });
    for (const block of columns[j]) await writer.append(block);
    await writer.commit();
  }
  const layout = { codecId: DEFAULT_ERASURE_CODEC_ID, dataShards: 2, parityShards: 1, stripeDataBytes: 2 * SHARD, shardBytes: SHARD, chunks };
  return { columns, source: { column: 0, sizeBytes: STRIPES * SHARD, dataBytes: STRIPES * 2 * SHARD, layout } };
}

async function blocksOf(store: ChunkStore, chunkId: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const block of store.readBlocks(chunkId, 0, STRIPES)) out.push(Buffer.from(block));
  return out;
}

async function chunkIds(store: ChunkStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const info of store.list()) ids.push(info.chunkId);
  return ids.sort();
}

describe('BuildChunk: the target node builds the new chunk itself', () => {
  it('copies a column from its node: the leader (node 2) only asks, node 4 reads node 1 and writes locally', async () => {
    const nodes = await startCluster();
    const { columns, source } = await writeColumns(nodes);
    const target = nodes.get(2)!.directory.builderFor(4)!;
    const result = await target.build({ newChunkId: 'new.0', mode: 'copy', source });
    expect(result.bytes).toBe(STRIPES * SHARD);
    expect(await blocksOf(nodes.get(4)!.store, 'new.0')).toEqual(columns[0]);
  });

  it('rebuilds a lost column from the other two', async () => {
    const nodes = await startCluster();
    const { columns, source } = await writeColumns(nodes);
    await nodes.get(1)!.store.delete('obj.0');
    await nodes.get(2)!.directory.builderFor(4)!.build({ newChunkId: 'new.0', mode: 'rebuild', source });
    expect(await blocksOf(nodes.get(4)!.store, 'new.0')).toEqual(columns[0]);
  });

  it('a node builds for itself without the cluster port (the leader as target)', async () => {
    const nodes = await startCluster();
    const { columns, source } = await writeColumns(nodes);
    await nodes.get(4)!.directory.builderFor(4)!.build({ newChunkId: 'new.0', mode: 'rebuild', source: { ...source, column: 0 } });
    expect(await blocksOf(nodes.get(4)!.store, 'new.0')).toEqual(columns[0]);
  });

  it('fails with Unavailable (unrecoverable) when too few columns are readable, leaving nothing on the target', async () => {
    const nodes = await startCluster();
    const { source } = await writeColumns(nodes);
    await nodes.get(1)!.store.delete('obj.0');
    await nodes.get(2)!.store.delete('obj.1');
    const err = await nodes.get(2)!.directory.builderFor(4)!.build({ newChunkId: 'new.0', mode: 'rebuild', source }).catch((e: unknown) => e);
    expect(isStrataError(err, 'Unavailable')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details.unrecoverable).toBe(true);
    expect(await chunkIds(nodes.get(4)!.store)).toEqual([]);
  });

  it('refuses a request whose layout does not add up, naming the field, before writing anything', async () => {
    const nodes = await startCluster();
    const { source } = await writeColumns(nodes);
    const bad = { ...source, layout: { ...source.layout, chunks: source.layout.chunks.slice(0, 2) } };
    const err = await nodes.get(2)!.directory.builderFor(4)!.build({ newChunkId: 'new.0', mode: 'copy', source: bad }).catch((e: unknown) => e);
    expect(isStrataError(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toMatch(/BuildChunk: columns has 2 entries for 2\+1/);
    expect(await chunkIds(nodes.get(4)!.store)).toEqual([]);
  });

  it('a node of an older version answers buildUnsupported, so the leader can build and push itself', async () => {
    const nodes = await startCluster({ oldVersion: 4 });
    const { source } = await writeColumns(nodes);
    const err = await nodes.get(2)!.directory.builderFor(4)!.build({ newChunkId: 'new.0', mode: 'copy', source }).catch((e: unknown) => e);
    expect(isStrataError(err, 'FailedPrecondition')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details.buildUnsupported).toBe(true);
  });
});
