/**
 * The two request streams the Raft benchmark compares. Each request is one metadata commit through Raft
 * with fsync on its system: an etcd put of a fresh key through the JSON gRPC gateway, and a Strata bucket
 * creation through the admin API. Keys and bucket names are unique per run, worker and sequence number,
 * so no request is a no-op or a conflict.
 */
import type { LoadRequest } from '../load/http-load.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Bucket names must be valid S3 names: lowercase letters, digits and hyphens, 3-63 characters. */
export function benchBucketName(runId: string, workerId: number, seq: number): string {
  const name = `${runPrefix(runId)}${workerId.toString(36)}-${seq.toString(36)}`.toLowerCase();
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) throw new Error(`invalid bucket name ${name}`);
  return name;
}

/** etcd v3 put via the gateway; the value is a record about the size of a bucket's metadata entry. */
export function etcdPutRequest(clientUrl: string, runId: string) {
  return (workerId: number, seq: number): LoadRequest => {
    const name = benchBucketName(runId, workerId, seq);
    const value = JSON.stringify({ name, createdMs: Date.now(), owner: 'bench' });
    return {
      method: 'POST',
      url: `${clientUrl}/v3/kv/put`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: b64(`/buckets/${name}`), value: b64(value) }),
    };
  };
}

/** Strata: PUT /admin/v1/buckets/<name> creates a bucket, answering 201 once the entry is committed. */
export function strataCreateBucketRequest(adminUrl: string, runId: string) {
  return (workerId: number, seq: number): LoadRequest => ({
    method: 'PUT',
    url: `${adminUrl}/admin/v1/buckets/${benchBucketName(runId, workerId, seq)}`,
  });
}

/** Prefix shared by every bucket name (and etcd key suffix) of one run. */
export const runPrefix = (runId: string): string => `b-${runId}-`;

/** The byte-wise successor of a prefix: etcd's range_end for "every key starting with prefix". */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  bytes[bytes.length - 1]++;
  return bytes.toString('utf8');
}

/** How many keys of a run etcd holds: a cross-check that every acknowledged put was committed. */
export async function etcdCountRun(clientUrl: string, runId: string): Promise<number> {
  const prefix = `/buckets/${runPrefix(runId)}`;
  const res = await fetch(`${clientUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(prefixRangeEnd(prefix)), count_only: true }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`etcd range: HTTP ${res.status}`);
  const body = (await res.json()) as { count?: string };
  return Number(body.count ?? 0);
}

/** How many buckets of a run Strata lists (a linearizable read on the leader). */
export async function strataCountRun(adminUrl: string, runId: string): Promise<number> {
  const res = await fetch(`${adminUrl}/admin/v1/buckets`, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`strata list buckets: HTTP ${res.status}`);
  const body = (await res.json()) as { buckets?: { name: string }[] };
  const prefix = runPrefix(runId);
  return (body.buckets ?? []).filter((b) => b.name.startsWith(prefix)).length;
}

export const strataCreatedBucket = (status: number): boolean => status === 201;
