import { describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import { listBucketsXml, locationXml } from './buckets.js';
import { S3_ERRORS, S3Error, toS3Error } from './errors.js';
import { decodeContinuationToken, encodeContinuationToken, listObjectsV1Xml, listObjectsV2Xml } from './listing.js';
import { completeXml, initiateXml, parseCompleteBody } from './multipart.js';
import { deleteResultXml } from './objects.js';
import { errorXml, parseXml, s3UrlEncode } from './xml.js';

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const T = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

describe('XML shapes', () => {
  it('Error', () => {
    expect(errorXml({ code: 'NoSuchKey', message: 'gone <now>', resource: '/b/k&x', requestId: 'R1', fields: { Key: 'k&x' } })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>gone &lt;now&gt;</Message><Key>k&amp;x</Key><Resource>/b/k&amp;x</Resource><RequestId>R1</RequestId></Error>',
    );
  });

  it('ListAllMyBucketsResult and LocationConstraint', () => {
    expect(listBucketsXml([{ name: 'a', createdMs: T }])).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult ${NS}><Owner><ID>strata</ID><DisplayName>strata</DisplayName></Owner><Buckets><Bucket><Name>a</Name><CreationDate>2026-01-02T03:04:05.006Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>`,
    );
    expect(locationXml('us-east-1')).toContain(`<LocationConstraint ${NS}></LocationConstraint>`);
    expect(locationXml('eu-west-1')).toContain(`<LocationConstraint ${NS}>eu-west-1</LocationConstraint>`);
  });

  it('ListBucketResult V2 with prefixes, token and url encoding', () => {
    const xml = listObjectsV2Xml({
      bucket: 'b',
      prefix: 'a b/',
      delimiter: '/',
      maxKeys: 2,
      encode: s3UrlEncode,
      result: { objects: [{ key: 'a b/ü', sizeBytes: 3, etag: 'e1', lastModifiedMs: T }], commonPrefixes: ['a b/c/'], isTruncated: true, nextStartAfter: 'a b/c/' },
      continuationToken: undefined,
      startAfter: undefined,
      fetchOwner: false,
    });
    expect(xml).toContain('<Name>b</Name><Prefix>a+b/</Prefix><Delimiter>/</Delimiter><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>');
    expect(xml).toContain(`<NextContinuationToken>${encodeContinuationToken('a b/c/')}</NextContinuationToken>`);
    expect(xml).toContain('<Contents><Key>a+b/%C3%BC</Key><LastModified>2026-01-02T03:04:05.006Z</LastModified><ETag>&quot;e1&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>');
    expect(xml).toContain('<CommonPrefixes><Prefix>a+b/c/</Prefix></CommonPrefixes>');
  });

  it('ListBucketResult V1 with NextMarker', () => {
    const xml = listObjectsV1Xml({ bucket: 'b', prefix: '', maxKeys: 1, marker: '', result: { objects: [{ key: 'k', sizeBytes: 1, etag: 'e', lastModifiedMs: T }], commonPrefixes: [], isTruncated: true, nextStartAfter: 'k' } });
    expect(xml).toContain('<Marker></Marker><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated><NextMarker>k</NextMarker><Contents><Key>k</Key>');
    expect(xml).toContain('<Owner><ID>strata</ID>');
  });

  it('continuation tokens round-trip and refuse garbage', () => {
    expect(decodeContinuationToken(encodeContinuationToken('ключ/🙂'))).toBe('ключ/🙂');
    expect(() => decodeContinuationToken('a.b')).toThrow(S3Error);
  });

  it('multipart and delete results', () => {
    expect(initiateXml({ bucket: 'b', key: 'k', uploadId: 'u', initiatedMs: T })).toContain(`<InitiateMultipartUploadResult ${NS}><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>`);
    expect(completeXml({ location: '/b/k', bucket: 'b', key: 'k', etag: 'abc-2' })).toContain('<ETag>&quot;abc-2&quot;</ETag>');
    expect(deleteResultXml(['a'], [{ key: 'b', code: 'InternalError', message: 'm' }])).toContain('<Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>InternalError</Code><Message>m</Message></Error>');
  });

  it('parses CompleteMultipartUpload (namespace, quotes, entities) and refuses malformed XML', () => {
    const parts = parseCompleteBody(`<?xml version="1.0"?><CompleteMultipartUpload ${NS}>\n <Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag></Part>\n <Part><ETag>"bb"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`);
    expect(parts).toEqual([{ partNumber: 1, etag: 'aa' }, { partNumber: 2, etag: 'bb' }]);
    expect(() => parseCompleteBody('<CompleteMultipartUpload><Part>')).toThrow(/well-formed/);
    expect(() => parseCompleteBody('<CompleteMultipartUpload></CompleteMultipartUpload>')).toThrow(S3Error);
    expect(() => parseXml('', 'Delete')).toThrow(S3Error);
    expect(parseXml('<Delete><Object><Key> spaced </Key></Object></Delete>', 'Delete')).toEqual({ Object: [{ Key: ' spaced ' }] });
  });
});

describe('error table', () => {
  it('gives every code a 3xx-5xx status and a message', () => {
    for (const [code, { status, message }] of Object.entries(S3_ERRORS)) {
      expect(status, code).toBeGreaterThanOrEqual(300);
      expect(status, code).toBeLessThan(600);
      expect(message.length, code).toBeGreaterThan(0);
    }
    expect(new S3Error('InvalidRange').status).toBe(416);
    expect(new S3Error('NoSuchKey').status).toBe(404);
  });

  it.each([
    [new StrataError('NotFound', 'x', { details: { resource: 'bucket' } }), 'NoSuchBucket', false],
    [new StrataError('NotFound', 'x', { details: { resource: 'object' } }), 'NoSuchKey', false],
    [new StrataError('NotFound', 'x', { details: { resource: 'upload' } }), 'NoSuchUpload', false],
    [new StrataError('NotFound', 'x', { details: { resource: 'part' } }), 'InvalidPart', false],
    [new StrataError('AlreadyExists', 'x'), 'BucketAlreadyOwnedByYou', false],
    [new StrataError('Conflict', 'x', { details: { reason: 'BucketNotEmpty' } }), 'BucketNotEmpty', false],
    [new StrataError('Conflict', 'x', { details: { reason: 'PreconditionFailed' } }), 'PreconditionFailed', false],
    [new StrataError('Conflict', 'x', { details: { reason: 'NotModified' } }), 'NotModified', false],
    [new StrataError('Conflict', 'x', { details: { reason: 'InvalidPartOrder' } }), 'InvalidPartOrder', false],
    [new StrataError('Conflict', 'x', { details: { reason: 'EntityTooSmall' } }), 'EntityTooSmall', false],
    [new StrataError('Conflict', 'x', { details: { reason: 'BadDigest' } }), 'BadDigest', false],
    [new StrataError('InvalidArgument', 'x', { details: { reason: 'InvalidRange' } }), 'InvalidRange', false],
    [new StrataError('InvalidArgument', 'x'), 'InvalidArgument', false],
    [new StrataError('Unavailable', 'x'), 'ServiceUnavailable', false],
    [new StrataError('NotLeader', 'x'), 'SlowDown', false],
    [new StrataError('Overloaded', 'x'), 'SlowDown', false],
    [new StrataError('CapacityExceeded', 'x'), 'InsufficientStorage', false],
    [new StrataError('Corruption', 'x'), 'InternalError', true],
    [new StrataError('Conflict', 'x', { details: { reason: 'Weird' } }), 'InternalError', true],
    [new Error('boom'), 'InternalError', true],
  ] as const)('maps %s', (err, code, unexpected) => {
    const mapped = toS3Error(err);
    expect(mapped.error.code).toBe(code);
    expect(mapped.unexpected).toBe(unexpected);
  });
});
