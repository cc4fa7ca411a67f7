import { describe, expect, it } from 'vitest';
import { parseOperatorFlags } from './operator-flags.js';

describe('parseOperatorFlags', () => {
  it('defaults: all namespaces, leader election on, ports 8081/8080', () => {
    expect(parseOperatorFlags([], {}, 'host', 'abc')).toEqual({
      leaderElect: true,
      leaseNamespace: 'default',
      leaseName: 'strata-operator',
      identity: 'host-abc',
      bindAddress: '0.0.0.0',
      healthPort: 8081,
      metricsPort: 8080,
      workers: 2,
      resyncMs: 300_000,
      logLevel: 'info',
      help: false,
    });
  });

  it('reads the environment, and flags win over it', () => {
    const env = { WATCH_NAMESPACE: 'store', LEADER_ELECT: 'false', POD_NAMESPACE: 'ops', POD_NAME: 'op-1', KUBECONFIG: '/k' };
    const f = parseOperatorFlags(['--namespace', 'other', '--resync', '2m', '--log-level', 'debug'], env, 'host', 'x');
    expect(f).toMatchObject({ namespace: 'other', leaderElect: false, leaseNamespace: 'ops', identity: 'op-1-x', resyncMs: 120_000, logLevel: 'debug' });
    expect(f.kubeconfig).toBeUndefined(); // KUBECONFIG is client-node's to read
    expect(parseOperatorFlags(['--kubeconfig', '/tmp/kc'], {}, 'h', 's').kubeconfig).toBe('/tmp/kc');
  });

  it('reads the environment the chart sets', () => {
    const env = { LEADER_ELECTION: 'false', HEALTH_PORT: '9801', METRICS_PORT: '9800', LOG_LEVEL: 'warn' };
    expect(parseOperatorFlags([], env, 'h', 's')).toMatchObject({ leaderElect: false, healthPort: 9801, metricsPort: 9800, logLevel: 'warn' });
  });

  it('an empty WATCH_NAMESPACE means all namespaces', () => {
    expect(parseOperatorFlags([], { WATCH_NAMESPACE: '' }, 'h', 's').namespace).toBeUndefined();
  });

  it.each([
    [['--leader-elect', 'maybe'], '--leader-elect'],
    [['--health-port', '99999'], '--health-port'],
    [['--workers', '0'], '--workers'],
    [['--resync', '5h'], '--resync'],
    [['--log-level', 'loud'], '--log-level'],
    [['--nope'], 'usage: strata-operator'],
  ])('refuses %j naming %s', (argv, named) => {
    expect(() => parseOperatorFlags(argv, {}, 'h', 's')).toThrow(named);
  });
});
