// The real strata-operator process (bin/strata-operator.js over dist/) against a real API server
// (e2e/control-plane): the children it creates with server-side apply and owner references, the status it
// writes through the status subresource, its Events and leader Lease, drift repair, a reconcile with
// nothing to do writing nothing, and a SIGTERM'd operator handing over to a new one that carries on.
//
// No pods run here (no node agent): the StatefulSet controller creates Pending pods, the scheduler has no
// Node, and the operator (outside the cluster) cannot reach the nodes' admin API. It must therefore report
// that it waits for pods, and do nothing that needs Strata (no rebalance, no drain).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, REPO_ROOT, runCommand } from '../control-plane/control-plane.js';
import { CONTROL_PLANE_PORTS } from '../control-plane/control-plane-ports.js';
import { waitFor as waitUntil } from '../harness/wait.js';
import { STRATA_CRD_NAME } from '../../operator/src/api/strata-cluster.js';

const RUN = 'operator-api';
const NS = 'strata-op';
const CLUSTER = 'op';
const LEASE = 'strata-operator';
const MANAGER = 'strata-operator';
// Cold build.sh compiles Kubernetes (tens of minutes on 2 cores); cached, it takes a second.
const START_TIMEOUT_MS = 50 * 60_000;
const PORTS = CONTROL_PLANE_PORTS.operatorApi;
const HEALTH_PORT = 18481;
const METRICS_PORT = 18480;
const S3_PORT = 9080;

// ---------------------------------------------------------------------------------------------------------
// Kubernetes object shapes (only what the checks read)

interface ManagedField {
  manager: string;
  operation: string;
  subresource?: string;
}
interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}
interface Meta {
  name: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerRef[];
  managedFields?: ManagedField[];
}
interface Obj {
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}
interface ClusterStatus {
  observedGeneration?: number;
  phase?: string;
  conditions?: Condition[];
  nodes?: { name: string; pod: string; ready: boolean; online: boolean }[];
  readyNodes?: number;
  replicas?: number;
  selector?: string;
}
interface Cluster extends Obj {
  status?: ClusterStatus & Record<string, unknown>;
}
interface Lease extends Obj {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}
interface EventObj {
  reason: string;
  type: string;
  message: string;
  involvedObject: { kind: string; name: string; uid?: string };
  source?: { component?: string };
  reportingComponent?: string;
}

// The children of one StrataCluster: [kubectl resource, name].
const CHILDREN: [string, string][] = [
  ['statefulset', CLUSTER],
  ['service', `${CLUSTER}-nodes`],
  ['service', `${CLUSTER}-s3`],
  ['configmap', `${CLUSTER}-config`],
  ['poddisruptionbudget', CLUSTER],
];
const SECRET: [string, string] = ['secret', `${CLUSTER}-credentials`];

// ---------------------------------------------------------------------------------------------------------
// The operator process

class OperatorProcess {
  readonly lines: string[] = [];
  readonly logFile: string;
  private readonly log: WriteStream;
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitedWith: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly podName: string,
    kubeconfig: string,
  ) {
    this.logFile = join(tmpdir(), `strata-e2e-${RUN}-${podName}.log`);
    this.log = createWriteStream(this.logFile);
    const args = [
      join(REPO_ROOT, 'bin', 'strata-operator.js'),
      '--kubeconfig', kubeconfig,
      '--namespace', NS,
      '--leader-elect=true',
      '--lease-name', LEASE,
      '--bind-address', '127.0.0.1',
      '--health-port', String(HEALTH_PORT),
      '--metrics-port', String(METRICS_PORT),
      // Resyncs well inside the idempotence window below (the reconciler also requeues every 5 s while
      // it waits for pods).
      '--resync', '5s',
      '--log-level', 'debug',
    ];
    // POD_NAME gives the Lease identity a recognisable prefix; nothing else from the environment is needed.
    const env: NodeJS.ProcessEnv = { ...process.env, POD_NAME: podName, KUBECONFIG: kubeconfig };
    delete env.WATCH_NAMESPACE;
    delete env.LEADER_ELECTION;
    delete env.LEADER_ELECT;
    delete env.POD_NAMESPACE;
    this.child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: string) => {
      this.log.write(chunk);
      for (const line of chunk.split('\n')) if (line.trim() !== '') this.lines.push(line);
    };
    this.child.stdout!.setEncoding('utf8').on('data', collect);
    this.child.stderr!.setEncoding('utf8').on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitedWith = { code, signal };
        this.log.end();
        resolve({ code, signal });
      });
    });
    runningOperators.add(this);
    void this.exited.then(() => runningOperators.delete(this));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Parsed pino lines. */
  entries(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [{ msg: line }];
      }
    });
  }

  tail(n = 25): string {
    return `${this.podName} log (${this.logFile}), last ${n} lines:\n${this.lines.slice(-n).join('\n')}`;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitedWith === undefined) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitedWith !== undefined) return this.exitedWith;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

const runningOperators = new Set<OperatorProcess>();
// Should vitest itself go down, do not leave an operator behind writing into a dead control plane.
process.on('exit', () => {
  for (const op of runningOperators) op.signal('SIGKILL');
});

// ---------------------------------------------------------------------------------------------------------
// Helpers

let cp: ControlPlane | undefined;
let current: OperatorProcess | undefined;
const operators: OperatorProcess[] = [];

function kube(): ControlPlane {
  if (cp === undefined) throw new Error('the control plane did not start');
  return cp;
}

async function get<T extends Obj = Obj>(resource: string, name: string): Promise<T | undefined> {
  // kubectl hides managedFields unless asked.
  const result = await kube().kubectl(['-n', NS, 'get', resource, name, '-o', 'json', '--show-managed-fields'], { allowFailure: true });
  if (result.code !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(`kubectl get ${resource} ${name}: ${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as T;
}

async function mustGet<T extends Obj = Obj>(resource: string, name: string): Promise<T> {
  const object = await get<T>(resource, name);
  if (object === undefined) throw new Error(`${resource}/${name} does not exist in ${NS}`);
  return object;
}

const cluster = () => mustGet<Cluster>('stratacluster', CLUSTER);
const lease = () => get<Lease>('lease', LEASE);

/**
 * The harness's bounded wait (every `intervalMs`) in this file's argument order; on timeout the error
 * names what was awaited, the last observation (`describe`) and the current operator's log tail.
 */
function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, describeLast?: () => Promise<string>, intervalMs = 500): Promise<T> {
  return waitUntil(check, {
    what,
    timeoutMs,
    intervalMs,
    describe: async () => `${describeLast === undefined ? '' : await describeLast()}\n${current?.tail() ?? '(no operator running)'}`,
  });
}

async function http(path: string, port: number): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3_000) });
  return { status: response.status, body: await response.text() };
}

/** strata_operator_reconciles_total summed over its results. */
async function reconcileCount(): Promise<number> {
  const { body } = await http('/metrics', METRICS_PORT);
  return body
    .split('\n')
    .filter((l) => l.startsWith('strata_operator_reconciles_total'))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).pop()), 0);
}

function metricValue(body: string, name: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
}

function condition(c: Cluster, type: string): Condition | undefined {
  return c.status?.conditions?.find((x) => x.type === type);
}

function describeConditions(c: Cluster | undefined): string {
  if (c === undefined) return 'no StrataCluster';
  const s = c.status;
  return `generation ${c.metadata.generation}, status ${JSON.stringify({ observedGeneration: s?.observedGeneration, phase: s?.phase, conditions: s?.conditions?.map((x) => `${x.type}=${x.status}/${x.reason}: ${x.message}`) })}`;
}

async function events(): Promise<EventObj[]> {
  const list = await kube().getJson<{ items: EventObj[] }>(['-n', NS, 'events', '--field-selector', `involvedObject.kind=StrataCluster,involvedObject.name=${CLUSTER}`]);
  return list.items;
}

async function resourceVersions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [resource, name] of [['stratacluster', CLUSTER] as [string, string], ...CHILDREN, SECRET]) {
    out[`${resource}/${name}`] = (await mustGet(resource, name)).metadata.resourceVersion;
  }
  return out;
}

function startOperator(podName: string): OperatorProcess {
  const op = new OperatorProcess(podName, kube().kubeconfig);
  operators.push(op);
  current = op;
  return op;
}

/** The test runs the compiled operator; a dist/ older than operator/src would test stale code. */
function staleDist(): string | undefined {
  const main = join(REPO_ROOT, 'dist', 'operator', 'src', 'main.js');
  if (!existsSync(main)) return 'dist/operator/src/main.js is missing';
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.testkit.ts')) {
        const rel = relative(REPO_ROOT, path);
        const js = join(REPO_ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
        if (!existsSync(js) || statSync(js).mtimeMs < statSync(path).mtimeMs) stale.push(rel);
      }
    }
  };
  walk(join(REPO_ROOT, 'operator', 'src'));
  return stale.length === 0 ? undefined : `dist/ is older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}`;
}

const CLUSTER_MANIFEST = JSON.stringify({
  apiVersion: 'strata.io/v1alpha1',
  kind: 'StrataCluster',
  metadata: { name: CLUSTER, namespace: NS },
  spec: { version: '0.1.0', nodes: 3, storage: { size: '1Gi' } },
});

// ---------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  const stale = staleDist();
  if (stale !== undefined) throw new Error(`${stale}: run \`npx tsc -p tsconfig.build.json\` first`);
  cp = await ControlPlane.start({ run: RUN, env: PORTS });
  await cp.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'crds', 'strata.io_strataclusters.yaml')]);
  await cp.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', `crd/${STRATA_CRD_NAME}`]);
  await cp.kubectl(['create', 'namespace', NS]);
}, START_TIMEOUT_MS);

afterAll(async () => {
  // The operators first (they would otherwise log errors against a stopping API server), then the
  // control plane, whether or not start() returned a handle.
  await Promise.all(operators.map((op) => op.stop(5_000)));
  if (cp !== undefined) await cp.stop();
  else await runCommand(join(REPO_ROOT, 'e2e', 'control-plane', 'stop.sh'), ['--run', RUN], { env: { ...process.env, ...PORTS } });
}, 120_000);

describe('strata-operator against a real API server', () => {
  let clusterUid = '';
  let secretBefore: Obj | undefined;
  let firstHolder = '';

  it('starts, serves /healthz and /readyz, and takes the leader Lease', async () => {
    const op = startOperator('op-a');
    await waitFor('the operator to answer /readyz with 200', async () => ((await http('/readyz', HEALTH_PORT)).status === 200 ? true : undefined), 30_000);
    expect((await http('/healthz', HEALTH_PORT)).status).toBe(200);
    const held = await waitFor(
      `Lease ${NS}/${LEASE} to be held by op-a-*`,
      async () => {
        const l = await lease();
        return l?.spec?.holderIdentity?.startsWith('op-a-') ? l : undefined;
      },
      20_000,
      async () => JSON.stringify((await lease())?.spec),
    );
    firstHolder = held.spec!.holderIdentity!;
    expect(held.spec?.leaseDurationSeconds).toBe(15);
    await waitFor('strata_operator_leader 1', async () => (metricValue((await http('/metrics', METRICS_PORT)).body, 'strata_operator_leader') === 1 ? true : undefined), 10_000);
    expect(op.exitedWith).toBeUndefined();
  });

  it('creates the StatefulSet, Services, ConfigMap, Secret and PDB, owned by the cluster, by server-side apply', async () => {
    await kube().kubectl(['create', '-f', '-'], { input: CLUSTER_MANIFEST });
    clusterUid = (await cluster()).metadata.uid;
    const all = [...CHILDREN, SECRET];
    const children = await waitFor(
      'every child to exist',
      async () => {
        const found = await Promise.all(all.map(([r, n]) => get(r, n)));
        return found.every((o) => o !== undefined) ? (found as Obj[]) : undefined;
      },
      30_000,
      async () => (await Promise.all(all.map(async ([r, n]) => `${r}/${n}: ${(await get(r, n)) === undefined ? 'missing' : 'present'}`))).join(', '),
    );
    const byKey = new Map(all.map(([r, n], i) => [`${r}/${n}`, children[i]]));

    for (const [key, object] of byKey) {
      // A controller owner reference to this very StrataCluster (uid included): the garbage collector's link.
      expect(object.metadata.ownerReferences, key).toEqual([
        { apiVersion: 'strata.io/v1alpha1', kind: 'StrataCluster', name: CLUSTER, uid: clusterUid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(object.metadata.labels, key).toMatchObject({ 'app.kubernetes.io/name': 'strata', 'app.kubernetes.io/instance': CLUSTER, 'app.kubernetes.io/managed-by': MANAGER });
      const mine = object.metadata.managedFields?.filter((f) => f.manager === MANAGER) ?? [];
      if (key.startsWith('secret/')) {
        // The generated Secret is created once (never applied, so never regenerated): a create is an Update.
        expect(mine.map((f) => f.operation), key).toEqual(['Update']);
      } else {
        expect(mine.map((f) => f.operation), `${key} managedFields ${JSON.stringify(object.metadata.managedFields)}`).toContain('Apply');
        expect(mine.every((f) => f.operation === 'Apply'), key).toBe(true);
      }
    }

    const sts = byKey.get(`statefulset/${CLUSTER}`)!.spec as {
      replicas: number;
      serviceName: string;
      podManagementPolicy: string;
      updateStrategy: { type: string };
      template: { spec: { containers: { ports: { containerPort: number }[]; livenessProbe: { httpGet: { port: number; path: string } }; readinessProbe: { httpGet: { port: number; path: string } } }[] } };
      volumeClaimTemplates: { metadata: { name: string }; spec: { accessModes: string[]; resources: { requests: { storage: string } } } }[];
    };
    expect(sts.replicas).toBe(3);
    expect(sts.serviceName).toBe(`${CLUSTER}-nodes`);
    expect(sts.podManagementPolicy).toBe('Parallel');
    expect(sts.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(sts.volumeClaimTemplates).toHaveLength(1);
    expect(sts.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(sts.volumeClaimTemplates[0].spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(sts.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    const container = sts.template.spec.containers[0];
    expect(container.livenessProbe.httpGet).toMatchObject({ port: 9090, path: '/health/live' });
    expect(container.readinessProbe.httpGet).toMatchObject({ port: 9090, path: '/health/ready' });
    expect(container.ports.map((p) => p.containerPort).sort()).toEqual([9000, 9080, 9090]);

    const headless = byKey.get(`service/${CLUSTER}-nodes`)!.spec as { clusterIP: string; publishNotReadyAddresses: boolean; ports: { port: number }[] };
    expect(headless.clusterIP).toBe('None');
    expect(headless.publishNotReadyAddresses).toBe(true);
    expect(headless.ports.map((p) => p.port)).toEqual([9000, 9090]);
    const s3 = byKey.get(`service/${CLUSTER}-s3`)!.spec as { type: string; ports: { name: string; port: number }[]; selector: Record<string, string> };
    expect(s3.type).toBe('ClusterIP');
    expect(s3.ports).toMatchObject([{ name: 's3', port: S3_PORT }]);
    expect(s3.selector).toEqual({ 'app.kubernetes.io/name': 'strata', 'app.kubernetes.io/instance': CLUSTER });

    const configMap = byKey.get(`configmap/${CLUSTER}-config`)!;
    expect(configMap.data?.['strata.toml']).toContain('credentials_file = "/etc/strata-credentials/credentials.toml"');
    expect(configMap.data?.['strata.toml']).toMatch(/erasure_data_shards = 2/);
    // Nothing ever answered from Strata here, so pod 0 may still bootstrap.
    expect(configMap.data?.bootstrap).toBe('allowed');

    const secret = byKey.get(`secret/${CLUSTER}-credentials`)!;
    expect(Object.keys(secret.data ?? {}).sort()).toEqual(['access_key_id', 'credentials.toml', 'secret_access_key']);
    const decoded = (k: string) => Buffer.from(secret.data![k], 'base64').toString('utf8');
    expect(decoded('credentials.toml')).toContain(`access_key_id = "${decoded('access_key_id')}"`);
    secretBefore = secret;

    const pdb = byKey.get(`poddisruptionbudget/${CLUSTER}`)!.spec as { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    // 3 voters survive 1 loss, parity 1 survives 1 loss.
    expect(pdb.maxUnavailable).toBe(1);
    expect(pdb.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'strata', 'app.kubernetes.io/instance': CLUSTER });
  });

  it('writes status through the status subresource, naming what it waits for', async () => {
    const c = await waitFor(
      'status.observedGeneration == metadata.generation with a Progressing condition',
      async () => {
        const x = await cluster();
        return x.status?.observedGeneration === x.metadata.generation && condition(x, 'Progressing') !== undefined ? x : undefined;
      },
      30_000,
      async () => describeConditions(await cluster()),
    );
    // Written by server-side apply of the status subresource, by the operator and nobody else.
    const statusFields = c.metadata.managedFields?.filter((f) => f.subresource === 'status') ?? [];
    expect(statusFields, JSON.stringify(c.metadata.managedFields)).toEqual([expect.objectContaining({ manager: MANAGER, operation: 'Apply', subresource: 'status' })]);
    // The spec is still only the user's.
    expect(c.metadata.managedFields?.filter((f) => f.manager === MANAGER && f.subresource !== 'status')).toEqual([]);

    // No pod can run here: the StatefulSet controller made Pending pods, none is Ready.
    const s = c.status!;
    expect(s.readyNodes).toBe(0);
    expect(s.selector).toBe(`app.kubernetes.io/name=strata,app.kubernetes.io/instance=${CLUSTER}`);
    for (const cond of s.conditions ?? []) {
      expect(cond.reason, cond.type).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(cond.message, cond.type).not.toBe('');
      expect(cond.observedGeneration, cond.type).toBe(c.metadata.generation);
    }
    const summary = describeConditions(c);
    expect(condition(c, 'Available'), summary).toMatchObject({ status: 'False', reason: 'WaitingForPodsReady', message: 'no Strata pod is Ready yet' });
    expect(condition(c, 'Progressing'), summary).toMatchObject({ status: 'True', reason: 'WaitingForPodsReady', message: '0/3 pods Ready' });
    expect(condition(c, 'Degraded'), summary).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(condition(c, 'Upgrading'), summary).toMatchObject({ status: 'False' });
    expect(condition(c, 'Rebalancing'), summary).toMatchObject({ status: 'False', reason: 'NoRebalance' });
    expect(condition(c, 'ScalingIn'), summary).toMatchObject({ status: 'False', reason: 'NoScaleIn' });
    expect(condition(c, 'Draining'), summary).toMatchObject({ status: 'False' });
    // Creating once the StatefulSet controller's pods exist (Pending before they do).
    const phase = await waitFor('phase Creating (pods exist, none Ready)', async () => {
      const x = await cluster();
      return x.status?.phase === 'Creating' ? x.status.phase : undefined;
    }, 20_000, async () => describeConditions(await cluster()));
    expect(phase).toBe('Creating');
    const withPods = await waitFor('status.replicas 3 and three node entries', async () => {
      const x = await cluster();
      return x.status?.replicas === 3 && x.status.nodes?.length === 3 ? x : undefined;
    }, 20_000, async () => JSON.stringify((await cluster()).status));
    expect(withPods.status!.nodes!.map((n) => [n.name, n.pod, n.ready])).toEqual([
      ['node-1', `${CLUSTER}-0`, false],
      ['node-2', `${CLUSTER}-1`, false],
      ['node-3', `${CLUSTER}-2`, false],
    ]);
    // `kubectl get` shows the phase column.
    const table = await kube().kubectl(['-n', NS, 'get', 'stratacluster', CLUSTER]);
    expect(table.stdout).toMatch(/Creating/);
  });

  it('records an Event for each thing it did', async () => {
    const expected = ['CredentialsGenerated', 'Created'];
    const list = await waitFor('Events CredentialsGenerated and Created', async () => {
      const e = await events();
      return expected.every((r) => e.some((x) => x.reason === r)) ? e : undefined;
    }, 15_000, async () => JSON.stringify((await events()).map((e) => e.reason)));
    const created = list.filter((e) => e.reason === 'Created').map((e) => e.message).sort();
    expect(created).toEqual([
      `created ConfigMap ${CLUSTER}-config`,
      `created PodDisruptionBudget ${CLUSTER}`,
      `created Service ${CLUSTER}-nodes`,
      `created Service ${CLUSTER}-s3`,
      `created StatefulSet ${CLUSTER}`,
    ]);
    for (const e of list) {
      expect(e.involvedObject.uid).toBe(clusterUid);
      expect(e.source?.component ?? e.reportingComponent).toBe(MANAGER);
    }
    expect(list.filter((e) => e.type === 'Warning').map((e) => `${e.reason}: ${e.message}`)).toEqual([]);
  });

  it('writes nothing once settled: resourceVersions unchanged across ~15 s of resyncs', async () => {
    // Settled: the StatefulSet controller has caught up (its status no longer moves) and status is written.
    await waitFor('the StatefulSet controller to report 3 replicas', async () => {
      const sts = await mustGet('statefulset', CLUSTER);
      const st = sts.status as { observedGeneration?: number; replicas?: number } | undefined;
      return st?.observedGeneration === sts.metadata.generation && st?.replicas === 3 ? true : undefined;
    }, 30_000, async () => JSON.stringify((await mustGet('statefulset', CLUSTER)).status));
    await new Promise((r) => setTimeout(r, 3_000));
    const before = await resourceVersions();
    const reconcilesBefore = await reconcileCount();
    const linesBefore = current!.lines.length;
    await new Promise((r) => setTimeout(r, 15_000));
    const after = await resourceVersions();
    const reconcilesAfter = await reconcileCount();
    const logged = current!.lines.slice(linesBefore);
    // It did reconcile (requeue every 5 s while waiting for pods, resync every 5 s) ...
    expect(reconcilesAfter - reconcilesBefore, `reconciles in the window\n${current!.tail()}`).toBeGreaterThanOrEqual(2);
    // ... and wrote nothing.
    expect(after, `changed during the window; operator lines then:\n${logged.join('\n')}`).toEqual(before);
    expect(logged.filter((l) => /"msg":"(created|updated) /.test(l))).toEqual([]);
  });

  it('repairs a hand-edited S3 Service port', async () => {
    // A JSON patch as `kubectl edit` would make: another manager now owns the port list entry.
    await kube().kubectl(['-n', NS, 'patch', 'service', `${CLUSTER}-s3`, '--type', 'json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/ports/0/port', value: 9999 }])]);
    const edited = await mustGet('service', `${CLUSTER}-s3`);
    expect((edited.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toEqual([9999]);
    const repaired = await waitFor(
      'the S3 Service to be back to exactly port 9080',
      async () => {
        const svc = await mustGet('service', `${CLUSTER}-s3`);
        const ports = (svc.spec as { ports: { port: number; targetPort: number }[] }).ports;
        return ports.length === 1 && ports[0].port === S3_PORT ? svc : undefined;
      },
      30_000,
      async () => JSON.stringify((await mustGet('service', `${CLUSTER}-s3`)).spec),
    );
    expect((repaired.spec as { ports: unknown[] }).ports).toMatchObject([{ name: 's3', port: S3_PORT, targetPort: S3_PORT, protocol: 'TCP' }]);
    await waitFor('an Updated Event for the S3 Service', async () => ((await events()).some((e) => e.reason === 'Updated' && e.message === `updated Service ${CLUSTER}-s3`) ? true : undefined), 10_000);
  });

  it('recreates a deleted ConfigMap', async () => {
    const old = await mustGet('configmap', `${CLUSTER}-config`);
    await kube().kubectl(['-n', NS, 'delete', 'configmap', `${CLUSTER}-config`, '--wait=true']);
    const recreated = await waitFor(
      'the ConfigMap to be recreated',
      async () => {
        const cm = await get('configmap', `${CLUSTER}-config`);
        return cm !== undefined && cm.metadata.uid !== old.metadata.uid ? cm : undefined;
      },
      30_000,
    );
    expect(recreated.data).toEqual(old.data);
    expect(recreated.metadata.managedFields?.filter((f) => f.manager === MANAGER).map((f) => f.operation)).toEqual(['Apply']);
  });

  it('takes back a hand-edited StatefulSet update strategy', async () => {
    await kube().kubectl(['-n', NS, 'patch', 'statefulset', CLUSTER, '--type', 'merge', '-p', JSON.stringify({ spec: { updateStrategy: { type: 'RollingUpdate' } } })]);
    const repaired = await waitFor(
      'the StatefulSet updateStrategy back to OnDelete',
      async () => {
        const sts = await mustGet('statefulset', CLUSTER);
        return (sts.spec?.updateStrategy as { type?: string } | undefined)?.type === 'OnDelete' ? sts : undefined;
      },
      30_000,
      async () => JSON.stringify((await mustGet('statefulset', CLUSTER)).spec?.updateStrategy),
    );
    expect(repaired.spec?.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(repaired.spec?.replicas).toBe(3);
  });

  it('on SIGTERM releases the Lease and exits 0; a new operator takes it and applies what changed meanwhile', async () => {
    const a = current!;
    const stsBefore = await mustGet('statefulset', CLUSTER);
    // What the operator last wrote to each other child (its managedFields entry, time included); their
    // resourceVersions may move with other controllers' status writes (the PDB's expected pods).
    const untouched = CHILDREN.filter(([r]) => r !== 'statefulset');
    const operatorWrites = () => Promise.all(untouched.map(async ([r, n]) => JSON.stringify((await mustGet(r, n)).metadata.managedFields?.filter((f) => f.manager === MANAGER))));
    const writesBefore = await operatorWrites();
    const exit = await a.stop(15_000);
    expect(exit, a.tail()).toEqual({ code: 0, signal: null });
    expect(a.entries().some((e) => e.msg === 'released the leader lease'), a.tail()).toBe(true);
    const released = await lease();
    expect(released?.spec?.holderIdentity ?? '', JSON.stringify(released?.spec)).toBe('');
    const transitionsBefore = released?.spec?.leaseTransitions ?? 0;

    // While no operator runs: scale to 4 through the scale subresource, as `kubectl scale` users do, and ask
    // for a rebalance.
    await kube().kubectl(['-n', NS, 'scale', 'stratacluster', CLUSTER, '--replicas', '4']);
    await kube().kubectl(['-n', NS, 'patch', 'stratacluster', CLUSTER, '--type', 'merge', '-p', JSON.stringify({ spec: { rebalanceRequest: 'after-restart-1' } })]);
    const changed = await cluster();
    expect(changed.spec?.nodes).toBe(4);
    expect(changed.status?.observedGeneration).toBeLessThan(changed.metadata.generation!);

    const b = startOperator('op-b');
    const taken = await waitFor(
      'the new operator to take the Lease',
      async () => {
        const l = await lease();
        return l?.spec?.holderIdentity?.startsWith('op-b-') ? l : undefined;
      },
      // A released lease is free at once; an unreleased one would take 15 s.
      20_000,
      async () => JSON.stringify((await lease())?.spec),
    );
    expect(taken.spec!.holderIdentity).not.toBe(firstHolder);
    expect(taken.spec!.leaseTransitions).toBe(transitionsBefore + 1);

    const sts = await waitFor(
      'the StatefulSet to be scaled to 4',
      async () => {
        const x = await mustGet('statefulset', CLUSTER);
        return x.spec?.replicas === 4 ? x : undefined;
      },
      30_000,
      async () => `replicas ${(await mustGet('statefulset', CLUSTER)).spec?.replicas}`,
    );
    // Same object, carried on (not recreated).
    expect(sts.metadata.uid).toBe(stsBefore.metadata.uid);
    // The admin API cannot answer here, so no rebalance was asked: neither the request nor the scale-out is
    // recorded as done, and a later operator that reaches Strata will still owe both.
    expect(sts.metadata.annotations?.['strata.io/rebalance-request-done']).toBeUndefined();
    expect(sts.metadata.annotations?.['strata.io/scale-out-rebalanced-at-replicas']).toBe('3');
    expect(b.entries().filter((e) => e.reason === 'RebalanceRequested')).toEqual([]);

    const c = await waitFor(
      'status of the new generation: 0/4 pods Ready',
      async () => {
        const x = await cluster();
        return x.status?.observedGeneration === x.metadata.generation && condition(x, 'Progressing')?.message === '0/4 pods Ready' ? x : undefined;
      },
      30_000,
      async () => describeConditions(await cluster()),
    );
    expect(condition(c, 'Available')).toMatchObject({ status: 'False', reason: 'WaitingForPodsReady' });
    const scaled = await events();
    expect(scaled.some((e) => e.reason === 'Updated' && e.message === `updated StatefulSet ${CLUSTER}`)).toBe(true);
    // Nothing else needed a write: the new operator re-applied none of the other children.
    expect(await operatorWrites(), b.tail()).toEqual(writesBefore);
    expect(b.exitedWith, b.tail()).toBeUndefined();
  });

  it('never regenerates the generated Secret', async () => {
    const secret = await mustGet('secret', `${CLUSTER}-credentials`);
    expect(secret.metadata.uid).toBe(secretBefore!.metadata.uid);
    expect(secret.metadata.resourceVersion).toBe(secretBefore!.metadata.resourceVersion);
    expect(secret.data).toEqual(secretBefore!.data);
    expect(current!.entries().filter((e) => typeof e.msg === 'string' && e.msg.includes('Secret'))).toEqual([]);
    const generated = (await events()).filter((e) => e.reason === 'CredentialsGenerated');
    expect(generated).toHaveLength(1);
  });

  it('the new leader keeps renewing the Lease and holds no errors', async () => {
    const first = (await lease())!.spec!;
    await new Promise((r) => setTimeout(r, 4_500));
    const later = (await lease())!.spec!;
    expect(later.holderIdentity).toBe(first.holderIdentity);
    expect(Date.parse(later.renewTime!)).toBeGreaterThan(Date.parse(first.renewTime!));
    const errors = current!.entries().filter((e) => typeof e.level === 'number' && e.level >= 50);
    expect(errors, current!.tail()).toEqual([]);
  });

  it('does not shrink a StatefulSet scaled up by hand while Strata cannot say whether the extra pods hold data', async () => {
    // By design (docs/decisions/0014): the StatefulSet shrinks only past nodes Strata no longer lists, and
    // here the admin API never answers, so the hand-added pod stays and status says why.
    await kube().kubectl(['-n', NS, 'scale', 'statefulset', CLUSTER, '--replicas', '5']);
    const c = await waitFor(
      'ScalingIn=True/WaitingForStrataAdmin naming node-5',
      async () => {
        const x = await cluster();
        const cond = condition(x, 'ScalingIn');
        return cond?.status === 'True' && cond.reason === 'WaitingForStrataAdmin' ? x : undefined;
      },
      30_000,
      async () => describeConditions(await cluster()),
    );
    expect(condition(c, 'ScalingIn')!.message).toMatch(/^cannot scale in node-5: the Strata admin API did not answer \(.+\)$/);
    expect(condition(c, 'Progressing')).toMatchObject({ status: 'True', reason: 'WaitingForStrataAdmin' });
    expect(c.spec?.nodes).toBe(4);
    await new Promise((r) => setTimeout(r, 6_000));
    expect((await mustGet('statefulset', CLUSTER)).spec?.replicas).toBe(5);
    const drains = (await events()).filter((e) => /Drain|NodeRemoved/.test(e.reason));
    expect(drains).toEqual([]);
  });
});
