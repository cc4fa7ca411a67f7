/**
 * Measures a remote chunk write and read of 64 MiB in 512 KiB blocks on loopback (both ends in this
 * process): `npx tsx node/src/transport/grpc/chunk-throughput-probe.testkit.ts [rounds] [syncWrites]`.
 * Prints one JSON line per round (CPU: both ends, user + system). Not a test; figures depend on the machine's load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsChunkStore } from '../../storage/fs/fs-chunk-store.js';
import { ChunkServiceServer } from './chunk-service-server.js';
import { GrpcTransport } from './grpc-transport.js';
import { RemoteChunkStore } from './remote-chunk-store.js';
import { RecordingHandler } from './test-harness.js';

const rounds = Number(process.argv[2] ?? 3);
const syncWrites = process.argv[3] !== 'false';
const blockSize = 512 * 1024;
const blocks = 128;
const dir = await mkdtemp(join(tmpdir(), 'strata-chunk-probe-'));
const store = await FsChunkStore.open({ dir, syncWrites });
const transport = new GrpcTransport({ nodeId: 2, listenAddress: '127.0.0.1:0', clusterId: 'p', services: [new ChunkServiceServer({ store, nodeId: 2, clusterId: () => 'p' })] });
await transport.start(new RecordingHandler());
const remote = new RemoteChunkStore({ address: transport.address, selfId: 1, clusterId: () => 'p' });
const MiB = 2 ** 20;
try {
  for (let round = 0; round < rounds; round++) {
    const id = `probe.${round}`;
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let t = performance.now();
    let cpu = process.cpuUsage();
    const writer = await remote.create(id, { blockSizeBytes: blockSize, expectedBytes: blockSize * blocks });
    for (let i = 0; i < blocks; i++) {
      const b = Buffer.allocUnsafe(blockSize);
      b.fill(i & 0xff);
      await writer.append(b);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    await writer.commit();
    const writeMs = performance.now() - t;
    const writeCpu = process.cpuUsage(cpu);
    t = performance.now();
    cpu = process.cpuUsage();
    let n = 0;
    for await (const data of remote.readBlocks(id, 0, blocks)) {
      n += data.byteLength;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const readMs = performance.now() - t;
    const readCpu = process.cpuUsage(cpu);
    const cpuMsPerMiB = (usage: NodeJS.CpuUsage) => Math.round(((usage.user + usage.system) / 1000 / 64) * 100) / 100;
    const mem = process.memoryUsage();
    console.log(JSON.stringify({
      bench: 'remote-chunk-64MiB', syncWrites, writeMBs: Math.round((64 * 1000) / writeMs), readMBs: Math.round((n / MiB) * 1000 / readMs),
      writeCpuMsPerMiB: cpuMsPerMiB(writeCpu), readCpuMsPerMiB: cpuMsPerMiB(readCpu),
      rssGrowthMiB: Math.round((peak - rss0) / MiB), heapMiB: Math.round(mem.heapUsed / MiB), arrayBuffersMiB: Math.round(mem.arrayBuffers / MiB),
    }));
    await remote.delete(id);
  }
} finally {
  remote.close();
  await transport.stop();
  await rm(dir, { recursive: true, force: true });
}
