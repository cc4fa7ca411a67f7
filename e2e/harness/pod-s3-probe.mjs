// Run by NodeAgent.exec as a "pod-like" client on the pod network: reaches the client Service by its DNS
// name (the agent's hosts file and userspace proxy), PUTs, GETs, LISTs and DELETEs one object with the AWS
// SDK v3, prints one JSON line with what it saw. Exit 0 only when the body read back has the same SHA-256.
// Environment: S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET.
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const bucket = process.env.S3_BUCKET ?? 'pod-probe';
const client = new S3Client({ endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, maxAttempts: 5 });
const sha = (b) => createHash('sha256').update(b).digest('hex');
const data = randomBytes(150_000);
const key = `probe-${Date.now()}`;
try {
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((err) => {
    if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
  });
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await got.Body.transformToByteArray());
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  const result = { key, put: sha(data), got: sha(body), listed: (listed.Contents ?? []).map((c) => c.Key) };
  console.log(JSON.stringify(result));
  process.exit(result.put === result.got && result.listed.includes(key) ? 0 : 2);
} catch (err) {
  console.log(JSON.stringify({ error: `${err.name}: ${err.message}` }));
  process.exit(1);
}
