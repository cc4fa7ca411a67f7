// Command lines and $(VAR) expansion as kubelet does them (pure parts).
import { describe, expect, it } from 'vitest';
import { containerArgv, expand, imageCommand } from './container-env.js';
import { buildPv, pvName } from './pv-provisioner.js';
import { cidrContains, ipString, parseCidr } from './pod-network.js';

describe('container command', () => {
  it('expands $(VAR) when defined, keeps unknown references and unescapes $$', () => {
    expect(expand('a $(X) $(Y) $$(X)', { X: '1' })).toBe('a 1 $(Y) $(X)');
  });

  it("uses the image's entrypoint (default: the repository's name in binDir) when the container has no command", () => {
    expect(imageCommand('ghcr.io/strata/strata-operator:0.1.0', { binDir: '/b' })).toEqual(['/b/strata-operator']);
    expect(imageCommand('x/y@sha256:abc', { binDir: '/b', entrypoint: ['run'] })).toEqual(['run']);
    expect(containerArgv('r/op:1', { binDir: '/b' }, { args: ['--port=$(P)'] }, { P: '8' })).toEqual(['/b/op', '--port=8']);
    expect(containerArgv('r/op:1', { binDir: '/b' }, { command: ['sh', '-c'], args: ['echo'] }, {})).toEqual(['sh', '-c', 'echo']);
  });
});

describe('addresses and PVs', () => {
  it('parses CIDRs', () => {
    const cidr = parseCidr('10.89.0.0/24');
    expect(ipString(cidr.base + 1)).toBe('10.89.0.1');
    expect(cidrContains(parseCidr('10.96.0.0/16'), '10.96.3.4')).toBe(true);
    expect(cidrContains(parseCidr('10.96.0.0/16'), '10.97.0.1')).toBe(false);
  });

  it("provisions a Retain hostPath PV bound to exactly the claim, with its size and class", () => {
    const pv = buildPv({ metadata: { name: 'data-web-0', namespace: 'ns', uid: 'u1' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } } }, 'node', '/w/pv/ns-data-web-0');
    expect(pv.metadata.name).toBe('strata-e2e-ns-data-web-0');
    expect(pv.spec).toMatchObject({
      capacity: { storage: '5Gi' },
      storageClassName: 'fast',
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: '/w/pv/ns-data-web-0' },
      claimRef: { namespace: 'ns', name: 'data-web-0', uid: 'u1' },
    });
    expect(pvName('ns', 'x'.repeat(80)).length).toBeLessThanOrEqual(63);
  });
});
