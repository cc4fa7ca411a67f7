import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsSink } from '../platform/metrics.js';
import { SystemClock } from '../platform/real/system-clock.js';
import { chunkPath } from '../storage/fs/chunk-paths.js';
import { FsChunkStore } from '../storage/fs/fs-chunk-store.js';
import { ChunkScrubber, type ChunkRebuilder, type ScrubMetadataView } from './chunk-scrubber.js';
import { SCRUB_STATE_FILE } from './scrub-state-file.js';

const SELF = 3;
const BLOCK = 4096;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function countingMetrics(): MetricsSink & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    gauge: () => ({ set: () => undefined }),
    counter: (name) => ({ inc: (v = 1) => counts.set(name, (counts.get(name) ?? 0) + v) }),
    histogram: () => ({ observe: () => undefined }),
  };
}

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-scrub-'));
  dirs.push(dataDir);
  const chunksDir = join(dataDir, 'chunks');
  const store = await FsChunkStore.open({ dir: chunksDir, syncWrites: false, reserveBytes: 1 });
  const referenced = new Set<string>();
  const blockCounts = new Map<string, number>();
  const write = async (chunkId: string, blocks: number, ref = true) => {
    blockCounts.set(chunkId, blocks);
    const writer = await store.create(chunkId, { blockSizeBytes: BLOCK, expectedBytes: blocks * BLOCK });
    for (let b = 0; b < blocks; b++) await writer.append(new Uint8Array(BLOCK).fill((b * 31 + chunkId.length) & 0xff));
    await writer.commit();
    if (ref) referenced.add(chunkId);
  };
  const flip = async (chunkId: string, offset: number) => {
    const handle = await open(chunkPath(chunksDir, chunkId), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = byte[0]! ^ 0x40;
    await handle.write(byte, 0, 1, offset);
    await handle.close();
    await store.close(); // drop cached handles, as a restart would
  };
  const relocations: string[] = [];
  // Stands in for the relocator: rebuilds the column under a new id and swaps the reference.
  const rebuilder: ChunkRebuilder = {
    async relocate(request) {
      expect(request).toMatchObject({ fromNodeId: SELF, toNodeId: SELF, mode: 'rebuild' });
      relocations.push(request.chunkId);
      const newChunkId = `${request.chunkId}-r${relocations.length}`;
      const blocks = blockCounts.get(request.chunkId)!;
      await write(newChunkId, blocks);
      referenced.delete(request.chunkId);
      return { newChunkId, bytes: blocks * BLOCK };
    },
  };
  const metadata = {
    read: async <T,>(q: (m: ScrubMetadataView) => T) =>
      q({ isChunkReferenced: (n, c) => n === SELF && referenced.has(c), chunksOnNode: (n) => (n === SELF ? [...referenced].sort().map((chunkId) => ({ chunkId })) : []) }),
  };
  return { dataDir, chunksDir, store, referenced, write, flip, rebuilder, relocations, metadata };
}

describe('ChunkScrubber', () => {
  it('verifies referenced chunks, finds a flipped byte, repairs it, and a second pass finds nothing', async () => {
    const t = await setup();
    await t.write('aaaa.0', 5);
    await t.write('bbbb.1', 3);
    await t.write('garbage.2', 4, false);
    await t.flip('bbbb.1', 64 + BLOCK + 4 + 100); // inside block 1 (after the header and block 0 with its CRC)
    await t.flip('garbage.2', 64 + 10); // unreferenced: not read, not reported
    const metrics = countingMetrics();
    const scrubber = new ChunkScrubber({ nodeId: SELF, store: t.store, metadata: t.metadata, rebuilder: t.rebuilder, clock: new SystemClock(), stateDir: t.dataDir, enabled: false, throttleMbPerSec: 1000, metrics });
    await scrubber.start();

    const started = await scrubber.scrubStart();
    expect(started.state).toBe('running');
    await scrubber.idle();
    const after = await scrubber.scrubStatus();
    expect(after).toMatchObject({ nodeId: SELF, enabled: false, state: 'idle', errorsFound: 1, errorsRepaired: 1 });
    expect(after.progress).toMatchObject({ chunksTotal: 2, chunksDone: 2, failures: 0 });
    expect(after.progress.bytesDone).toBe(after.progress.bytesTotal);
    expect(after.lastFinishedMs).toBeGreaterThanOrEqual(after.lastStartedMs!);
    expect(after.nextRunMs).toBeUndefined();
    expect(t.relocations).toEqual(['bbbb.1']);
    expect(metrics.counts.get('strata_scrub_errors_total')).toBe(1);
    // Block 0 of the corrupt chunk and all 5 blocks of the good one were verified.
    expect(metrics.counts.get('strata_scrub_bytes_verified_total')).toBe(6 * BLOCK);

    await scrubber.scrubStart();
    await scrubber.idle();
    const second = await scrubber.scrubStatus();
    expect(second).toMatchObject({ errorsFound: 1, errorsRepaired: 1 });
    expect(second.progress).toMatchObject({ chunksTotal: 2, chunksDone: 2 }); // aaaa.0 and the rebuilt column
    expect(t.relocations).toEqual(['bbbb.1']);
    expect(JSON.parse(readFileSync(join(t.dataDir, SCRUB_STATE_FILE), 'utf8')).lastFinishedMs).toBe(second.lastFinishedMs);
    await scrubber.stop();
  });

  it('finds referenced chunks with a damaged header or missing from disk, and repairs them', async () => {
    const t = await setup();
    await t.write('good.0', 2);
    await t.write('gone.1', 2);
    await t.write('head.2', 2);
    rmSync(chunkPath(t.chunksDir, 'gone.1'));
    await t.flip('head.2', 3); // inside the header: listed as damaged, and unreadable
    const metrics = countingMetrics();
    const scrubber = new ChunkScrubber({ nodeId: SELF, store: t.store, metadata: t.metadata, rebuilder: t.rebuilder, clock: new SystemClock(), stateDir: t.dataDir, enabled: false, metrics });
    await scrubber.start();
    await scrubber.scrubStart();
    await scrubber.idle();
    const status = await scrubber.scrubStatus();
    expect(status).toMatchObject({ errorsFound: 2, errorsRepaired: 2 });
    expect(status.progress).toMatchObject({ chunksTotal: 3, chunksDone: 3, failures: 0 });
    expect(t.relocations.sort()).toEqual(['gone.1', 'head.2']);
    expect(metrics.counts.get('strata_scrub_errors_total')).toBe(2);
    // Chunks written after the listing, or unreferenced, are not reported.
    await scrubber.scrubStart();
    await scrubber.idle();
    expect((await scrubber.scrubStatus()).errorsFound).toBe(2);
  });

  it('counts a corrupt chunk it cannot repair as a failure, and retries it next pass', async () => {
    const t = await setup();
    await t.write('cccc.0', 2);
    await t.flip('cccc.0', 64 + 5);
    const scrubber = new ChunkScrubber({
      nodeId: SELF,
      store: t.store,
      metadata: t.metadata,
      rebuilder: { relocate: async () => Promise.reject(new Error('not enough shards')) },
      clock: new SystemClock(),
      stateDir: t.dataDir,
      enabled: false,
    });
    await scrubber.start();
    await scrubber.scrubStart();
    await scrubber.idle();
    await scrubber.scrubStart();
    await scrubber.idle();
    const status = await scrubber.scrubStatus();
    expect(status).toMatchObject({ errorsFound: 2, errorsRepaired: 0 });
    expect(status.progress.failures).toBe(1);
    expect(status.progress.lastError).toMatch(/cccc\.0: repair failed: not enough shards/);
  });

  it('schedules passes one interval after the last finish, remembered across restarts', async () => {
    const t = await setup();
    const clock = new SystemClock();
    const options = { nodeId: SELF, store: t.store, metadata: t.metadata, clock, stateDir: t.dataDir, enabled: true, intervalMs: 60_000 };
    const first = new ChunkScrubber(options);
    await first.start();
    const fresh = await first.scrubStatus();
    // A new data dir: the first pass is due one interval from now, not at once.
    expect(fresh.nextRunMs! - clock.wallMs()).toBeGreaterThan(55_000);
    await first.scrubStart();
    await first.idle();
    const finished = (await first.scrubStatus()).lastFinishedMs!;
    await first.stop();
    const restarted = new ChunkScrubber(options);
    await restarted.start();
    const status = await restarted.scrubStatus();
    expect(status.lastFinishedMs).toBe(finished);
    expect(status.nextRunMs).toBe(finished + 60_000);
    expect(status.state).toBe('idle');
    await restarted.stop();
  });

  it('paces reads to the throttle', async () => {
    const t = await setup();
    for (let i = 0; i < 4; i++) await t.write(`pace${i}.0`, 16); // 4 x 64 KiB
    const clock = new SystemClock();
    // 1 MiB/s: 256 KiB take about 250 ms; unthrottled they take a few ms.
    const scrubber = new ChunkScrubber({ nodeId: SELF, store: t.store, metadata: t.metadata, clock, stateDir: t.dataDir, enabled: false, throttleMbPerSec: 1 });
    await scrubber.start();
    const startedMs = clock.nowMs();
    await scrubber.scrubStart();
    await scrubber.idle();
    expect(clock.nowMs() - startedMs).toBeGreaterThanOrEqual(200);
  });
});
