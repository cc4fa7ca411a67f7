import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { StrataError } from '../platform/errors.js';
import type { StrataConfig } from './strata-config.js';

export interface S3Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

const KEY_ID = /^[A-Za-z0-9_\-.]{3,128}$/;

/**
 * The access keys of the S3 gateway: from `[s3] credentials_file` (a TOML file of `[[credentials]]` tables
 * with `access_key_id` and `secret_access_key`), else from STRATA_S3_ACCESS_KEY_ID and
 * STRATA_S3_SECRET_ACCESS_KEY. No keys is a configuration error: anonymous access is never allowed.
 */
export async function loadS3Credentials(config: StrataConfig, env: Readonly<Record<string, string | undefined>>): Promise<S3Credential[]> {
  const path = config.s3.credentialsFile;
  if (path !== undefined) return parseCredentialsFile(await readCredentials(path), basename(path));
  const accessKeyId = env.STRATA_S3_ACCESS_KEY_ID;
  const secretAccessKey = env.STRATA_S3_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) return [checked({ accessKeyId, secretAccessKey }, 'STRATA_S3_ACCESS_KEY_ID')];
  throw new StrataError(
    'InvalidConfig',
    's3.credentials_file: no S3 access keys: set [s3] credentials_file, or STRATA_S3_ACCESS_KEY_ID and STRATA_S3_SECRET_ACCESS_KEY',
    { details: { key: 's3.credentials_file' } },
  );
}

async function readCredentials(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new StrataError('InvalidConfig', `s3.credentials_file: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
}

export function parseCredentialsFile(text: string, sourceName: string): S3Credential[] {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (cause) {
    throw new StrataError('InvalidConfig', `${sourceName}: invalid TOML: ${String((cause as Error).message).split('\n')[0]}`, { cause });
  }
  const entries = document.credentials;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new StrataError('InvalidConfig', `${sourceName}: credentials: expected one or more [[credentials]] tables`);
  }
  const seen = new Set<string>();
  return entries.map((entry: unknown, i: number) => {
    const e = entry as Record<string, unknown>;
    const where = `${sourceName}: credentials[${i}]`;
    if (typeof e.access_key_id !== 'string' || typeof e.secret_access_key !== 'string') {
      throw new StrataError('InvalidConfig', `${where}: needs access_key_id and secret_access_key strings`);
    }
    const unknown = Object.keys(e).filter((k) => k !== 'access_key_id' && k !== 'secret_access_key');
    if (unknown.length > 0) throw new StrataError('InvalidConfig', `${where}.${unknown[0]}: unknown key`);
    if (seen.has(e.access_key_id)) throw new StrataError('InvalidConfig', `${where}.access_key_id: ${e.access_key_id} appears twice`);
    seen.add(e.access_key_id);
    return checked({ accessKeyId: e.access_key_id, secretAccessKey: e.secret_access_key }, `${where}.access_key_id`);
  });
}

function checked(credential: S3Credential, where: string): S3Credential {
  if (!KEY_ID.test(credential.accessKeyId)) {
    throw new StrataError('InvalidConfig', `${where}: expected 3-128 letters, digits, '_', '-' or '.', got ${JSON.stringify(credential.accessKeyId)}`);
  }
  if (credential.secretAccessKey.length < 8) {
    throw new StrataError('InvalidConfig', `${where}: the secret access key must be at least 8 characters`);
  }
  return credential;
}
