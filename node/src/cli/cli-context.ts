import { AdminClient, type ClusterStatus, type NodeStatus } from '../client/index.js';
import { StrataError } from '../platform/errors.js';
import { resolveCliIo, type CliIo } from './cli-io.js';
import { findNode } from './node-ref.js';
import { UsageError } from './usage-error.js';

/** The `make run` cluster's first node; `make run` also writes STRATA_ENDPOINT into .strata/env. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9090';

export interface GlobalOptions {
  endpoint?: string;
  json?: boolean;
}

/** What every command needs: the endpoints, a client, output, and the shared --json switch. */
export class CliContext {
  readonly io: ReturnType<typeof resolveCliIo>;
  readonly json: boolean;
  readonly endpoints: string[];
  private clientInstance: AdminClient | undefined;

  constructor(io: CliIo, globals: GlobalOptions) {
    this.io = resolveCliIo(io);
    this.json = globals.json === true;
    this.endpoints = parseEndpoints(globals.endpoint ?? this.io.env.STRATA_ENDPOINT ?? DEFAULT_ENDPOINT);
  }

  get client(): AdminClient {
    this.clientInstance ??= new AdminClient({ endpoints: this.endpoints });
    return this.clientInstance;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.out(JSON.stringify(value, null, 2));
  }

  /** Prints `value` as JSON with --json, else as the table `render` makes. */
  print<T>(value: T, render: (value: T) => string): void {
    if (this.json) this.printJson(value);
    else this.out(render(value));
  }

  /**
   * The nodes a per-node command goes to, each with its admin URL: the one named by `--node`, or every
   * member. An unknown node fails naming it.
   */
  async nodeTargets(nodeText: string | undefined): Promise<{ status: ClusterStatus; targets: (NodeStatus & { adminUrl: string })[] }> {
    const status = await this.client.clusterStatus();
    const chosen = nodeText === undefined ? status.nodes : [findNode(status, nodeText)];
    const targets = chosen.map((node) => ({ ...node, adminUrl: this.adminUrlOf(status, node) }));
    return { status, targets };
  }

  private adminUrlOf(status: ClusterStatus, node: NodeStatus): string {
    if (node.adminUrl !== undefined && node.adminUrl !== '') return node.adminUrl;
    // A node that does not publish its admin URL can still be reached when it is the one that answered.
    if (node.id === status.nodeId) return this.client.currentEndpoint;
    throw new StrataError('Unavailable', `${node.name} does not publish its admin URL; give it with --endpoint and --node ${node.name}`, {
      details: { nodeId: node.id },
    });
  }
}

function parseEndpoints(text: string): string[] {
  const endpoints = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (endpoints.length === 0) throw new UsageError('--endpoint needs at least one URL, e.g. http://127.0.0.1:9090');
  for (const endpoint of endpoints) {
    const withScheme = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
    if (!URL.canParse(withScheme)) throw new UsageError(`--endpoint ${JSON.stringify(endpoint)} is not a URL like http://host:9090`);
  }
  return endpoints;
}
