import type { BucketSummary } from '../ports/object-service.js';
import { S3Error } from './errors.js';
import { readSmallBody } from './request-body.js';
import { header, xmlResponse, type Handler, type HandlerEnv } from './request-context.js';
import { isoTime, parseXml, textOf, xmlDocument } from './xml.js';

/** Bucket operations: CreateBucket, DeleteBucket, HeadBucket, ListBuckets, GetBucketLocation. */

/** S3's naming rules for general purpose buckets; returns why a name is invalid, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return 'must not contain adjacent dots or a dot next to a hyphen';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not look like an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.endsWith('-s3alias') || name.endsWith('--ol-s3')) return 'uses a reserved prefix or suffix';
  return undefined;
}

export const OWNER = { ID: 'strata', DisplayName: 'strata' };

export function listBucketsXml(buckets: BucketSummary[]): string {
  return xmlDocument('ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: isoTime(b.createdMs) })) },
  });
}

/** us-east-1 answers an empty LocationConstraint, as S3 does. */
export function locationXml(region: string): string {
  return xmlDocument('LocationConstraint', { '#text': region === 'us-east-1' ? '' : region });
}

const MAX_CONFIGURATION_BYTES = 64 * 1024;

export const createBucket: Handler = async (req, env) => {
  const problem = bucketNameProblem(req.bucket);
  if (problem !== undefined) throw new S3Error('InvalidBucketName', `The specified bucket is not valid: ${problem}.`, { BucketName: req.bucket });
  const acl = header(req, 'x-amz-acl');
  if (acl !== undefined && acl !== 'private') throw new S3Error('NotImplemented', 'Strata has no ACLs; only x-amz-acl: private is accepted');
  if (header(req, 'x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true') throw new S3Error('NotImplemented', 'object lock is not implemented by Strata');
  const text = (await readSmallBody(req.body(), MAX_CONFIGURATION_BYTES)).toString('utf8');
  if (text.trim() !== '') {
    const config = parseXml(text, 'CreateBucketConfiguration');
    const location = textOf(config, 'LocationConstraint');
    if (location !== undefined && location !== '' && location !== env.region) {
      throw new S3Error('InvalidLocationConstraint', `The specified location-constraint "${location}" is not valid; this endpoint serves "${env.region}".`);
    }
  }
  await env.service.createBucket(req.bucket);
  return { status: 200, headers: { location: `/${req.bucket}` } };
};

export const deleteBucket: Handler = async (req, env) => {
  await env.service.deleteBucket(req.bucket);
  return { status: 204 };
};

export const headBucket: Handler = async (req, env) => {
  await env.service.headBucket(req.bucket);
  return { status: 200, headers: { 'x-amz-bucket-region': env.region } };
};

export const listBuckets: Handler = async (_req, env) => {
  const buckets = await env.service.listBuckets();
  return xmlResponse(listBucketsXml([...buckets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))));
};

export const getBucketLocation: Handler = async (req, env: HandlerEnv) => {
  await env.service.headBucket(req.bucket);
  return xmlResponse(locationXml(env.region));
};
