import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';
import type { SigningKeyCache } from './signing-key-cache.js';

/**
 * AWS Signature Version 4 as S3 uses it: the Authorization header and presigned URLs (X-Amz-* query
 * parameters). Pure functions over a request description; no HTTP library here. The streaming (aws-chunked)
 * chunk and trailer signatures chain from the seed signature returned by verify().
 */
export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** S3 refuses requests whose time is further than this from its clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Longest presigned URL lifetime S3 accepts (7 days). */
export const MAX_PRESIGN_EXPIRES_S = 604_800;

export interface SigningRequest {
  method: string;
  /** The path as sent, still %-encoded, without the query. */
  rawPath: string;
  /** Decoded query parameters in the order sent. */
  query: readonly (readonly [string, string])[];
  /** Node's flat rawHeaders list: name, value, name, value... */
  rawHeaders: readonly string[];
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface VerifiedAuth {
  accessKeyId: string;
  /** x-amz-content-sha256 as declared (presigned URLs: UNSIGNED-PAYLOAD unless the client signed one). */
  payloadHash: string;
  /** What the chunk signatures of an aws-chunked body chain from. */
  signing: ChunkSigningContext;
}

export interface ChunkSigningContext {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

// ---- encoding and canonical forms --------------------------------------------------------------

/** RFC 3986 encoding of UTF-8 bytes: everything but A-Z a-z 0-9 - . _ ~ (and '/' when keepSlash). */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function canonicalQueryString(query: readonly (readonly [string, string])[]): string {
  return query
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Header values by lower-case name; repeated headers joined with ',' as SigV4 wants. */
export function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/ +/g, ' ');
    const prior = map.get(name);
    map.set(name, prior === undefined ? value : `${prior},${value}`);
  }
  return map;
}

export function canonicalRequest(input: {
  method: string;
  canonicalUri: string;
  query: readonly (readonly [string, string])[];
  headers: Map<string, string>;
  signedHeaders: readonly string[];
  payloadHash: string;
}): string {
  const headerLines = input.signedHeaders.map((name) => `${name}:${input.headers.get(name) ?? ''}\n`).join('');
  return [input.method, input.canonicalUri, canonicalQueryString(input.query), headerLines, input.signedHeaders.join(';'), input.payloadHash].join('\n');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secretAccessKey, date), region), service), 'aws4_request');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** Signature of one aws-chunked data chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD). */
export function chunkSignature(ctx: Omit<ChunkSigningContext, 'seedSignature'>, previousSignature: string, chunkSha256Hex: string): string {
  const sts = ['AWS4-HMAC-SHA256-PAYLOAD', ctx.amzDate, ctx.scope, previousSignature, EMPTY_SHA256, chunkSha256Hex].join('\n');
  return hmac(ctx.signingKey, sts).toString('hex');
}

/** Signature of the trailing headers (canonical form: "name:value\n" each, in the order sent). */
export function trailerSignature(ctx: Omit<ChunkSigningContext, 'seedSignature'>, previousSignature: string, canonicalTrailers: string): string {
  const sts = ['AWS4-HMAC-SHA256-TRAILER', ctx.amzDate, ctx.scope, previousSignature, sha256Hex(canonicalTrailers)].join('\n');
  return hmac(ctx.signingKey, sts).toString('hex');
}

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---- parsing --------------------------------------------------------------------------------

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

export function parseCredential(value: string, errorCode: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError'): CredentialScope {
  const parts = value.split('/');
  // The access key id itself never contains '/', the scope has exactly four parts after it.
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1]) || parts[0] === '') {
    throw new S3Error(errorCode, `malformed credential "${value}"`);
  }
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

export interface ParsedAuthorization {
  credential: CredentialScope;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorizationHeader(value: string): ParsedAuthorization {
  const trimmed = value.trim();
  if (!trimmed.startsWith(ALGORITHM + ' ')) {
    throw new S3Error('AuthorizationHeaderMalformed', 'only AWS4-HMAC-SHA256 (Signature Version 4) is supported');
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined || !/^[0-9a-f]{64}$/.test(signature)) {
    throw new S3Error('AuthorizationHeaderMalformed', 'the Authorization header needs Credential, SignedHeaders and Signature');
  }
  return { credential: parseCredential(credential, 'AuthorizationHeaderMalformed'), signedHeaders: signedHeaders.split(';'), signature };
}

/** '20130524T000000Z' -> epoch ms, or undefined when malformed. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(ms) ? undefined : ms;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// ---- verification ---------------------------------------------------------------------------

export interface VerifyOptions {
  credentials: readonly Credentials[];
  region: string;
  nowMs: number;
  /** Reuses derived signing keys across requests; without it each request derives its own. */
  signingKeys?: SigningKeyCache;
}

/** Is this request signed at all (header or query)? Anonymous requests are refused with AccessDenied. */
export function isPresigned(request: SigningRequest): boolean {
  return request.query.some(([name]) => name === 'X-Amz-Algorithm' || name === 'X-Amz-Signature');
}

export function verify(request: SigningRequest, options: VerifyOptions): VerifiedAuth {
  return isPresigned(request) ? verifyPresigned(request, options) : verifyHeader(request, options);
}

function verifyHeader(request: SigningRequest, options: VerifyOptions): VerifiedAuth {
  const headers = headerMap(request.rawHeaders);
  const authorization = headers.get('authorization');
  if (authorization === undefined) throw new S3Error('AccessDenied', 'Anonymous access is not allowed; sign the request (AWS Signature Version 4).');
  const auth = parseAuthorizationHeader(authorization);
  const secret = secretFor(auth.credential, options);
  const amzDate = headers.get('x-amz-date') ?? dateHeaderAsAmz(headers.get('date'));
  const timeMs = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || timeMs === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(options.nowMs - timeMs) > MAX_SKEW_MS) throw new S3Error('RequestTimeTooSkewed');
  if (amzDate.slice(0, 8) !== auth.credential.date) throw new S3Error('SignatureDoesNotMatch', 'the credential date does not match the request date');
  const payloadHash = headers.get('x-amz-content-sha256');
  if (payloadHash === undefined) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (!isKnownPayloadHash(payloadHash)) throw new S3Error('InvalidArgument', `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-*, or a SHA-256 hex digest`);
  const signingKey = signingKeyFor(options, secret, auth.credential);
  const scope = scopeOf(auth.credential);
  const signature = matchSignature(request, {
    headers,
    query: request.query,
    signedHeaders: auth.signedHeaders,
    payloadHash,
    amzDate,
    scope,
    signingKey,
    expected: auth.signature,
  });
  return { accessKeyId: auth.credential.accessKeyId, payloadHash, signing: { signingKey, amzDate, scope, seedSignature: signature } };
}

function verifyPresigned(request: SigningRequest, options: VerifyOptions): VerifiedAuth {
  const params = new Map(request.query);
  const need = (name: string): string => {
    const value = params.get(name);
    if (value === undefined || value === '') throw new S3Error('AuthorizationQueryParametersError', `Query-string authentication requires ${name}`);
    return value;
  };
  if (need('X-Amz-Algorithm') !== ALGORITHM) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');
  const credential = parseCredential(need('X-Amz-Credential'), 'AuthorizationQueryParametersError');
  const amzDate = need('X-Amz-Date');
  const timeMs = parseAmzDate(amzDate);
  if (timeMs === undefined) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 basic format (yyyyMMddTHHmmssZ)');
  const expiresS = Number(need('X-Amz-Expires'));
  if (!Number.isInteger(expiresS) || expiresS < 1 || expiresS > MAX_PRESIGN_EXPIRES_S) {
    throw new S3Error('AuthorizationQueryParametersError', `X-Amz-Expires must be between 1 and ${MAX_PRESIGN_EXPIRES_S} seconds`);
  }
  const signedHeaders = need('X-Amz-SignedHeaders').split(';');
  const expected = need('X-Amz-Signature');
  const secret = secretFor(credential, options);
  if (options.nowMs > timeMs + expiresS * 1000) throw new S3Error('AccessDenied', 'Request has expired');
  if (timeMs - options.nowMs > MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet');
  if (amzDate.slice(0, 8) !== credential.date) throw new S3Error('SignatureDoesNotMatch', 'the credential date does not match X-Amz-Date');
  const headers = headerMap(request.rawHeaders);
  const payloadHash = params.get('X-Amz-Content-Sha256') ?? headers.get('x-amz-content-sha256') ?? UNSIGNED_PAYLOAD;
  if (!isKnownPayloadHash(payloadHash)) throw new S3Error('InvalidArgument', 'x-amz-content-sha256 is malformed');
  const signingKey = signingKeyFor(options, secret, credential);
  const scope = scopeOf(credential);
  const signature = matchSignature(request, {
    headers,
    query: request.query.filter(([name]) => name !== 'X-Amz-Signature'),
    signedHeaders,
    payloadHash,
    amzDate,
    scope,
    signingKey,
    expected,
  });
  return { accessKeyId: credential.accessKeyId, payloadHash, signing: { signingKey, amzDate, scope, seedSignature: signature } };
}

function signingKeyFor(options: VerifyOptions, secret: string, c: CredentialScope): Buffer {
  return options.signingKeys ? options.signingKeys.get(secret, c.date, c.region, c.service) : deriveSigningKey(secret, c.date, c.region, c.service);
}

function secretFor(credential: CredentialScope, options: VerifyOptions): string {
  const match = options.credentials.find((c) => c.accessKeyId === credential.accessKeyId);
  if (match === undefined) throw new S3Error('InvalidAccessKeyId');
  if (credential.service !== 's3') throw new S3Error('AuthorizationHeaderMalformed', `the credential scope names service "${credential.service}"; expecting "s3"`);
  if (credential.region !== options.region) {
    throw new S3Error('AuthorizationHeaderMalformed', `the authorization region "${credential.region}" is wrong; expecting "${options.region}"`, { Region: options.region });
  }
  return match.secretAccessKey;
}

function scopeOf(c: CredentialScope): string {
  return `${c.date}/${c.region}/${c.service}/aws4_request`;
}

function isKnownPayloadHash(value: string): boolean {
  return (
    value === UNSIGNED_PAYLOAD ||
    value === STREAMING_SIGNED ||
    value === STREAMING_SIGNED_TRAILER ||
    value === STREAMING_UNSIGNED_TRAILER ||
    /^[0-9a-f]{64}$/.test(value)
  );
}

function dateHeaderAsAmz(date: string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : formatAmzDate(ms);
}

/**
 * Clients build the canonical URI from the path they sent (AWS SDKs) or from the decoded path re-encoded
 * (most other signers); they agree except for unusual escapes, so both are tried.
 */
function matchSignature(
  request: SigningRequest,
  input: {
    headers: Map<string, string>;
    query: readonly (readonly [string, string])[];
    signedHeaders: string[];
    payloadHash: string;
    amzDate: string;
    scope: string;
    signingKey: Buffer;
    expected: string;
  },
): string {
  const candidates = new Set<string>();
  try {
    candidates.add(uriEncode(decodeURIComponent(request.rawPath || '/'), true));
  } catch {
    // A malformed escape cannot be normalised; the raw form below is still tried.
  }
  candidates.add(request.rawPath || '/');
  for (const canonicalUri of candidates) {
    const canonical = canonicalRequest({
      method: request.method,
      canonicalUri,
      query: input.query,
      headers: input.headers,
      signedHeaders: input.signedHeaders,
      payloadHash: input.payloadHash,
    });
    const signature = hmac(input.signingKey, stringToSign(input.amzDate, input.scope, canonical)).toString('hex');
    if (signaturesEqual(signature, input.expected)) return signature;
  }
  throw new S3Error('SignatureDoesNotMatch');
}
