import { describe, expect, it } from 'vitest';
import { defaultImage, resolveStrataClusterSpec, SPEC_DEFAULTS } from './defaults.js';
import type { StrataClusterSpec } from './strata-cluster.js';

describe('resolveStrataClusterSpec', () => {
  it('fills every default into a minimal spec', () => {
    expect(resolveStrataClusterSpec({ version: '0.1.0' })).toEqual({
      image: 'ghcr.io/strata/strata-server:0.1.0',
      version: '0.1.0',
      nodes: 3,
      storage: { size: '10Gi', deleteClaimsOnScaleIn: false },
      erasure: { dataShards: 2, parityShards: 1 },
      tolerations: [],
      topologySpreadConstraints: [],
      config: {},
      s3: { port: 9080, serviceType: 'ClusterIP' },
      drain: [],
      upgrade: { strategy: 'RollingUpdate', rebalanceOnScaleOut: true, gateTimeout: '30m' },
      monitoring: { serviceMonitor: false, prometheusRule: false, dashboard: false },
      paused: false,
    });
  });

  const cases: { name: string; spec: StrataClusterSpec; path: (r: ReturnType<typeof resolveStrataClusterSpec>) => unknown; want: unknown }[] = [
    { name: 'explicit image wins over the version', spec: { version: '0.2.0', image: 'reg/x:dev' }, path: (r) => r.image, want: 'reg/x:dev' },
    { name: 'empty image falls back to the default', spec: { version: '0.2.0', image: '' }, path: (r) => r.image, want: defaultImage('0.2.0') },
    { name: 'nodes kept', spec: { version: 'v', nodes: 7 }, path: (r) => r.nodes, want: 7 },
    { name: 'partial storage keeps size default', spec: { version: 'v', storage: { storageClassName: 'fast' } }, path: (r) => r.storage, want: { size: '10Gi', storageClassName: 'fast', deleteClaimsOnScaleIn: false } },
    { name: 'deleteClaimsOnScaleIn only when asked', spec: { version: 'v', storage: { deleteClaimsOnScaleIn: true } }, path: (r) => r.storage.deleteClaimsOnScaleIn, want: true },
    { name: 'partial erasure', spec: { version: 'v', erasure: { dataShards: 4 } }, path: (r) => r.erasure, want: { dataShards: 4, parityShards: 1 } },
    { name: 'parity 0 is kept, not defaulted', spec: { version: 'v', nodes: 1, erasure: { dataShards: 1, parityShards: 0 } }, path: (r) => r.erasure, want: { dataShards: 1, parityShards: 0 } },
    { name: 'drain sorted numerically, de-duplicated', spec: { version: 'v', drain: ['node-10', 'node-2', 'node-10', 'node-9'] }, path: (r) => r.drain, want: ['node-2', 'node-9', 'node-10'] },
    { name: 's3 secret kept', spec: { version: 'v', s3: { credentialsSecret: 'mine', serviceType: 'LoadBalancer' } }, path: (r) => r.s3, want: { port: 9080, serviceType: 'LoadBalancer', credentialsSecret: 'mine' } },
    { name: 'backup defaults', spec: { version: 'v', backup: { schedule: '0 2 * * *', destination: { claimName: 'bk' } } }, path: (r) => r.backup, want: { schedule: '0 2 * * *', retentionDays: 30, destination: { claimName: 'bk', path: '/backup' } } },
    { name: 'no backup stays absent', spec: { version: 'v' }, path: (r) => 'backup' in r, want: false },
    { name: 'upgrade strategy OnDelete', spec: { version: 'v', upgrade: { strategy: 'OnDelete' } }, path: (r) => r.upgrade, want: { strategy: 'OnDelete', rebalanceOnScaleOut: true, gateTimeout: '30m' } },
    { name: 'rebalanceOnScaleOut false kept', spec: { version: 'v', upgrade: { rebalanceOnScaleOut: false } }, path: (r) => r.upgrade.rebalanceOnScaleOut, want: false },
    { name: 'monitoring partial', spec: { version: 'v', monitoring: { prometheusRule: true } }, path: (r) => r.monitoring, want: { serviceMonitor: false, prometheusRule: true, dashboard: false } },
    { name: 'paused', spec: { version: 'v', paused: true }, path: (r) => r.paused, want: true },
    { name: 'rebalanceRequest kept', spec: { version: 'v', rebalanceRequest: '2026-11-27T10:00:00Z' }, path: (r) => r.rebalanceRequest, want: '2026-11-27T10:00:00Z' },
    { name: 'config passed through', spec: { version: 'v', config: { scrub: { enabled: false } } }, path: (r) => r.config, want: { scrub: { enabled: false } } },
    { name: 'resources passed through', spec: { version: 'v', resources: { requests: { cpu: '1' } } }, path: (r) => r.resources, want: { requests: { cpu: '1' } } },
  ];
  it.each(cases)('$name', ({ spec, path, want }) => {
    expect(path(resolveStrataClusterSpec(spec))).toEqual(want);
  });

  it('does not mutate its input', () => {
    const spec: StrataClusterSpec = { version: 'v', drain: ['node-3', 'node-1'] };
    resolveStrataClusterSpec(spec);
    expect(spec).toEqual({ version: 'v', drain: ['node-3', 'node-1'] });
  });

  it('is idempotent: resolving a resolved spec changes nothing', () => {
    const once = resolveStrataClusterSpec({ version: 'v', nodes: 5, drain: ['node-5'], backup: { schedule: '0 * * * *', destination: { claimName: 'c' } } });
    expect(resolveStrataClusterSpec(once)).toEqual(once);
  });

  it('default erasure layout fits the default node count', () => {
    expect(SPEC_DEFAULTS['erasure.dataShards'] + SPEC_DEFAULTS['erasure.parityShards']).toBeLessThanOrEqual(SPEC_DEFAULTS.nodes);
  });
});
