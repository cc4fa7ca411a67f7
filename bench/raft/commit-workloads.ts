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
  const name = `b-${runId}-${workerId.toString(36)}-${seq.toString(36)}`.toLowerCase();
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

export const strataCreatedBucket = (status: number): boolean => status === 201;
