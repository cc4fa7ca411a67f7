import type { BucketInfo, ClusterStatus, HealthReport } from '../ports/admin-service.js';
import type { BackupInfo, BackupRun, BackupStatus } from '../ports/backup-admin.js';
import type { LogQuery, LogRecord } from '../ports/log-admin.js';
import type { DrainPlan, DrainStatus, RebalanceStatus, RecoveryStatus, StorageStatus } from '../ports/maintenance-admin.js';
import type { ScrubStatus } from '../ports/scrub-admin.js';
import { StrataError } from '../platform/errors.js';
import type { Random } from '../platform/random.js';
import { logQueryString, parseLogLine } from './log-query.js';
import { ndjsonRecords } from './ndjson-lines.js';
import { RETRYABLE_CODES, errorFromResponse } from './response-error.js';
import { streamedBody } from './streamed-body.js';

/** Node ids as the admin port types them (raft/ is out of bounds here). */
type NodeId = ClusterStatus['nodeId'];

/** The header the admin server sets on NotLeader: the leader's admin URL, or its node id. */
const LEADER_HEADER = 'x-strata-leader';

/** Headers of GET /admin/v1/backup (admin/backup-routes.ts sets them). */
const BACKUP_HEADER_PREFIX = 'x-strata-backup-';

/** A node given by id (`4`), name (`node-4`), as in paths of the admin API. */
export type NodeRef = NodeId | string;

/** Calls that go to one node (scrub, logs, settings): its admin URL, default the first endpoint. */
export interface NodeCallOptions {
  endpoint?: string;
}

/** A backup streamed from the cluster: what the headers say, and the file's bytes. */
export interface BackupDownload {
  info: Omit<BackupInfo, 'sizeBytes' | 'sha256' | 'file'>;
  /** Read it once, to the end (or cancel it). */
  body: AsyncIterable<Uint8Array>;
  endpoint: string;
}

export interface SettingChange {
  key: string;
  value: string;
  previous: string;
}

export interface AdminClientOptions {
  /** Admin base URLs, e.g. http://strata-node-1:9090 (a bare host:port gets http://). */
  endpoints: string[];
  /** Per HTTP attempt. Default 10s. */
  timeoutMs?: number;
  /** Extra rounds after the first, with backoff, when the cluster answers NoLeader/Timeout/... Default 3. */
  retries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Jitter source; default Math.random. */
  random?: Random;
  /** Waits between rounds; tests replace it to run without real delays. */
  sleep?: (ms: number) => Promise<void>;
}

export type ResolvedAdminClientOptions = Required<AdminClientOptions>;

export function resolveAdminClientOptions(options: AdminClientOptions): ResolvedAdminClientOptions {
  if (options.endpoints.length === 0) throw new StrataError('InvalidArgument', 'AdminClient needs at least one endpoint');
  return {
    endpoints: options.endpoints.map(normalizeEndpoint),
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 3,
    backoffBaseMs: options.backoffBaseMs ?? 100,
    backoffMaxMs: options.backoffMaxMs ?? 2_000,
    random: options.random ?? { next: Math.random, int: (b) => Math.floor(Math.random() * b), between: (a, b) => a + Math.floor(Math.random() * (b - a + 1)) },
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

function normalizeEndpoint(endpoint: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new StrataError('InvalidArgument', `admin endpoint ${JSON.stringify(endpoint)} is not a URL like http://host:9090`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StrataError('InvalidArgument', `admin endpoint ${JSON.stringify(endpoint)} must be http or https`);
  }
  return url.origin;
}

interface Reply {
  status: number;
  headers: Headers;
  /** The body, read to the end; empty for a successful streamed reply (read `body` instead). */
  text: string;
  endpoint: string;
  /** The unread body of a successful streamed reply. */
  body?: ReadableStream<Uint8Array> | null;
}

interface RequestOptions {
  body?: unknown;
  /** Ask this one node (health, metrics): no failover, no leader following. */
  endpoint?: string;
  /** Statuses that are answers rather than errors (503 from /health/ready). */
  alsoAccept?: readonly number[];
  /** Leave a successful body unread (Reply.body); the timeout then covers only the wait for headers. */
  stream?: boolean;
  /** Cancels the request, and a streamed body while it is read. */
  signal?: AbortSignal;
}

/**
 * Typed client of the admin HTTP API, for the CLI, the operator, tests and benchmarks. It remembers
 * the endpoint that last answered (usually the leader), follows NotLeader hints, fails over on
 * connection errors, and retries cluster-wide transient errors with capped, jittered backoff. Errors
 * come back as StrataError with the server's code and message.
 *
 * Connections are reused: Node 20's global fetch (undici) keeps them alive by default.
 * Writes retried after a Timeout or a lost connection may already have been applied, so a retried
 * createBucket can answer AlreadyExists for the caller's own bucket.
 */
export class AdminClient {
  private readonly options: ResolvedAdminClientOptions;
  private readonly endpoints: string[];
  private preferred: string;
  /** Which endpoint is which node, learned from clusterStatus, to follow id-only leader hints. */
  private readonly endpointOfNode = new Map<NodeId, string>();

  constructor(options: AdminClientOptions) {
    this.options = resolveAdminClientOptions(options);
    this.endpoints = [...this.options.endpoints];
    this.preferred = this.endpoints[0];
  }

  async clusterStatus(): Promise<ClusterStatus> {
    const reply = await this.request('GET', '/admin/v1/cluster');
    const status = parseJson<ClusterStatus>(reply);
    this.endpointOfNode.set(status.nodeId, reply.endpoint);
    return status;
  }

  /**
   * Cluster status as the leader sees it (only the leader knows which members are online and how far
   * each is replicated): when a follower answered, the leader is asked; if it cannot be reached, the
   * follower's answer stands.
   */
  async leaderClusterStatus(): Promise<ClusterStatus> {
    const first = await this.clusterStatus();
    if (first.leaderId === first.nodeId || first.leaderId === 0) return first;
    const leaderUrl = first.nodes.find((n) => n.id === first.leaderId)?.adminUrl;
    if (leaderUrl === undefined || leaderUrl === '') return first;
    try {
      const reply = await this.request('GET', '/admin/v1/cluster', { endpoint: normalizeEndpoint(leaderUrl) });
      const status = parseJson<ClusterStatus>(reply);
      this.endpointOfNode.set(status.nodeId, reply.endpoint);
      return status;
    } catch {
      return first;
    }
  }

  async createBucket(name: string): Promise<BucketInfo> {
    return parseJson<BucketInfo>(await this.request('PUT', `/admin/v1/buckets/${encodeURIComponent(name)}`));
  }

  async listBuckets(): Promise<BucketInfo[]> {
    return parseJson<{ buckets: BucketInfo[] }>(await this.request('GET', '/admin/v1/buckets')).buckets;
  }

  async deleteBucket(name: string): Promise<void> {
    await this.request('DELETE', `/admin/v1/buckets/${encodeURIComponent(name)}`);
  }

  /**
   * `id` as a number or as people write it (`node-4`). Refused (FailedPrecondition) unless the node is
   * drained; `force` removes a failed node at once and starts recovery.
   */
  async removeNode(id: NodeRef, options: { force?: boolean } = {}): Promise<void> {
    const query = options.force === true ? '?force=true' : '';
    await this.request('DELETE', `${nodePath(id)}${query}`);
  }

  /** Starts a drain (or with `dryRun` only plans it). An infeasible drain is refused with FailedPrecondition. */
  async drain(id: NodeRef, options: { dryRun?: boolean } = {}): Promise<DrainPlan> {
    return parseJson<DrainPlan>(await this.request('POST', `${nodePath(id)}/drain`, { body: { dryRun: options.dryRun === true } }));
  }

  async drainStatus(id: NodeRef): Promise<DrainStatus> {
    return parseJson<DrainStatus>(await this.request('GET', `${nodePath(id)}/drain`));
  }

  /** Stops a drain, or returns a drained node to service. */
  async undrain(id: NodeRef): Promise<DrainStatus> {
    return parseJson<DrainStatus>(await this.request('POST', `${nodePath(id)}/undrain`));
  }

  async rebalance(): Promise<RebalanceStatus> {
    return parseJson<RebalanceStatus>(await this.request('POST', '/admin/v1/rebalance'));
  }

  async rebalanceStatus(): Promise<RebalanceStatus> {
    return parseJson<RebalanceStatus>(await this.request('GET', '/admin/v1/rebalance'));
  }

  async recoveryStatus(): Promise<RecoveryStatus> {
    return parseJson<RecoveryStatus>(await this.request('GET', '/admin/v1/recovery'));
  }

  async storageStatus(): Promise<StorageStatus> {
    return parseJson<StorageStatus>(await this.request('GET', '/admin/v1/storage'));
  }

  /** Starts a scrub pass on one node (a running pass is left to run and reported). */
  async scrubStart(options: NodeCallOptions = {}): Promise<ScrubStatus> {
    return parseJson<ScrubStatus>(await this.request('POST', '/admin/v1/scrub', { endpoint: this.pin(options.endpoint) }));
  }

  async scrubStatus(options: NodeCallOptions = {}): Promise<ScrubStatus> {
    return parseJson<ScrubStatus>(await this.request('GET', '/admin/v1/scrub', { endpoint: this.pin(options.endpoint) }));
  }

  /**
   * A consistent metadata backup, streamed (never buffered): read `body` to the end. A body that
   * breaks off throws while it is read. `endpoint` asks one node; by default the cluster is asked.
   */
  async downloadBackup(options: NodeCallOptions & { signal?: AbortSignal } = {}): Promise<BackupDownload> {
    const reply = await this.request('GET', '/admin/v1/backup', {
      stream: true,
      ...(options.endpoint === undefined ? {} : { endpoint: this.pin(options.endpoint) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const header = (name: string): string => reply.headers.get(`${BACKUP_HEADER_PREFIX}${name}`) ?? '';
    const info = {
      clusterId: header('cluster-id'),
      raftIndex: Number(header('raft-index')),
      raftTerm: Number(header('raft-term')),
      createdMs: Number(header('created-ms')),
      formatVersion: Number(header('format-version')),
    };
    return { info, body: streamedBody(reply.body, reply.endpoint), endpoint: reply.endpoint };
  }

  /** Writes a backup into the node's `[backup] destination` (or `destination` there) and prunes by retention. */
  async backupToDestination(options: { destination?: string } = {}): Promise<BackupRun> {
    const body = options.destination === undefined ? {} : { destination: options.destination };
    return parseJson<BackupRun>(await this.request('POST', '/admin/v1/backups', { body }));
  }

  async backupStatus(): Promise<BackupStatus> {
    return parseJson<BackupStatus>(await this.request('GET', '/admin/v1/backups'));
  }

  /** One node's recent log lines matching the query, oldest first. */
  async logs(query: LogQuery = {}, options: NodeCallOptions = {}): Promise<LogRecord[]> {
    const reply = await this.request('GET', `/admin/v1/logs${logQueryString(query, false)}`, { endpoint: this.pin(options.endpoint) });
    const records: LogRecord[] = [];
    for (const line of reply.text.split('\n')) {
      if (line.trim() !== '') records.push(parseLogLine(line, reply.endpoint));
    }
    return records;
  }

  /** One node's recent lines, then new ones as they are written, until `signal` aborts or the node goes away. */
  async followLogs(query: LogQuery, options: NodeCallOptions & { signal: AbortSignal }): Promise<AsyncIterable<LogRecord>> {
    const reply = await this.request('GET', `/admin/v1/logs${logQueryString(query, true)}`, {
      endpoint: this.pin(options.endpoint),
      stream: true,
      signal: options.signal,
    });
    return ndjsonRecords(streamedBody(reply.body, reply.endpoint), (line) => parseLogLine(line, reply.endpoint), options.signal);
  }

  /** Changes a run-time setting (e.g. log_level) on one node. */
  async setSetting(key: string, value: string, options: NodeCallOptions = {}): Promise<SettingChange> {
    const reply = await this.request('PUT', `/admin/v1/settings/${encodeURIComponent(key)}`, { endpoint: this.pin(options.endpoint), body: { value } });
    return parseJson<SettingChange>(reply);
  }

  /** Moves leadership to `to`, or to the best other voter; resolves to the new leader's id. */
  async transferLeadership(to?: NodeId): Promise<NodeId> {
    const reply = await this.request('POST', '/admin/v1/leadership/transfer', { body: to === undefined ? {} : { to } });
    return parseJson<{ leader: NodeId }>(reply).leader;
  }

  /** One node's readiness (default: the first endpoint). A not-ready node is an answer, not an error. */
  async health(options: { endpoint?: string } = {}): Promise<HealthReport> {
    const reply = await this.request('GET', '/health/ready', { endpoint: this.pin(options.endpoint), alsoAccept: [503] });
    if (reply.status === 503 && !looksLikeHealthReport(reply.text)) throw errorFromResponse(reply.status, reply.text, reply.endpoint);
    return parseJson<HealthReport>(reply);
  }

  /** Whether one node's process answers its liveness probe. */
  async live(options: { endpoint?: string } = {}): Promise<boolean> {
    const reply = await this.request('GET', '/health/live', { endpoint: this.pin(options.endpoint) });
    return reply.status === 200;
  }

  /** One node's Prometheus text. */
  async metricsText(options: { endpoint?: string } = {}): Promise<string> {
    return (await this.request('GET', '/metrics', { endpoint: this.pin(options.endpoint) })).text;
  }

  /** The endpoint the next cluster-wide call will try first (the last one that answered). */
  get currentEndpoint(): string {
    return this.preferred;
  }

  private pin(endpoint: string | undefined): string {
    return endpoint === undefined ? this.endpoints[0] : normalizeEndpoint(endpoint);
  }

  private async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const { retries } = this.options;
    const pinned = options.endpoint;
    let lastError: StrataError | undefined;
    // A node that answered "not the leader": the leader it named may be the one that cannot be reached.
    let notLeader: StrataError | undefined;
    for (let round = 0; round <= retries; round++) {
      if (round > 0) await this.options.sleep(this.backoffMs(round));
      const tried = new Set<string>();
      let target: string | undefined = pinned ?? this.preferred;
      // Each endpoint at most once per round, plus leader hints that point outside the list.
      while (target !== undefined && !tried.has(target)) {
        tried.add(target);
        let reply: Reply;
        try {
          reply = await this.send(target, method, path, options);
        } catch (err) {
          if (options.signal?.aborted === true) throw err;
          lastError = err as StrataError;
          target = pinned === undefined ? this.nextUntried(tried) : undefined;
          continue;
        }
        if (reply.status < 400 || options.alsoAccept?.includes(reply.status)) {
          if (pinned === undefined) this.preferred = target;
          return reply;
        }
        const err = errorFromResponse(reply.status, reply.text, target);
        lastError = err;
        // 501: this node was built without the service; no retry or other node will change that soon.
        if (reply.status === 501) throw err;
        if (pinned !== undefined) {
          if (RETRYABLE_CODES.has(err.code)) break;
          throw err;
        }
        if (err.code === 'NotLeader') {
          notLeader = err;
          target = this.leaderFromHint(reply, err) ?? this.nextUntried(tried);
          continue;
        }
        // These are about this one node (shutting down, starting): another node may do better now.
        if (err.code === 'Unavailable' || err.code === 'Stopped') {
          target = this.nextUntried(tried);
          continue;
        }
        if (RETRYABLE_CODES.has(err.code)) break;
        throw err;
      }
    }
    if (notLeader !== undefined && lastError !== undefined && (lastError.code === 'Unavailable' || lastError.code === 'Timeout')) {
      // The nodes that answered are followers and the leader they know is gone: that is the guide's
      // "No Raft Leader", not a network problem with the node asked.
      throw new StrataError('NoLeader', `no reachable Raft leader: ${String(notLeader.details.endpoint)} is not the leader, and the leader it knows did not answer (${lastError.message})`, {
        retryable: true,
        cause: lastError,
        details: { ...notLeader.details },
      });
    }
    throw lastError ?? new StrataError('Internal', `${method} ${path}: no attempt was made`);
  }

  private async send(endpoint: string, method: string, path: string, options: RequestOptions): Promise<Reply> {
    const { body, stream = false, signal } = options;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('timed out', 'TimeoutError')), this.options.timeoutMs);
    const abort = signal === undefined ? timeout.signal : AbortSignal.any([timeout.signal, signal]);
    try {
      const res = await fetch(`${endpoint}${path}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort,
      });
      if (stream && res.status < 400) {
        clearTimeout(timer);
        return { status: res.status, headers: res.headers, text: '', endpoint, body: res.body };
      }
      // Reading the body to the end also frees the connection for reuse.
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, endpoint };
    } catch (err) {
      if (signal?.aborted === true) {
        throw new StrataError('Stopped', `${method} ${endpoint}${path}: cancelled`, { cause: err, details: { endpoint } });
      }
      const name = (err as Error).name;
      if (timeout.signal.aborted || name === 'TimeoutError' || name === 'AbortError') {
        throw new StrataError('Timeout', `${method} ${endpoint}${path}: no answer within ${this.options.timeoutMs}ms`, {
          retryable: true,
          cause: err,
          details: { endpoint },
        });
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new StrataError('Unavailable', `${method} ${endpoint}${path}: cannot reach the node (${reason})`, { retryable: true, cause: err, details: { endpoint } });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The leader's endpoint from a NotLeader answer: a URL in the header/details, or a node id we have seen. */
  private leaderFromHint(reply: Reply, err: StrataError): string | undefined {
    const header = reply.headers.get(LEADER_HEADER) ?? '';
    const url = /^https?:\/\//.test(header) ? header : typeof err.details.leaderUrl === 'string' ? err.details.leaderUrl : undefined;
    if (url !== undefined) {
      try {
        const endpoint = normalizeEndpoint(url);
        if (!this.endpoints.includes(endpoint)) this.endpoints.push(endpoint);
        return endpoint;
      } catch {
        return undefined;
      }
    }
    const id = /^\d+$/.test(header) ? Number(header) : typeof err.details.leaderId === 'number' ? err.details.leaderId : undefined;
    return id === undefined ? undefined : this.endpointOfNode.get(id);
  }

  private nextUntried(tried: ReadonlySet<string>): string | undefined {
    // Walk the list from the preferred endpoint so load does not always land on the first one.
    const start = Math.max(0, this.endpoints.indexOf(this.preferred));
    for (let i = 0; i < this.endpoints.length; i++) {
      const candidate = this.endpoints[(start + i) % this.endpoints.length];
      if (!tried.has(candidate)) return candidate;
    }
    return undefined;
  }

  private backoffMs(round: number): number {
    const { backoffBaseMs, backoffMaxMs, random } = this.options;
    const capped = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (round - 1));
    // Full jitter on the upper half: spread clients out, but never retry instantly.
    return Math.round(capped / 2 + random.next() * (capped / 2));
  }
}

function parseJson<T>(reply: Reply): T {
  try {
    return JSON.parse(reply.text) as T;
  } catch (err) {
    throw new StrataError('Internal', `${reply.endpoint} answered HTTP ${reply.status} with a body that is not JSON`, { cause: err, details: { endpoint: reply.endpoint } });
  }
}

function nodePath(id: NodeRef): string {
  return `/admin/v1/nodes/${encodeURIComponent(String(id))}`;
}

function looksLikeHealthReport(text: string): boolean {
  try {
    return typeof (JSON.parse(text) as { ready?: unknown }).ready === 'boolean';
  } catch {
    return false;
  }
}
