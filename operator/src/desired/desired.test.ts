import { describe, expect, it } from 'vitest';
import { resolveStrataClusterSpec } from '../api/defaults.js';
import type { StrataCluster, StrataClusterSpec } from '../api/strata-cluster.js';
import { strataToml, buildConfigMap } from './config-map.js';
import { buildCredentialsSecret, credentialsToml } from './credentials-secret.js';
import { desiredChildren } from './desired-children.js';
import { maxUnavailable } from './disruption-budget.js';
import { buildHeadlessService, buildS3Service } from './services.js';
import { CONFIG_HASH_ANNOTATION, buildStatefulSet, startCommand } from './statefulset.js';

function cluster(spec: Partial<StrataClusterSpec> = {}): StrataCluster {
  return { apiVersion: 'strata.io/v1alpha1', kind: 'StrataCluster', metadata: { name: 'demo', namespace: 'store', uid: 'u-1' }, spec: { version: '1.2.3', ...spec } };
}
const resolved = (c: StrataCluster) => resolveStrataClusterSpec(c.spec);

type Sts = {
  metadata: { annotations?: Record<string, string>; ownerReferences: unknown[] };
  spec: {
    replicas: number;
    podManagementPolicy: string;
    updateStrategy: { type: string };
    serviceName: string;
    template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: any[]; volumes: any[] } };
    volumeClaimTemplates: any[];
  };
};

describe('StatefulSet', () => {
  const c = cluster({ storage: { size: '50Gi', storageClassName: 'fast' } });
  const sts = buildStatefulSet(c, resolved(c), { replicas: 3 }) as unknown as Sts;
  const container = sts.spec.template.spec.containers[0];

  it('lets the operator order restarts and starts pods in parallel', () => {
    expect(sts.spec.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.serviceName).toBe('demo-nodes');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.metadata.ownerReferences).toEqual([{ apiVersion: 'strata.io/v1alpha1', kind: 'StrataCluster', name: 'demo', uid: 'u-1', controller: true, blockOwnerDeletion: true }]);
  });

  it('runs strata-server with the node id from the ordinal, the advertised pod DNS name and --join to pod 0', () => {
    expect(container.image).toBe('ghcr.io/strata/strata-server:1.2.3');
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c']);
    const line = startCommand(c);
    expect(line).toContain('--config /etc/strata/strata.toml');
    expect(line).toContain('--node-id "$((ORDINAL + 1))"');
    expect(line).toContain('--bind-address 0.0.0.0');
    expect(line).toContain('--advertise-address "$HOSTNAME.demo-nodes.store.svc"');
    expect(line).toContain('JOIN="--join demo-0.demo-nodes.store.svc:9000"');
    expect(line).toContain('if [ "$ORDINAL" != "0" ]');
    // Pod 0 joins through pod 1 once the cluster exists (it never bootstraps a second cluster).
    expect(line).toContain('[ "$(cat /etc/strata/bootstrap 2>/dev/null)" = "forbidden" ]; then JOIN="--join demo-1.demo-nodes.store.svc:9000"');
  });

  it('has the guide probes on 9090 and the three ports', () => {
    expect(container.livenessProbe).toEqual({ httpGet: { path: '/health/live', port: 9090 }, initialDelaySeconds: 10, periodSeconds: 10 });
    expect(container.readinessProbe).toEqual({ httpGet: { path: '/health/ready', port: 9090 }, initialDelaySeconds: 5, periodSeconds: 5 });
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([9000, 9090, 9080]);
  });

  it('claims storage per spec.storage', () => {
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } }, storageClassName: 'fast' });
  });

  it('mounts the backup claim only when backups are configured', () => {
    expect(sts.spec.template.spec.volumes.map((v: { name: string }) => v.name)).toEqual(['config', 'credentials']);
    const b = cluster({ backup: { schedule: '0 2 * * *', destination: { claimName: 'bk' } } });
    const withBackup = buildStatefulSet(b, resolved(b), { replicas: 3 }) as unknown as Sts;
    expect(withBackup.spec.template.spec.volumes.at(-1)).toEqual({ name: 'backup', persistentVolumeClaim: { claimName: 'bk' } });
  });

  it('changes its pod template when the config changes (so the operator rolls the pods)', () => {
    const other = cluster({ config: { data: { cache_size: '1GiB' } } });
    const hashA = sts.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    const hashB = (buildStatefulSet(other, resolved(other), { replicas: 3 }) as unknown as Sts).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    expect(hashA).toMatch(/^[0-9a-f]{8}$/);
    expect(hashB).not.toBe(hashA);
  });

  it('uses the user credentials Secret when given', () => {
    const u = cluster({ s3: { credentialsSecret: 'mine' } });
    const s = buildStatefulSet(u, resolved(u), { replicas: 1 }) as unknown as Sts;
    expect(s.spec.template.spec.volumes[1]).toMatchObject({ secret: { secretName: 'mine' } });
    expect(sts.spec.template.spec.volumes[1]).toMatchObject({ secret: { secretName: 'demo-credentials' } });
  });
});

describe('strata.toml', () => {
  it('writes the pod paths, erasure from spec.erasure, credentials file and overrides', () => {
    const c = cluster({ erasure: { dataShards: 4, parityShards: 2 }, config: { log_level: 'debug', metadata: { voters: 3, heartbeat_interval: '30ms' }, storage: { sync_writes: false } } });
    const toml = strataToml(resolved(c));
    expect(toml).toBe(
      [
        'log_level = "debug"',
        '',
        '[node]',
        'data_dir = "/var/lib/strata"',
        'cluster_port = 9000',
        'admin_port = 9090',
        's3_port = 9080',
        '',
        '[data]',
        'erasure_data_shards = 4',
        'erasure_parity_shards = 2',
        '',
        '[metadata]',
        'voters = 3',
        'heartbeat_interval = "30ms"',
        '',
        '[storage]',
        'sync_writes = false',
        '',
        '[s3]',
        'credentials_file = "/etc/strata-credentials/credentials.toml"',
        '',
      ].join('\n'),
    );
    expect(buildConfigMap(c, resolved(c)).data).toEqual({ 'strata.toml': toml, bootstrap: 'allowed' });
    expect(buildConfigMap(c, resolved(c), 'forbidden').data).toEqual({ 'strata.toml': toml, bootstrap: 'forbidden' });
  });

  it('points [backup] at the mounted claim with the spec retention, scheduler off', () => {
    const c = cluster({ backup: { schedule: '0 2 * * *', retentionDays: 7, destination: { claimName: 'bk', path: '/nightly/' } } });
    expect(strataToml(resolved(c))).toContain('[backup]\nenabled = false\nretention_days = 7\ndestination = "/var/lib/strata-backup/nightly"\n');
  });
});

describe('credentials Secret', () => {
  it('holds the keys and a credentials.toml the nodes can read', () => {
    const s = buildCredentialsSecret(cluster(), { accessKeyId: 'AK1', secretAccessKey: 's"1' });
    expect(s.metadata.name).toBe('demo-credentials');
    expect(s.stringData).toEqual({ access_key_id: 'AK1', secret_access_key: 's"1', 'credentials.toml': credentialsToml({ accessKeyId: 'AK1', secretAccessKey: 's"1' }) });
    expect(credentialsToml({ accessKeyId: 'AK1', secretAccessKey: 's"1' })).toBe('[[credentials]]\naccess_key_id = "AK1"\nsecret_access_key = "s\\"1"\n');
  });
});

describe('Services', () => {
  it('headless Service publishes not-ready pods on 9000 and 9090', () => {
    expect(buildHeadlessService(cluster()).spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ port: 9000 }, { port: 9090 }] });
  });
  it('client Service follows spec.s3', () => {
    const c = cluster({ s3: { port: 9443, serviceType: 'LoadBalancer' } });
    expect(buildS3Service(c, resolved(c)).spec).toMatchObject({ type: 'LoadBalancer', ports: [{ name: 's3', port: 9443, targetPort: 9443 }] });
  });
});

describe('PodDisruptionBudget maxUnavailable keeps Raft quorum and erasure parity', () => {
  it.each([
    { nodes: 1, parity: 0, voters: undefined, want: 0 },
    { nodes: 2, parity: 1, voters: undefined, want: 0 },
    { nodes: 3, parity: 1, voters: undefined, want: 1 },
    { nodes: 5, parity: 2, voters: undefined, want: 2 },
    { nodes: 5, parity: 1, voters: undefined, want: 1 },
    { nodes: 9, parity: 4, voters: undefined, want: 2 },
    { nodes: 9, parity: 4, voters: 7, want: 3 },
    { nodes: 9, parity: 4, voters: 3, want: 1 },
  ] as const)('nodes $nodes, parity $parity, voters $voters -> $want', ({ nodes, parity, voters, want }) => {
    const c = cluster({ nodes, erasure: { dataShards: 1, parityShards: parity }, ...(voters === undefined ? {} : { config: { metadata: { voters } } }) });
    expect(maxUnavailable(resolved(c))).toBe(want);
  });
});

describe('desiredChildren', () => {
  it('adds ServiceMonitor and PrometheusRule only when asked and their CRDs are served', () => {
    const c = cluster({ monitoring: { serviceMonitor: true, prometheusRule: true } });
    const kinds = (served: boolean) => desiredChildren(c, resolved(c), { replicas: 3, serviceMonitorServed: served, prometheusRuleServed: served, bootstrap: 'allowed' }).map((o) => o.kind);
    expect(kinds(false)).toEqual(['ConfigMap', 'Service', 'Service', 'PodDisruptionBudget', 'StatefulSet']);
    expect(kinds(true)).toEqual(['ConfigMap', 'Service', 'Service', 'PodDisruptionBudget', 'StatefulSet', 'ServiceMonitor', 'PrometheusRule']);
    const plain = cluster();
    expect(desiredChildren(plain, resolved(plain), { replicas: 3, serviceMonitorServed: true, prometheusRuleServed: true, bootstrap: 'allowed' }).map((o) => o.kind)).not.toContain('ServiceMonitor');
  });

  it('PrometheusRule carries the guide alerts', () => {
    const c = cluster({ monitoring: { prometheusRule: true } });
    const rule = desiredChildren(c, resolved(c), { replicas: 3, serviceMonitorServed: false, prometheusRuleServed: true, bootstrap: 'allowed' }).at(-1)!;
    const alerts = (rule.spec as { groups: { rules: { alert: string }[] }[] }).groups[0].rules.map((r) => r.alert);
    expect(alerts).toEqual(['StrataNodeDown', 'StrataNoLeader', 'StrataStorageHigh', 'StrataHighLatency', 'StrataRecoveryInProgress']);
  });
});
