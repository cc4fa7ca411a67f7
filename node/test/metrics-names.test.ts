import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomData, s3Client, sha256, sha256OfStream } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

/**
 * The operator's guide's "Key Metrics" table (name -> type), read off a real node's /metrics, and the names
 * its alert rules and dashboards use besides (monitoring/guide-metrics.json, shared with the monitoring checks).
 */
const guide = JSON.parse(readFileSync(new URL('../../monitoring/guide-metrics.json', import.meta.url), 'utf8')) as {
  table: Record<string, string>;
  queries: Record<string, string>;
};
const GUIDE_TABLE = guide.table;
const GUIDE_QUERIES = guide.queries;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

/** The Prometheus text exposition format: `# TYPE name type` lines and `name{a="b"} value` samples. */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

/** Names whose exported type differs from the expected one ("name: missing" or "name: gauge, want counter"). */
function typeMismatches(scrape: Scrape, expected: Record<string, string>): string[] {
  return Object.entries(expected)
    .filter(([name, type]) => scrape.types.get(name) !== type)
    .map(([name, type]) => `${name}: ${scrape.types.get(name) ?? 'missing'}, want ${type}`);
}

/** The sum of a metric's samples whose labels include `match`. */
function total(scrape: Scrape, name: string, match: Record<string, string> = {}): number {
  return scrape.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe("the operator's guide's metrics on real strata-server processes", () => {
  const cluster = new TestCluster({ subnetBase: 195 });
  const ids = [1, 2, 3];
  let s3: S3Client;
  const objectBytes = 300 * 1024; // above the 16 KiB inline threshold: erasure-coded into chunks

  const scrape = async (id: number): Promise<Scrape> => {
    const res = await fetch(`${cluster.adminUrl(id)}/metrics`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
    return parseExposition(await res.text());
  };

  beforeAll(async () => {
    await cluster.startNodes(3);
    s3 = s3Client(cluster.s3Url(1));
    await s3.send(new CreateBucketCommand({ Bucket: 'metrics' }));
    const body = randomData(objectBytes);
    await s3.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'big', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'metrics', Key: 'big' }));
    const read = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
    expect(read.hash).toBe(sha256(body));
  });

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it("exports every metric of the guide's table with the stated type, on every node", async () => {
    for (const id of ids) {
      expect(typeMismatches(await scrape(id), GUIDE_TABLE), `node-${id}`).toEqual([]);
    }
  });

  it("exports the metrics the guide's alert rules and dashboards use beyond its table", async () => {
    for (const id of ids) {
      expect(typeMismatches(await scrape(id), GUIDE_QUERIES), `node-${id}`).toEqual([]);
    }
  });

  it('says which version each node runs: strata_build_info, the status, and strata-server --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const id of ids) {
      expect((await scrape(id)).samples.filter((s) => s.name === 'strata_build_info'), `node-${id}`).toEqual([{ name: 'strata_build_info', labels: { version }, value: 1 }]);
      expect((await cluster.status(id)).version).toBe(version);
    }
    const printed = execFileSync(process.execPath, [fileURLToPath(new URL('../../bin/strata-server.js', import.meta.url)), '--version'], { encoding: 'utf8' });
    expect(printed).toBe(`strata-server ${version}\n`);
  });

  it('reports the cluster as it is: 3 nodes, one leader, the leader sees all 3 online, one term', async () => {
    const status = await cluster.status(1);
    const scrapes = await Promise.all(ids.map(scrape));
    const leaders = ids.filter((id, i) => total(scrapes[i]!, 'strata_raft_is_leader') === 1);
    expect(leaders).toEqual([status.leaderId]);
    for (const [i, s] of scrapes.entries()) {
      expect(total(s, 'strata_cluster_nodes_total'), `node-${ids[i]}`).toBe(3);
      expect(total(s, 'strata_raft_term'), `node-${ids[i]}`).toBeGreaterThanOrEqual(1);
      // A follower counts the members it heard from (itself and the leader at least); docs/monitoring.md.
      expect(total(s, 'strata_cluster_nodes_online'), `node-${ids[i]}`).toBeGreaterThanOrEqual(ids[i] === status.leaderId ? 3 : 2);
      expect(total(s, 'strata_cluster_nodes_online'), `node-${ids[i]}`).toBeLessThanOrEqual(3);
    }
    expect(new Set(scrapes.map((s) => total(s, 'strata_raft_term'))).size).toBe(1);
  });

  it('counts the S3 traffic and the data it moved on the node that served it', async () => {
    const s = await scrape(1);
    expect(total(s, 'strata_data_writes_total')).toBeGreaterThanOrEqual(1);
    expect(total(s, 'strata_data_reads_total')).toBeGreaterThanOrEqual(1);
    expect(total(s, 'strata_data_bytes_written')).toBeGreaterThanOrEqual(objectBytes);
    expect(total(s, 'strata_data_bytes_read')).toBeGreaterThanOrEqual(objectBytes);
    expect(total(s, 'strata_s3_requests_total', { method: 'PUT' })).toBeGreaterThanOrEqual(2); // bucket + object
    expect(total(s, 'strata_s3_requests_total', { method: 'GET' })).toBeGreaterThanOrEqual(1);
    // Every request is in the latency histogram, whose +Inf bucket equals its count.
    const count = total(s, 'strata_s3_request_duration_seconds_count');
    expect(count).toBeGreaterThanOrEqual(3);
    expect(total(s, 'strata_s3_request_duration_seconds_bucket', { le: '+Inf' })).toBe(count);
    expect(total(s, 'strata_s3_request_duration_seconds_count', { operation: 'PutObject' })).toBeGreaterThanOrEqual(1);
    // The PUT proposed a manifest and the GET read it: both metadata operation kinds were timed on node 1.
    expect(total(s, 'strata_metadata_operation_duration_seconds_count', { operation: 'propose' })).toBeGreaterThanOrEqual(1);
    expect(total(s, 'strata_metadata_operation_duration_seconds_count', { operation: 'read' })).toBeGreaterThanOrEqual(1);
  });

  it('reports chunk storage: the erasure-coded object holds bytes, and every node has room', async () => {
    const scrapes = await Promise.all(ids.map(scrape));
    const used = scrapes.reduce((sum, s) => sum + total(s, 'strata_chunk_storage_bytes'), 0);
    expect(used).toBeGreaterThanOrEqual(objectBytes);
    for (const [i, s] of scrapes.entries()) {
      expect(total(s, 'strata_chunk_storage_available_bytes'), `node-${ids[i]}`).toBeGreaterThan(0);
    }
  });
});
