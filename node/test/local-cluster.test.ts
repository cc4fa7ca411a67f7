import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';

const ENTRY = join(import.meta.dirname, '..', '..', 'dist', 'node', 'src', 'local', 'local-cluster.js');

/** Start `make run`'s program and resolve once it says the cluster is up. */
function startLocalCluster(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [ENTRY, '--dir', dir, '--first-address', '191'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('local cluster is up')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`local cluster exited with ${code}: ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

function clientFromEnv(dir: string): S3Client {
  const env = Object.fromEntries(
    [...readFileSync(join(dir, 'env'), 'utf8').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  return new S3Client({
    endpoint: env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION,
    forcePathStyle: true,
    // As in the other S3 tests: the SDK's own retries absorb a connection reset on a loaded machine.
    maxAttempts: 5,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
}

describe('the embedded default (make run)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-run-'));
  let cluster: ChildProcess | undefined;
  afterAll(async () => {
    // A failed assertion must not leave the cluster running (its addresses would stay taken).
    if (cluster && cluster.exitCode === null && cluster.signalCode === null) await stop(cluster);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves S3 with the keys of .strata/env, stops cleanly on Ctrl-C, and reuses its data when run again', async () => {
    cluster = await startLocalCluster(dir);
    let s3 = clientFromEnv(dir);
    const body = 'x'.repeat(300 * 1024);
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
    await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'object', Body: body }));
    s3.destroy();
    expect(await stop(cluster)).toBe(0);

    cluster = await startLocalCluster(dir);
    s3 = clientFromEnv(dir);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'kept', Key: 'object' }));
    expect(await got.Body!.transformToString()).toBe(body);
    s3.destroy();
    expect(await stop(cluster)).toBe(0);
  });
});
