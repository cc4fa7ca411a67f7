import aws4 from 'aws4';
import { describe, expect, it } from 'vitest';
import { SigV4Signer, canonicalQueryString, encodeKeyPath, uriEncode } from './sigv4-sign.js';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };
const date = new Date('2026-11-27T10:11:12.345Z');

/** aws4 (a separate implementation) signs the same request; the Authorization headers must match. */
function aws4Authorization(method: string, host: string, pathAndQuery: string): string {
  const signed = aws4.sign({
    method, host, path: pathAndQuery, service: 's3', region: creds.region,
    headers: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD', 'X-Amz-Date': '20261127T101112Z' },
  }, { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
  return String((signed.headers as Record<string, string>).Authorization);
}

describe('SigV4Signer', () => {
  it('matches aws4 for a PUT of an object', () => {
    const headers = new SigV4Signer(creds).sign({ method: 'PUT', host: '127.0.0.21:9080', path: '/bench/obj/w1-000001', date });
    expect(headers.authorization).toBe(aws4Authorization('PUT', '127.0.0.21:9080', '/bench/obj/w1-000001'));
    expect(headers['x-amz-date']).toBe('20261127T101112Z');
    expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
  });

  it('matches aws4 for ListObjectsV2 with a query string that needs encoding', () => {
    const query = { 'list-type': '2', prefix: 'list/run a/', 'max-keys': '1000', 'continuation-token': 'a+b/c=' };
    const headers = new SigV4Signer(creds).sign({ method: 'GET', host: 'localhost:8333', path: '/bench', query, date });
    const qs = canonicalQueryString(query);
    expect(headers.authorization).toBe(aws4Authorization('GET', 'localhost:8333', `/bench?${qs}`));
  });

  it('changes the signature when the secret differs (the signing key is not a constant)', () => {
    const a = new SigV4Signer(creds).sign({ method: 'GET', host: 'h', path: '/b/k', date }).authorization;
    const b = new SigV4Signer({ ...creds, secretAccessKey: 'other' }).sign({ method: 'GET', host: 'h', path: '/b/k', date }).authorization;
    expect(a).not.toBe(b);
  });
});

describe('encoding', () => {
  it('encodes RFC 3986 reserved characters and keeps slashes in key paths', () => {
    expect(uriEncode("a b!'()*~")).toBe('a%20b%21%27%28%29%2A~');
    expect(encodeKeyPath('dir/a b/c+d')).toBe('dir/a%20b/c%2Bd');
    expect(canonicalQueryString({ b: '2', a: '1 1' })).toBe('a=1%201&b=2');
  });
});
