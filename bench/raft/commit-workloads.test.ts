import { describe, expect, it } from 'vitest';
import { benchBucketName, prefixRangeEnd, runPrefix, etcdPutRequest, strataCreateBucketRequest, strataCreatedBucket } from './commit-workloads.js';

describe('commit workloads', () => {
  it('makes unique, valid S3 bucket names', () => {
    const names = new Set<string>();
    for (let w = 0; w < 64; w++) for (let s = 0; s < 50; s++) names.add(benchBucketName('lz3k1a64', w, s));
    expect(names.size).toBe(64 * 50);
    for (const n of names) expect(n).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(() => benchBucketName('x'.repeat(70), 0, 0)).toThrow(/invalid bucket name/);
  });

  it('derives a range end that covers exactly one run', () => {
    const end = prefixRangeEnd(`/buckets/${runPrefix('abc1')}`);
    expect(end).toBe('/buckets/b-abc1.');
    const inRange = (k: string) => k >= `/buckets/${runPrefix('abc1')}` && k < end;
    expect(inRange(`/buckets/${benchBucketName('abc1', 63, 999)}`)).toBe(true);
    expect(inRange(`/buckets/${benchBucketName('abc164', 0, 0)}`)).toBe(false);
  });

  it('builds an etcd gateway put with base64 key and value', () => {
    const req = etcdPutRequest('http://127.0.0.11:2379', 'run1')(3, 7);
    expect(req).toMatchObject({ method: 'POST', url: 'http://127.0.0.11:2379/v3/kv/put' });
    const body = JSON.parse(String(req.body)) as { key: string; value: string };
    expect(Buffer.from(body.key, 'base64').toString()).toBe('/buckets/b-run1-3-7');
    expect(JSON.parse(Buffer.from(body.value, 'base64').toString())).toMatchObject({ name: 'b-run1-3-7' });
  });

  it('builds a Strata bucket creation and accepts only 201', () => {
    const req = strataCreateBucketRequest('http://127.0.0.21:9090', 'run1')(10, 36);
    expect(req).toEqual({ method: 'PUT', url: 'http://127.0.0.21:9090/admin/v1/buckets/b-run1-a-10' });
    expect(strataCreatedBucket(201)).toBe(true);
    expect(strataCreatedBucket(200)).toBe(false);
    expect(strataCreatedBucket(409)).toBe(false);
  });
});
