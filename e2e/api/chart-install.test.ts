// The chart's lifecycle against a real API server with the pinned helm: install, the RBAC it grants (asked
// of the API server with SubjectAccessReviews), the StrataCluster from values on the next upgrade, and what
// `helm uninstall` keeps. No pods run here (no kubelet), so the operator itself is not exercised.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, REPO_ROOT, runCommand } from '../control-plane/control-plane.js';
import { CONTROL_PLANE_PORTS } from '../control-plane/control-plane-ports.js';
import { STRATA_CRD_NAME } from '../../operator/src/api/strata-cluster.js';

const START_TIMEOUT_MS = 50 * 60_000;
const PORTS = CONTROL_PLANE_PORTS.chartInstall;
const CHART = join(REPO_ROOT, 'charts', 'strata');
const SYSTEM_NS = 'strata-system';
const TEAM_NS = 'team-a';

let cp: ControlPlane;
let helmBin = '';

async function helm(args: string[], allowFailure = false) {
  const result = await runCommand(helmBin, [...args, '--kubeconfig', cp.kubeconfig], { env: cp.env() });
  if (result.code !== 0 && !allowFailure) throw new Error(`helm ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result;
}

/**
 * Whether the API server's authorizer lets a ServiceAccount do `verb` on `resource` (`name.group`,
 * `name.group/subresource`) in `namespace` ('' = cluster-wide). A SubjectAccessReview, not `kubectl auth
 * can-i`, so kinds whose CRD is absent (ServiceMonitor) are answered too.
 */
async function canI(serviceAccount: string, verb: string, resource: string, namespace: string): Promise<boolean> {
  const [ns, name] = serviceAccount.split(':');
  const [path, subresource] = resource.split('/');
  const dot = path.indexOf('.');
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: `system:serviceaccount:${ns}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      resourceAttributes: {
        verb,
        resource: dot < 0 ? path : path.slice(0, dot),
        group: dot < 0 ? '' : path.slice(dot + 1),
        ...(subresource === undefined ? {} : { subresource }),
        ...(namespace === '' ? {} : { namespace }),
      },
    },
  };
  const result = await cp.kubectl(['create', '-f', '-', '-o', 'json'], { input: JSON.stringify(review) });
  return (JSON.parse(result.stdout) as { status: { allowed: boolean } }).status.allowed;
}

async function exists(args: string[]): Promise<boolean> {
  return (await cp.kubectl(['get', ...args, '-o', 'name'], { allowFailure: true })).code === 0;
}

beforeAll(async () => {
  helmBin = execFileSync(join(REPO_ROOT, 'scripts', 'fetch-helm.sh'), { encoding: 'utf8' }).trim();
  cp = await ControlPlane.start({ run: 'h7-chart', env: PORTS });
}, START_TIMEOUT_MS);

afterAll(async () => {
  await cp?.stop();
}, 120_000);

describe('cluster-scoped release', () => {
  const sa = `${SYSTEM_NS}:strata-operator`;

  it('installs the CRD, the operator and its RBAC; a cluster from values waits for the next upgrade', async () => {
    const result = await helm(['install', 'strata', CHART, '-n', SYSTEM_NS, '--create-namespace', '--set', 'cluster.enabled=true', '--set', 'cluster.name=demo']);
    expect(result.stdout).toContain('helm upgrade strata');
    const crd = await cp.getJson<{ metadata: { annotations: Record<string, string> } }>(['crd', STRATA_CRD_NAME]);
    expect(crd.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    expect(await exists(['-n', SYSTEM_NS, 'deployment', 'strata-operator'])).toBe(true);
    expect(await exists(['-n', SYSTEM_NS, 'stratacluster', 'demo'])).toBe(false);
  });

  it('helm upgrade creates the StrataCluster from values', async () => {
    await cp.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', `crd/${STRATA_CRD_NAME}`]);
    await helm(['upgrade', 'strata', CHART, '-n', SYSTEM_NS, '--reuse-values']);
    const cluster = await cp.getJson<{ spec: { nodes: number; erasure: unknown } }>(['-n', SYSTEM_NS, 'stratacluster', 'demo']);
    expect(cluster.spec.nodes).toBe(3);
    expect(cluster.spec.erasure).toEqual({ dataShards: 2, parityShards: 1 });
  });

  it.each<[string, string, string, boolean]>([
    ['patch', 'strataclusters.strata.io', '', true],
    ['update', 'strataclusters.strata.io/status', 'anywhere', true],
    ['update', 'strataclusters.strata.io/finalizers', 'anywhere', true],
    ['delete', 'strataclusters.strata.io', 'anywhere', false],
    ['patch', 'statefulsets.apps', 'anywhere', true],
    ['delete', 'statefulsets.apps', 'anywhere', false],
    ['delete', 'pods', 'anywhere', true],
    ['create', 'pods', 'anywhere', false],
    ['create', 'pods/exec', 'anywhere', false],
    ['delete', 'persistentvolumeclaims', 'anywhere', true],
    ['create', 'persistentvolumeclaims', 'anywhere', false],
    ['get', 'secrets', 'anywhere', true],
    ['create', 'secrets', 'anywhere', true],
    ['list', 'secrets', 'anywhere', false],
    ['update', 'secrets', 'anywhere', false],
    ['delete', 'secrets', 'anywhere', false],
    ['create', 'events', 'anywhere', true],
    ['create', 'events.events.k8s.io', 'anywhere', true],
    ['create', 'poddisruptionbudgets.policy', 'anywhere', true],
    ['create', 'servicemonitors.monitoring.coreos.com', 'anywhere', true],
    ['delete', 'prometheusrules.monitoring.coreos.com', 'anywhere', true],
    ['update', 'leases.coordination.k8s.io', SYSTEM_NS, true],
    ['update', 'leases.coordination.k8s.io', 'anywhere', false],
    ['get', 'nodes', '', false],
    ['create', 'customresourcedefinitions.apiextensions.k8s.io', '', false],
  ])('the operator may %s %s in namespace "%s": %s', async (verb, resource, namespace, allowed) => {
    expect(await canI(sa, verb, resource, namespace)).toBe(allowed);
  });

  it('helm uninstall keeps the CRD and the StrataCluster; a reinstall adopts them', async () => {
    await helm(['uninstall', 'strata', '-n', SYSTEM_NS]);
    expect(await exists(['-n', SYSTEM_NS, 'deployment', 'strata-operator'])).toBe(false);
    expect(await exists(['crd', STRATA_CRD_NAME])).toBe(true);
    expect(await exists(['-n', SYSTEM_NS, 'stratacluster', 'demo'])).toBe(true);
    await helm(['install', 'strata', CHART, '-n', SYSTEM_NS]);
    expect(await exists(['-n', SYSTEM_NS, 'deployment', 'strata-operator'])).toBe(true);
  });
});

describe('namespace-scoped release beside it', () => {
  const sa = `${TEAM_NS}:team-strata-operator`;

  it('installs with crds.install=false (the CRD belongs to the first release)', async () => {
    await helm(['install', 'team', CHART, '-n', TEAM_NS, '--create-namespace', '--set', 'rbac.scope=namespace', '--set', 'crds.install=false']);
    const deployment = await cp.getJson<{ spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>([
      '-n',
      TEAM_NS,
      'deployment',
      'team-strata-operator',
    ]);
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env.find((e) => e.name === 'WATCH_NAMESPACE')?.value).toBe(TEAM_NS);
  });

  it.each<[string, string, string, boolean]>([
    ['patch', 'strataclusters.strata.io', TEAM_NS, true],
    ['patch', 'strataclusters.strata.io', 'default', false],
    ['patch', 'statefulsets.apps', TEAM_NS, true],
    ['patch', 'statefulsets.apps', 'default', false],
    ['list', 'strataclusters.strata.io', '', false],
  ])('the operator may %s %s in namespace "%s": %s', async (verb, resource, namespace, allowed) => {
    expect(await canI(sa, verb, resource, namespace)).toBe(allowed);
  });

  it('a second release that also installs the CRD is refused by helm', async () => {
    const result = await helm(['install', 'other', CHART, '-n', 'team-b', '--create-namespace', '--set', 'rbac.scope=namespace'], true);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(STRATA_CRD_NAME);
  });
});
