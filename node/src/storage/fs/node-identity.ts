import { mkdir, readFile, rename, writeFile, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { StrataError } from '../../platform/errors.js';

/** Which node and cluster a data directory belongs to, so a directory is never reused by mistake. */
export interface NodeIdentity {
  nodeId: number;
  clusterId: string;
}

const FILE = 'identity.json';

export async function readIdentity(dataDir: string): Promise<NodeIdentity | undefined> {
  const path = join(dataDir, FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as NodeIdentity;
    if (!Number.isInteger(parsed.nodeId) || typeof parsed.clusterId !== 'string') throw new Error('missing nodeId or clusterId');
    return parsed;
  } catch (cause) {
    throw new StrataError('Corruption', `${path} is damaged: ${(cause as Error).message}`, { cause });
  }
}

/** Written atomically (temp file + rename) so a crash never leaves half an identity. */
export async function writeIdentity(dataDir: string, identity: NodeIdentity): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, FILE);
  await writeFile(`${path}.tmp`, `${JSON.stringify(identity)}\n`, { flush: true });
  await rename(`${path}.tmp`, path);
}

/** A readiness check: the reason the data directory is unusable, or undefined. */
export async function checkDataDirWritable(dataDir: string): Promise<string | undefined> {
  try {
    await access(dataDir, constants.W_OK);
    return undefined;
  } catch (err) {
    return `data directory ${dataDir} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}
