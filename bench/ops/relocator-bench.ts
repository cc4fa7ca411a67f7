/**
 * Focused mover benchmark (no cluster): ChunkRelocator + runMoveBatch over real FsChunkStores (one
 * directory per node, same disk), metadata in memory with an injected latency per read (a ReadIndex
 * round) and per command (a Raft commit). Rebuilds every chunk of node 3 (recovery) and copies them
 * (rebalance) at each concurrency asked for, on the same data, side by side.
 *
 *   node --import tsx bench/ops/relocator-bench.ts [--mib 256] [--concurrency 2,8] [--read-ms 1] [--execute-ms 5]
 *   (add --cpu-prof to node for a profile of the mover's own CPU)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalMetadata } from '../../node/src/objects/local-metadata.testkit.js';
import type { MetadataAccess } from '../../node/src/objects/metadata-access.js';
import { StrataObjectService } from '../../node/src/objects/strata-object-service.js';
import { SystemClock } from '../../node/src/platform/real/system-clock.js';
import { silentLogger } from '../../node/src/platform/logger.js';
import { SeededRandom } from '../../node/src/platform/random.js';
import type { ChunkStoreDirectory } from '../../node/src/ports/chunk-store.js';
import { ChunkRelocator } from '../../node/src/repair/chunk-relocator.js';
import { toMovable } from '../../node/src/repair/maintenance-context.js';
import { runMoveBatch } from '../../node/src/repair/move-batch.js';
import { ProgressTracker } from '../../node/src/repair/move-progress.js';
import { FsChunkStore } from '../../node/src/storage/fs/fs-chunk-store.js';

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: {
  mib: { type: 'string', default: '256' }, concurrency: { type: 'string', default: '2,8' },
  'read-ms': { type: 'string', default: '1' }, 'execute-ms': { type: 'string', default: '5' }, dir: { type: 'string' },
} });
const totalBytes = Number(values.mib) * MiB;
const readMs = Number(values['read-ms']);
const executeMs = Number(values['execute-ms']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(values.dir ?? path.join(process.cwd(), '.cache'), 'relocator-bench-'));
  const clock = new SystemClock();
  const nodeIds = [1, 2, 3, 4, 5];
  const stores = new Map<number, FsChunkStore>();
  for (const id of nodeIds) stores.set(id, await FsChunkStore.open({ dir: path.join(root, `node-${id}`) }));
  const chunkStores: ChunkStoreDirectory = { forNode: (id) => stores.get(id)! };
  const local = new LocalMetadata();
  const metadata: MetadataAccess = {
    read: async (q) => (readMs > 0 && (await sleep(readMs)), local.read(q)),
    execute: async (c) => (executeMs > 0 && (await sleep(executeMs)), local.execute(c)),
  };
  // Four nodes hold the data; node 5 is the spare target.
  const view = async () => nodeIds.map((id) => ({ id, state: 'active' as const, online: true, availableBytes: 2 ** 40 }));
  const service = new StrataObjectService({
    selfId: 1, metadata: local, chunkStores, clock, random: new SeededRandom(1), stripeDataBytes: MiB, inlineThresholdBytes: 1024,
    readTimeoutMs: 30_000, writeTimeoutMs: 30_000, placementWaitMs: 1000, erasure: { dataShards: 2, parityShards: 1 },
    placementView: async () => (await view()).filter((n) => n.id !== 5),
  });
  await service.createBucket('b');
  const sizes = [1, 4, 2, 3].map((m) => m * MiB);
  let written = 0;
  for (let i = 0; written < totalBytes; i++) {
    const size = sizes[i % 4];
    const data = Buffer.alloc(size, i & 0xff);
    async function* body() { yield data; }
    await service.putObject({ bucket: 'b', key: `k${i}`, body: body(), sizeBytes: size });
    written += size;
  }
  const concurrencies = (values.concurrency ?? '2').split(',').map(Number);
  const figures: Record<string, unknown>[] = [];
  for (const mode of ['rebuild', 'copy'] as const) {
    for (const concurrency of concurrencies) {
      // Move node 3's chunks to node 5 and back, so every run moves the same set.
      for (const [from, to] of [[3, 5], [5, 3]] as const) {
        const chunks = local.meta.chunksOnNode(from).map(toMovable);
        const moves = chunks.map((c) => ({ chunkId: c.chunkId, fromNodeId: from, toNodeId: to, sizeBytes: c.sizeBytes }));
        const relocator = new ChunkRelocator({ metadata, chunkStores, clock, random: new SeededRandom(concurrency * 7 + from + (mode === 'copy' ? 1000 : 0)), logger: silentLogger });
        const progress = new ProgressTracker(clock);
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const result = await runMoveBatch({ relocator, moves, mode, progress, logger: { ...silentLogger, warn: (o: unknown, m: string) => { if (process.env.RB_DEBUG) console.error(m, (o as { err?: Error }).err?.message); } } as typeof silentLogger, concurrency, shouldStop: () => false });
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const bytes = progress.snapshot().bytesDone;
        if (from === 3) {
          const line = { bench: 'relocator', mode, concurrency, mibPerSec: +(bytes / MiB / seconds).toFixed(1), chunks: result.moved, failed: result.failed,
            mib: +(bytes / MiB).toFixed(1), seconds: +seconds.toFixed(2), cpuPct: +((cpu.user + cpu.system) / 1e4 / seconds).toFixed(0), readMs, executeMs };
          figures.push(line);
          console.log(JSON.stringify(line));
        }
      }
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
