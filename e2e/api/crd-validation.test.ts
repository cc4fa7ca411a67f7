// The StrataCluster CRD against a real API server (e2e/control-plane): the schema, the CEL rules and the
// subresources as a user meets them through kubectl. Every refusal must name the field it refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, REPO_ROOT } from '../control-plane/control-plane.js';
import { CONTROL_PLANE_PORTS } from '../control-plane/control-plane-ports.js';
import { SPEC_DEFAULTS } from '../../operator/src/api/defaults.js';
import { STRATA_CRD_NAME } from '../../operator/src/api/strata-cluster.js';

const NS = 'strata-api';
// Cold build.sh compiles Kubernetes (tens of minutes on 2 cores); cached, it takes a second.
const START_TIMEOUT_MS = 50 * 60_000;
const PORTS = CONTROL_PLANE_PORTS.crdValidation;

let cp: ControlPlane;

type Spec = Record<string, unknown>;

function manifest(name: string, spec: Spec): string {
  return dump({ apiVersion: 'strata.io/v1alpha1', kind: 'StrataCluster', metadata: { name, namespace: NS }, spec });
}

async function create(name: string, spec: Spec) {
  return cp.kubectl(['create', '-f', '-', '-o', 'name'], { input: manifest(name, spec), allowFailure: true });
}

async function get(name: string): Promise<{ spec: Spec & { nodes: number }; status?: Record<string, unknown> }> {
  return cp.getJson(['-n', NS, 'stratacluster', name]);
}

async function mergePatch(name: string, patch: unknown, subresource?: string) {
  const args = ['-n', NS, 'patch', 'stratacluster', name, '--type', 'merge', '-p', JSON.stringify(patch)];
  if (subresource !== undefined) args.push('--subresource', subresource);
  return cp.kubectl(args, { allowFailure: true });
}

let counter = 0;
const uniqueName = () => `c${++counter}`;

beforeAll(async () => {
  cp = await ControlPlane.start({ run: 'h7-api', env: PORTS });
  await cp.kubectl(['apply', '--server-side', '-f', join(REPO_ROOT, 'crds', 'strata.io_strataclusters.yaml')]);
  await cp.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', `crd/${STRATA_CRD_NAME}`]);
  await cp.kubectl(['create', 'namespace', NS], { allowFailure: true });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await cp?.stop();
}, 120_000);

describe('valid StrataClusters', () => {
  it('a minimal spec is accepted and stored with the defaults of operator/src/api', async () => {
    const result = await create('minimal', { version: '0.1.0' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const stored = (await get('minimal')).spec;
    const at = (path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], stored);
    for (const [path, value] of Object.entries(SPEC_DEFAULTS)) {
      // backup.* defaults apply only inside a backup section, which a minimal spec has not.
      if (path.startsWith('backup.')) continue;
      expect(at(path), path).toEqual(value);
    }
    expect(stored.backup).toBeUndefined();
  });

  it("the chart's full example is accepted, with backup defaults", async () => {
    const values = load(readFileSync(join(REPO_ROOT, 'charts/strata/ci/full-values.yaml'), 'utf8')) as { cluster: { spec: Spec } };
    const result = await create('full', values.cluster.spec);
    expect(result.stderr).toBe('');
    const backup = (await get('full')).spec.backup as { destination: { path: string } };
    expect(backup.destination.path).toBe('/backup');
  });

  it('kubectl explain shows the descriptions', async () => {
    const result = await cp.kubectl(['explain', 'stratacluster.spec.drain']);
    expect(result.stdout).toContain('Nodes to empty and keep empty');
  });
});

describe('invalid StrataClusters are refused, naming the field', () => {
  const cases: [string, Spec, string][] = [
    ['missing version', { nodes: 3 }, 'spec.version'],
    ['no nodes', { version: 'v', nodes: 0 }, 'spec.nodes'],
    ['too many nodes', { version: 'v', nodes: 65 }, 'spec.nodes'],
    ['erasure wider than the cluster', { version: 'v', nodes: 3, erasure: { dataShards: 4, parityShards: 2 } }, 'spec.erasure.dataShards + spec.erasure.parityShards must not exceed spec.nodes'],
    ['one node with the default 2+1', { version: 'v', nodes: 1 }, 'spec.erasure.dataShards + spec.erasure.parityShards'],
    ['drain of a node that does not exist', { version: 'v', nodes: 5, drain: ['node-9'] }, 'spec.drain'],
    ['drain of a pod name', { version: 'v', drain: ['strata-0'] }, 'spec.drain[0]'],
    ['drain listed twice', { version: 'v', nodes: 5, drain: ['node-1', 'node-1'] }, 'spec.drain[1]'],
    ['drain leaving too few nodes', { version: 'v', nodes: 4, drain: ['node-1', 'node-2'] }, 'spec.drain: at least'],
    ['a mistyped config key', { version: 'v', config: { data: { cach_size: '1GiB' } } }, 'spec.config.data.cach_size'],
    ['a config section that does not exist', { version: 'v', config: { raft: { voters: 3 } } }, 'spec.config.raft'],
    ['an even voter count', { version: 'v', nodes: 5, config: { metadata: { voters: 4 } } }, 'spec.config.metadata.voters'],
    ['more voters than nodes', { version: 'v', nodes: 3, config: { metadata: { voters: 5 } } }, 'spec.config.metadata.voters must not exceed spec.nodes'],
    ['a duration in words', { version: 'v', config: { scrub: { interval: '1 week' } } }, 'spec.config.scrub.interval'],
    ['a size in parsecs', { version: 'v', config: { data: { cache_size: '4 parsecs' } } }, 'spec.config.data.cache_size'],
    ['election timeouts upside down', { version: 'v', config: { metadata: { election_timeout_min: '300ms', election_timeout_max: '150ms' } } }, 'spec.config.metadata.election_timeout_min'],
    ['the S3 port on the cluster port', { version: 'v', s3: { port: 9000 } }, 'spec.s3.port'],
    ['an unknown Service type', { version: 'v', s3: { serviceType: 'Ingress' } }, 'spec.s3.serviceType'],
    ['a cron macro', { version: 'v', backup: { schedule: '@daily', destination: { claimName: 'b' } } }, 'spec.backup.schedule'],
    ['zero retention', { version: 'v', backup: { schedule: '0 2 * * *', retentionDays: 0, destination: { claimName: 'b' } } }, 'spec.backup.retentionDays'],
    ['a backup without a destination', { version: 'v', backup: { schedule: '0 2 * * *' } }, 'spec.backup.destination'],
    ['a gate timeout in words', { version: 'v', upgrade: { gateTimeout: 'soon' } }, 'spec.upgrade.gateTimeout'],
    ['an unknown upgrade strategy', { version: 'v', upgrade: { strategy: 'Recreate' } }, 'spec.upgrade.strategy'],
    ['a storage size in words', { version: 'v', storage: { size: 'ten gigs' } }, 'spec.storage.size'],
  ];

  it.each(cases)('%s', async (_what, spec, field) => {
    const result = await create(uniqueName(), spec);
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stderr).toContain(field);
  });
});

describe('changes to an existing cluster', () => {
  const name = 'changes';
  beforeAll(async () => {
    const result = await create(name, { version: '0.1.0', nodes: 3, storage: { size: '10Gi' } });
    expect(result.stderr).toBe('');
  });

  it.each([
    ['erasure.dataShards', { spec: { erasure: { dataShards: 1 } } }, 'spec.erasure.dataShards is immutable'],
    ['erasure.parityShards', { spec: { erasure: { parityShards: 0 } } }, 'spec.erasure.parityShards is immutable'],
    ['storage.size', { spec: { storage: { size: '20Gi' } } }, 'spec.storage.size is immutable'],
    ['storage.storageClassName (added later)', { spec: { storage: { storageClassName: 'fast' } } }, 'spec.storage.storageClassName is immutable'],
  ])('%s cannot change', async (_field, patch, message) => {
    const result = await mergePatch(name, patch);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('nodes, drain, rebalanceRequest and version may change', async () => {
    const result = await mergePatch(name, { spec: { nodes: 5, drain: ['node-5'], rebalanceRequest: '2026-11-27T10:00:00Z', version: '0.2.0' } });
    expect(result.stderr).toBe('');
    const spec = (await get(name)).spec;
    expect(spec).toMatchObject({ nodes: 5, drain: ['node-5'], version: '0.2.0' });
  });

  it('a scale-in below a drained node is refused until the drain entry goes', async () => {
    const result = await mergePatch(name, { spec: { nodes: 4 } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('spec.drain');
  });

  it('the scale subresource sets spec.nodes and keeps the CEL rules', async () => {
    expect((await mergePatch(name, { spec: { drain: null } })).code).toBe(0);
    const scaled = await cp.kubectl(['-n', NS, 'scale', 'stratacluster', name, '--replicas', '6']);
    expect(scaled.code).toBe(0);
    expect((await get(name)).spec.nodes).toBe(6);
    const tooSmall = await cp.kubectl(['-n', NS, 'scale', 'stratacluster', name, '--replicas', '2'], { allowFailure: true });
    expect(tooSmall.code).not.toBe(0);
    expect((await get(name)).spec.nodes).toBe(6);
  });
});

describe('status subresource and printer columns', () => {
  const name = 'status';
  beforeAll(async () => {
    expect((await create(name, { version: '0.1.0' })).code).toBe(0);
  });

  it('status is written only through the subresource, and shows in kubectl get', async () => {
    const status = {
      observedGeneration: 1,
      phase: 'Available',
      readyNodes: 3,
      replicas: 3,
      selector: 'app.kubernetes.io/name=strata,app.kubernetes.io/instance=status',
      leader: 'node-2',
      term: 4,
      currentVersion: '0.1.0',
      conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2026-11-27T10:00:00Z', reason: 'AllNodesReady', message: '3 of 3 nodes ready' }],
      nodes: [{ name: 'node-1', pod: 'status-0', state: 'active', raftRole: 'follower', online: true, ready: true, version: '0.1.0' }],
    };
    // Through the main resource the status is ignored.
    await mergePatch(name, { status: { phase: 'Degraded' } });
    expect((await get(name)).status?.phase).toBeUndefined();
    const result = await mergePatch(name, { status }, 'status');
    expect(result.stderr).toBe('');
    expect((await get(name)).status).toMatchObject({ phase: 'Available', leader: 'node-2' });
    const table = await cp.kubectl(['-n', NS, 'get', 'strata', name]);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'PHASE', 'NODES', 'READY', 'LEADER', 'VERSION', 'AGE']);
    expect(row.split(/\s+/).slice(0, 6)).toEqual([name, 'Available', '3', '3', 'node-2', '0.1.0']);
  });

  it('a status outside the schema is refused, naming the field', async () => {
    const result = await mergePatch(name, { status: { phase: 'Happy' } }, 'status');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('status.phase');
  });
});
