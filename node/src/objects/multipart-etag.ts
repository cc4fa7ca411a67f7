import { createHash } from 'node:crypto';
import { normalizeEtag } from '../meta/commands.js';
import { StrataError } from '../platform/errors.js';

/** S3's multipart ETag: md5 of the concatenated binary part MD5s, then '-' and the part count. */
export function multipartEtag(partEtags: string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) {
    const hex = normalizeEtag(etag);
    if (!/^[0-9a-f]{32}$/i.test(hex)) {
      throw new StrataError('Conflict', `part ETag ${etag} is not one this store issued`, { details: { reason: 'InvalidPart' } });
    }
    md5.update(Buffer.from(hex, 'hex'));
  }
  return `${md5.digest('hex')}-${partEtags.length}`;
}
