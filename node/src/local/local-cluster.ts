/**
 * The embedded default (`make run`): a 3-node Strata cluster on this machine, nodes on 127.0.0.1-3 with
 * the default ports, data under ./.strata/data. Running it again reuses the data. Ctrl-C stops it cleanly.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerProcess } from './server-process.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: '.strata' },
      nodes: { type: 'string', default: '3' },
      // Node N listens on 127.0.0.<first-address + N - 1>; tests move it out of the way of `make run`.
      'first-address': { type: 'string', default: '1' },
    },
  });
  const root = resolve(values.dir!);
  const count = Number(values.nodes);
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`--nodes must be 1 to 9, got ${values.nodes}`);
  const first = Number(values['first-address']);
  if (!Number.isInteger(first) || first < 1 || first + count > 255) throw new Error(`--first-address must be 1 to ${255 - count}, got ${values['first-address']}`);
  const addressOf = (id: number) => `127.0.0.${first + id - 1}`;
  await mkdir(root, { recursive: true });
  const credentials = await ensureCredentials(root);
  const configPath = join(root, 'strata.toml');
  await writeFile(configPath, `# Written by the local cluster (make run).\n[s3]\ncredentials_file = ${JSON.stringify(credentials.file)}\n`);

  const nodes: ServerProcess[] = [];
  for (let id = 1; id <= count; id++) {
    nodes.push(
      new ServerProcess({
        nodeId: id,
        bindAddress: addressOf(id),
        dataDir: join(root, 'data', `node-${id}`),
        join: id === 1 ? undefined : `${addressOf(1)}:9000`,
        logFile: join(root, 'logs', `node-${id}.log`),
        configPath,
      }),
    );
  }
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the local cluster...\n');
    await Promise.all(nodes.map((n) => n.stop()));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  // The first node bootstraps (or restarts) and listens before the others join through it. Only then
  // can anyone be ready: after a restart, node 1 alone has no quorum until the others are back.
  nodes[0]!.start();
  await nodes[0]!.waitLive(60_000);
  for (const n of nodes.slice(1)) n.start();
  await Promise.all(nodes.map((n) => n.waitReady(60_000)));

  const env = [
    `export AWS_ENDPOINT_URL=${nodes[0]!.s3Url}`,
    `export AWS_ACCESS_KEY_ID=${credentials.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey}`,
    'export AWS_REGION=us-east-1',
    `export STRATA_ENDPOINT=${nodes.map((n) => n.adminUrl).join(',')}`,
  ];
  await writeFile(join(root, 'env'), `${env.join('\n')}\n`);
  process.stdout.write(
    [
      `Strata: ${count}-node local cluster is up (data in ${join(root, 'data')}, logs in ${join(root, 'logs')})`,
      ...nodes.map((n) => `  node-${n.options.nodeId}: S3 ${n.s3Url}  admin ${n.adminUrl}  cluster ${n.clusterAddress}`),
      `  S3 access key:    ${credentials.accessKeyId}`,
      `  S3 secret key:    ${credentials.secretAccessKey}`,
      `  try it:           source ${join(values.dir!, 'env')} && aws s3 mb s3://demo && aws s3 cp README.md s3://demo/ && aws s3 ls s3://demo`,
      `  cluster status:   curl -s ${nodes[0]!.adminUrl}/admin/v1/cluster`,
      'Ctrl-C stops it; running it again reuses the data.',
      '',
    ].join('\n'),
  );
  // Stay up while the nodes run; if one dies, say so and stop the rest.
  await Promise.race(nodes.map(async (n) => ({ n, code: await n.exitCode() }))).then(async ({ n, code }) => {
    if (stopping) return;
    process.stderr.write(`node-${n.options.nodeId} exited with code ${code}; see ${n.options.logFile}\n`);
    await stopAll(1);
  });
}

/** The local cluster's S3 keys: made once, kept with the data so a restart serves the same buckets. */
async function ensureCredentials(root: string): Promise<{ file: string; accessKeyId: string; secretAccessKey: string }> {
  const file = join(root, 'credentials.toml');
  try {
    await access(file);
  } catch {
    const accessKeyId = `strata${randomBytes(6).toString('hex')}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    await writeFile(file, `[[credentials]]\naccess_key_id = "${accessKeyId}"\nsecret_access_key = "${secretAccessKey}"\n`, { mode: 0o600 });
  }
  const text = await readFile(file, 'utf8');
  const accessKeyId = /access_key_id = "([^"]+)"/.exec(text)?.[1];
  const secretAccessKey = /secret_access_key = "([^"]+)"/.exec(text)?.[1];
  if (!accessKeyId || !secretAccessKey) throw new Error(`${file} has no access_key_id / secret_access_key`);
  return { file, accessKeyId, secretAccessKey };
}

main().catch((err: unknown) => {
  process.stderr.write(`strata local cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
