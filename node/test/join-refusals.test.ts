import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from '../src/local/server-process.js';
import { TestCluster, votersOf } from './harness/test-cluster.js';

/** The process must exit by itself, quickly: a refusal that leaves the node running is a failure. */
async function exitWithin(process: ServerProcess, ms = 60_000): Promise<number | null> {
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms).unref());
  const outcome = await Promise.race([process.exitCode(), timeout]);
  if (outcome === 'still running') {
    await process.kill();
    throw new Error(`node-${process.options.nodeId} was not refused within ${ms} ms (see ${process.options.logFile})`);
  }
  return outcome;
}

describe('joins that must be refused', () => {
  const a = new TestCluster({ subnetBase: 130 });
  const b = new TestCluster({ subnetBase: 140 });

  beforeAll(async () => {
    await a.startNodes(2);
    await b.start(1).waitReady();
  });

  afterAll(async () => {
    await Promise.all([a.stopAll(), b.stopAll()]);
    a.cleanup();
    b.cleanup();
  });

  it('refuses a second node with an id that is already a member, naming the id', async () => {
    const impostor = new ServerProcess({
      nodeId: 2,
      bindAddress: a.address(9),
      dataDir: `${a.root}/impostor`,
      join: `${a.address(1)}:9000`,
      configPath: a.configPath,
      logFile: `${a.root}/impostor.log`,
    });
    impostor.start();
    expect(await exitWithin(impostor)).not.toBe(0);
    const log = await readFile(impostor.options.logFile, 'utf8');
    expect(log).toMatch(/node-2 is already a member/);
    expect(votersOf(await a.status(1))).toEqual([1, 2]);
  });

  it('refuses a node holding another cluster\'s data when it is pointed at this cluster', async () => {
    await a.node(2).stop();
    const stray = new ServerProcess({ ...a.node(2).options, join: `${b.address(1)}:9000`, logFile: `${a.root}/stray.log` });
    stray.start();
    expect(await exitWithin(stray)).not.toBe(0);
    const log = await readFile(stray.options.logFile, 'utf8');
    const clusterA = (await a.status(1)).clusterId;
    const clusterB = (await b.status(1)).clusterId;
    expect(log).toContain(clusterA);
    expect(log).toContain(clusterB);
    expect((await b.status(1)).nodes.map((n) => n.id)).toEqual([1]);
  });
});
