import { describe, expect, it } from 'vitest';
import { route, S3Query, bucketFromHost } from './router.js';

function r(method: string, url: string, options: { host?: string; copy?: boolean } = {}) {
  const q = url.indexOf('?');
  const result = route(
    {
      method,
      host: options.host ?? '127.0.0.1:9080',
      rawPath: q < 0 ? url : url.slice(0, q),
      query: S3Query.parse(q < 0 ? '' : url.slice(q + 1)),
      hasCopySource: options.copy ?? false,
    },
    ['s3.local'],
  );
  return 'error' in result ? { refused: result.error.code } : result;
}

describe('router', () => {
  it.each([
    ['GET', '/', {}, { operation: 'ListBuckets' }],
    ['PUT', '/b1', {}, { operation: 'CreateBucket', bucket: 'b1' }],
    ['PUT', '/b1/', {}, { operation: 'CreateBucket', bucket: 'b1' }],
    ['DELETE', '/b1', {}, { operation: 'DeleteBucket', bucket: 'b1' }],
    ['HEAD', '/b1', {}, { operation: 'HeadBucket', bucket: 'b1' }],
    ['GET', '/b1?location', {}, { operation: 'GetBucketLocation', bucket: 'b1' }],
    ['GET', '/b1', {}, { operation: 'ListObjects', bucket: 'b1' }],
    ['GET', '/b1?list-type=2&prefix=a', {}, { operation: 'ListObjectsV2', bucket: 'b1' }],
    ['GET', '/b1?uploads', {}, { operation: 'ListMultipartUploads', bucket: 'b1' }],
    ['POST', '/b1?delete', {}, { operation: 'DeleteObjects', bucket: 'b1' }],
    ['PUT', '/b1/a/b%20c', {}, { operation: 'PutObject', bucket: 'b1', key: 'a/b c' }],
    ['PUT', '/b1/k', { copy: true }, { operation: 'CopyObject', bucket: 'b1', key: 'k' }],
    ['GET', '/b1/k', {}, { operation: 'GetObject', bucket: 'b1', key: 'k' }],
    ['HEAD', '/b1/k', {}, { operation: 'HeadObject', bucket: 'b1', key: 'k' }],
    ['DELETE', '/b1/k', {}, { operation: 'DeleteObject', bucket: 'b1', key: 'k' }],
    ['POST', '/b1/k?uploads', {}, { operation: 'CreateMultipartUpload', bucket: 'b1', key: 'k' }],
    ['PUT', '/b1/k?partNumber=1&uploadId=u', {}, { operation: 'UploadPart', bucket: 'b1', key: 'k' }],
    ['PUT', '/b1/k?partNumber=1&uploadId=u', { copy: true }, { operation: 'UploadPartCopy', bucket: 'b1', key: 'k' }],
    ['POST', '/b1/k?uploadId=u', {}, { operation: 'CompleteMultipartUpload', bucket: 'b1', key: 'k' }],
    ['DELETE', '/b1/k?uploadId=u', {}, { operation: 'AbortMultipartUpload', bucket: 'b1', key: 'k' }],
    ['GET', '/b1/k?uploadId=u', {}, { operation: 'ListParts', bucket: 'b1', key: 'k' }],
    ['GET', '/b1//double//slash/', {}, { operation: 'GetObject', bucket: 'b1', key: '/double//slash/' }],
    ['GET', '/b1/a+b', {}, { operation: 'GetObject', bucket: 'b1', key: 'a+b' }],
    // Virtual-host style.
    ['GET', '/', { host: 'photos.s3.local:9080' }, { operation: 'ListObjects', bucket: 'photos' }],
    ['GET', '/2024/a.jpg', { host: 'photos.s3.local' }, { operation: 'GetObject', bucket: 'photos', key: '2024/a.jpg' }],
    ['PUT', '/', { host: 'PHOTOS.S3.LOCAL:9080' }, { operation: 'CreateBucket', bucket: 'photos' }],
    ['GET', '/photos/x', { host: 's3.local:9080' }, { operation: 'GetObject', bucket: 'photos', key: 'x' }],
    // Refusals.
    ['GET', '/b1?acl', {}, { refused: 'NotImplemented' }],
    ['PUT', '/b1/k?tagging', {}, { refused: 'NotImplemented' }],
    ['GET', '/b1?versioning', {}, { refused: 'NotImplemented' }],
    ['GET', '/b1?list-type=3', {}, { refused: 'InvalidArgument' }],
    ['PATCH', '/b1/k', {}, { refused: 'MethodNotAllowed' }],
    ['POST', '/b1/k', {}, { refused: 'MethodNotAllowed' }],
    ['DELETE', '/', {}, { refused: 'MethodNotAllowed' }],
    ['PUT', '/b1/k?uploadId=u', {}, { refused: 'InvalidRequest' }],
    ['GET', '/b1/%E0%A4%A', {}, { refused: 'InvalidArgument' }],
  ] as const)('%s %s %j', (method, url, options, expected) => {
    expect(r(method, url, options)).toEqual(expected);
  });

  it('parses queries without turning + into a space', () => {
    const q = S3Query.parse('prefix=a+b%20c&uploads&max-keys=10');
    expect(q.get('prefix')).toBe('a+b c');
    expect(q.has('uploads')).toBe(true);
    expect(q.get('uploads')).toBe('');
    expect(() => S3Query.parse('prefix=%zz')).toThrow();
  });

  it('finds the bucket in the Host header only under a configured suffix', () => {
    expect(bucketFromHost('a.b.s3.local:1', ['s3.local'])).toBe('a.b');
    expect(bucketFromHost('127.0.0.1:9080', ['s3.local'])).toBeUndefined();
    expect(bucketFromHost('[::1]:9080', ['s3.local'])).toBeUndefined();
    expect(bucketFromHost(undefined, ['s3.local'])).toBeUndefined();
  });
});
