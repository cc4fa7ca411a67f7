/**
 * The chart through a real helm (scripts/fetch-helm.sh pins it): `helm lint` and `helm template` with the
 * values files of ci/, and the rendered objects checked: RBAC least privilege in both scopes, the operator
 * Deployment, the CRD identical to crds/ plus the keep policy, the optional StrataCluster, the monitoring
 * objects identical to monitoring/, and the copies in files/ in sync with their sources.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, loadAll } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const chartDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(chartDir, '..', '..');
const NAMESPACE = 'storage';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

let helm = '';

beforeAll(() => {
  helm = execFileSync(join(repoRoot, 'scripts', 'fetch-helm.sh'), { encoding: 'utf8' }).trim();
}, 120_000);

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(helm, args, { cwd: chartDir, encoding: 'utf8' });
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

function render(extra: string[] = []): K8sObject[] {
  const result = run(['template', 'rel', '.', '--namespace', NAMESPACE, ...extra]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return (loadAll(result.stdout) as (K8sObject | null)[]).filter((o): o is K8sObject => o !== null);
}

const find = (objects: K8sObject[], kind: string, name?: string): K8sObject[] =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = find(objects, kind, name);
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0];
}

function container(deployment: K8sObject): { image: string; env: { name: string; value?: string }[]; ports: { name: string; containerPort: number }[]; securityContext: Record<string, unknown>; livenessProbe: unknown; readinessProbe: unknown } {
  const spec = deployment.spec as { template: { spec: { containers: ReturnType<typeof container>[] } } };
  return spec.template.spec.containers[0];
}

const env = (deployment: K8sObject, name: string) => container(deployment).env.find((e) => e.name === name);
const valuesFiles = readdirSync(join(chartDir, 'ci')).filter((f) => f.endsWith('-values.yaml'));
const readRepo = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** What the operator may do, resource by resource (`group/resource` -> verbs): the least-privilege contract. */
const OPERATOR_PERMISSIONS: Record<string, string[]> = {
  'strata.io/strataclusters': ['get', 'list', 'watch', 'update', 'patch'],
  'strata.io/strataclusters/status': ['get', 'update', 'patch'],
  'strata.io/strataclusters/finalizers': ['update'],
  'apps/statefulsets': ['get', 'list', 'watch', 'create', 'update', 'patch'],
  '/services': ['get', 'list', 'watch', 'create', 'update', 'patch'],
  '/secrets': ['get', 'create'],
  '/configmaps': ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  'policy/poddisruptionbudgets': ['get', 'list', 'watch', 'create', 'update', 'patch'],
  '/pods': ['get', 'list', 'watch', 'delete'],
  '/persistentvolumeclaims': ['get', 'list', 'watch', 'delete'],
  '/events': ['create', 'patch'],
  'events.k8s.io/events': ['create', 'patch'],
};
const MONITORING_PERMISSIONS: Record<string, string[]> = {
  'monitoring.coreos.com/servicemonitors': ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  'monitoring.coreos.com/prometheusrules': ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
};

function permissions(rules: Rule[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = `${group}/${resource}`;
        out[key] = [...new Set([...(out[key] ?? []), ...rule.verbs])];
      }
    }
  }
  return out;
}

describe('helm lint', () => {
  it.each(valuesFiles)('passes with ci/%s', (file) => {
    const result = run(['lint', '.', '--strict', '--namespace', NAMESPACE, '-f', join('ci', file)]);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it.each([
    ['an unknown rbac scope', ['--set', 'rbac.scope=global']],
    ['an unknown value key', ['--set', 'operator.replica=2']],
    ['a cluster spec without a version', ['--set', 'cluster.spec.version=null']],
  ])('refuses %s', (_name, args) => {
    const result = run(['template', 'rel', '.', ...args]);
    expect(result.code).not.toBe(0);
  });
});

describe('helm template: defaults (cluster-wide operator)', () => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = render(['-f', 'ci/default-values.yaml']);
  });

  it('renders exactly the operator, its RBAC, its metrics Service and the CRD', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/rel-strata-operator',
        'ClusterRoleBinding/rel-strata-operator',
        'CustomResourceDefinition/strataclusters.strata.io',
        'Deployment/rel-strata-operator',
        'Role/rel-strata-operator-leader-election',
        'RoleBinding/rel-strata-operator-leader-election',
        'Service/rel-strata-operator-metrics',
        'ServiceAccount/rel-strata-operator',
      ].sort(),
    );
    for (const o of objects.filter((x) => !x.kind.startsWith('Cluster') && x.kind !== 'CustomResourceDefinition')) {
      expect(o.metadata.namespace, `${o.kind}`).toBe(NAMESPACE);
    }
  });

  it('the ClusterRole grants exactly what the operator needs, no wildcard', () => {
    const role = one(objects, 'ClusterRole');
    const rules = role.rules as Rule[];
    expect(permissions(rules)).toEqual({ ...OPERATOR_PERMISSIONS, ...MONITORING_PERMISSIONS });
    expect(JSON.stringify(rules)).not.toContain('*');
    const binding = one(objects, 'ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rel-strata-operator', namespace: NAMESPACE }]);
  });

  it('leases only in the release namespace', () => {
    const role = one(objects, 'Role', 'rel-strata-operator-leader-election');
    expect(role.metadata.namespace).toBe(NAMESPACE);
    expect(permissions(role.rules as Rule[])).toEqual({ 'coordination.k8s.io/leases': ['get', 'list', 'watch', 'create', 'update', 'patch'] });
  });

  it('the operator Deployment: documented image, all namespaces, ports, probes, non-root', () => {
    const deployment = one(objects, 'Deployment');
    const c = container(deployment);
    expect(c.image).toBe('ghcr.io/strata/strata-operator:0.1.0');
    expect(env(deployment, 'WATCH_NAMESPACE')?.value).toBe('');
    expect(env(deployment, 'LEADER_ELECT')?.value).toBe('true');
    expect((c as unknown as { args: string[] }).args).toEqual(['--health-port=8081', '--metrics-port=8080']);
    expect(env(deployment, 'POD_NAMESPACE')).toBeDefined();
    expect(c.ports.map((p) => [p.name, p.containerPort])).toEqual([
      ['metrics', 8080],
      ['health', 8081],
    ]);
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'health' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'health' } });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const pod = (deployment.spec as { template: { spec: { securityContext: Record<string, unknown>; serviceAccountName: string } } }).template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(pod.serviceAccountName).toBe('rel-strata-operator');
  });

  it('operator pods are not selected as Strata nodes', () => {
    const deployment = one(objects, 'Deployment');
    const labels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    expect(labels['app.kubernetes.io/name']).toBe('strata-operator');
    const service = one(objects, 'Service', 'rel-strata-operator-metrics');
    expect((service.spec as { selector: Record<string, string> }).selector).toEqual({
      'app.kubernetes.io/name': 'strata-operator',
      'app.kubernetes.io/instance': 'rel',
    });
  });

  it('the CRD is crds/ unchanged, plus the keep policy and chart labels', () => {
    const rendered = one(objects, 'CustomResourceDefinition');
    const source = load(readRepo('crds/strata.io_strataclusters.yaml')) as K8sObject;
    expect(rendered.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(rendered.metadata.labels).toMatchObject({ ...source.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm' });
    const strip = (o: K8sObject) => ({ ...o, metadata: { name: o.metadata.name } });
    expect(strip(rendered)).toEqual(strip(source));
  });

  it('no StrataCluster and no monitoring objects unless asked', () => {
    expect(find(objects, 'StrataCluster')).toEqual([]);
    expect(find(objects, 'ServiceMonitor')).toEqual([]);
    expect(find(objects, 'PrometheusRule')).toEqual([]);
    expect(find(objects, 'ConfigMap')).toEqual([]);
  });
});

describe('helm template: namespace scope', () => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = render(['-f', 'ci/namespace-scope-values.yaml']);
  });

  it('uses a Role and RoleBinding in the release namespace, nothing cluster-wide', () => {
    expect(find(objects, 'ClusterRole')).toEqual([]);
    expect(find(objects, 'ClusterRoleBinding')).toEqual([]);
    expect(find(objects, 'CustomResourceDefinition')).toEqual([]);
    const role = one(objects, 'Role', 'rel-strata-operator');
    expect(role.metadata.namespace).toBe(NAMESPACE);
    expect(permissions(role.rules as Rule[])).toEqual(OPERATOR_PERMISSIONS);
    const binding = one(objects, 'RoleBinding', 'rel-strata-operator');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'rel-strata-operator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'strata-operator', namespace: NAMESPACE }]);
  });

  it('watches only the release namespace, with the given image and ServiceAccount', () => {
    const deployment = one(objects, 'Deployment');
    expect(env(deployment, 'WATCH_NAMESPACE')?.value).toBe(NAMESPACE);
    expect(env(deployment, 'LEADER_ELECT')?.value).toBe('false');
    expect(container(deployment).image).toBe('registry.example.com/strata/strata-operator:0.1.0-dev');
    expect(find(objects, 'ServiceAccount')).toEqual([]);
    expect(find(objects, 'Role', 'rel-strata-operator-leader-election')).toEqual([]);
  });
});

describe('helm template: cluster and monitoring', () => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = render(['-f', 'ci/full-values.yaml', '--api-versions', 'strata.io/v1alpha1/StrataCluster']);
  });

  it('renders the StrataCluster from values, kept on uninstall', () => {
    const values = load(readFileSync(join(chartDir, 'ci', 'full-values.yaml'), 'utf8')) as { cluster: { spec: unknown } };
    const cluster = one(objects, 'StrataCluster', 'prod');
    expect(cluster.apiVersion).toBe('strata.io/v1alpha1');
    expect(cluster.metadata.namespace).toBe(NAMESPACE);
    expect(cluster.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(cluster.spec).toEqual(values.cluster.spec);
  });

  it('every field of the example cluster exists in the CRD schema', () => {
    const crd = load(readRepo('crds/strata.io_strataclusters.yaml')) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: unknown } } } }[] };
    };
    type S = { properties?: Record<string, S> };
    const unknown: string[] = [];
    const check = (value: unknown, schema: S, path: string): void => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      for (const [key, child] of Object.entries(value)) {
        const sub = schema.properties?.[key];
        if (sub === undefined) unknown.push(`${path}.${key}`);
        else check(child, sub, `${path}.${key}`);
      }
    };
    check(one(objects, 'StrataCluster').spec, crd.spec.versions[0].schema.openAPIV3Schema.properties.spec as S, 'spec');
    expect(unknown).toEqual([]);
  });

  it('leaves the StrataCluster out while its CRD is unknown (first install)', () => {
    expect(find(render(['-f', 'ci/full-values.yaml']), 'StrataCluster')).toEqual([]);
  });

  it('ServiceMonitors: Strata nodes on port admin with job="strata", and the operator', () => {
    const nodes = one(objects, 'ServiceMonitor', 'rel-strata-nodes');
    expect(nodes.metadata.labels?.release).toBe('prometheus');
    const spec = nodes.spec as { selector: unknown; namespaceSelector: unknown; endpoints: { port: string; path: string; relabelings: unknown[] }[] };
    expect(spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'strata', 'app.kubernetes.io/managed-by': 'strata-operator' } });
    expect(spec.namespaceSelector).toEqual({ matchNames: ['storage', 'storage-2'] });
    expect(spec.endpoints[0]).toMatchObject({ port: 'admin', path: '/metrics' });
    expect(spec.endpoints[0].relabelings).toContainEqual({ targetLabel: 'job', replacement: 'strata' });
    const operator = one(objects, 'ServiceMonitor', 'rel-strata-operator');
    expect((operator.spec as { endpoints: { port: string }[] }).endpoints[0].port).toBe('metrics');
  });

  it('the PrometheusRule carries the guide alerts of monitoring/prometheus/strata-alerts.yaml', () => {
    const rule = one(objects, 'PrometheusRule');
    const source = load(readRepo('monitoring/prometheus/strata-alerts.yaml'));
    expect(rule.spec).toEqual(source);
    const alerts = (rule.spec as { groups: { rules: { alert: string; annotations: { summary: string } }[] }[] }).groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert)).toEqual(['StrataNodeDown', 'StrataNoLeader', 'StrataStorageHigh', 'StrataHighLatency', 'StrataRecoveryInProgress']);
    // Prometheus templates pass through helm untouched.
    expect(alerts[0].annotations.summary).toContain('{{ $labels.instance }}');
  });

  it('the dashboard ConfigMap holds monitoring/grafana/strata-dashboard.json', () => {
    const map = one(objects, 'ConfigMap', 'rel-strata-dashboard');
    expect(map.metadata.labels?.grafana_dashboard).toBe('1');
    const data = map.data as Record<string, string>;
    expect(JSON.parse(data['strata-dashboard.json'])).toEqual(JSON.parse(readRepo('monitoring/grafana/strata-dashboard.json')));
  });
});

describe('files/ copies are in sync with their sources', () => {
  const pairs: [string, string][] = [
    ...readdirSync(join(repoRoot, 'crds'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f): [string, string] => [`crds/${f}`, `charts/strata/files/crds/${f}`]),
    ['monitoring/prometheus/strata-alerts.yaml', 'charts/strata/files/monitoring/strata-alerts.yaml'],
    ['monitoring/grafana/strata-dashboard.json', 'charts/strata/files/monitoring/strata-dashboard.json'],
  ];

  it.each(pairs)('%s = %s', (source, copy) => {
    expect(existsSync(join(repoRoot, copy)), copy).toBe(true);
    expect(readRepo(copy)).toBe(readRepo(source));
  });

  it('scripts/sync-chart-crds.sh --check agrees', () => {
    const result = spawnSync(join(repoRoot, 'scripts', 'sync-chart-crds.sh'), ['--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('images/ Dockerfiles agree with the chart and the API (read, not built: no Docker engine here)', () => {
  const dockerfiles = ['images/node.Dockerfile', 'images/operator.Dockerfile'];

  it.each(dockerfiles)('%s: multi-stage on node:20-bookworm-slim, non-root 10001 as the chart runs it', (file) => {
    const text = readRepo(file);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(text.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    expect(text).toMatch(/npm ci --engine-strict/);
    expect(text).toMatch(/npm prune --omit=dev/);
    const values = load(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { operator: { podSecurityContext: { runAsUser: number } } };
    const users = [...text.matchAll(/^USER (\d+):(\d+)$/gm)];
    expect(users).toHaveLength(1);
    expect(Number(users[0][1])).toBe(values.operator.podSecurityContext.runAsUser);
    // The last instruction of the runtime stage runs as that user; nothing after it switches back.
    expect(text.slice(text.lastIndexOf('USER ')).match(/^USER /gm)).toHaveLength(1);
  });

  it.each(dockerfiles)('%s: every COPY from the context exists and passes its .dockerignore', (file) => {
    const text = readRepo(file);
    const ignore = readRepo(`${file}.dockerignore`)
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1));
    const sources = [...text.matchAll(/^COPY (?!--from)(?:--chmod=\S+ )?(.+) \S+$/gm)].flatMap((m) => m[1].split(' '));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
      expect(ignore.some((allowed) => source === allowed || source.startsWith(`${allowed}/`)), source).toBe(true);
    }
  });

  it('the documented repositories are the ones the chart and the API use', async () => {
    const readme = readRepo('images/README.md');
    const { DEFAULT_IMAGE_REPOSITORY } = await import('../../operator/src/api/defaults.js');
    const values = load(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { operator: { image: { repository: string } } };
    const chart = load(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(readRepo('package.json')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
    expect(readme).toContain(`${DEFAULT_IMAGE_REPOSITORY}:${pkg.version}`);
    expect(readme).toContain(`${values.operator.image.repository}:${pkg.version}`);
    expect(readRepo('images/node.Dockerfile')).toContain(`-t ${DEFAULT_IMAGE_REPOSITORY}:${pkg.version}`);
    expect(readRepo('images/operator.Dockerfile')).toContain(`-t ${values.operator.image.repository}:${pkg.version}`);
  });
});
