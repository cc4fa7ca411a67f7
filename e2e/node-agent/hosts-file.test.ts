// The cluster DNS names the agent writes into each pod's hosts file (pure; no cluster needed).
import { describe, expect, it } from 'vitest';
import { hostsFile, resolvConf } from './hosts-file.js';
import type { KubeObject } from './kube-api.js';

const pod = (name: string, ready: boolean, extra: Partial<KubeObject['spec']> = {}, ip?: string): KubeObject => ({
  metadata: { name, namespace: 'ns', labels: { app: 'web' } },
  spec: { hostname: name, subdomain: 'web', ...extra },
  status: { podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const headless = (publishNotReady: boolean): KubeObject => ({
  metadata: { name: 'web', namespace: 'ns' },
  spec: { clusterIP: 'None', selector: { app: 'web' }, publishNotReadyAddresses: publishNotReady },
});
const clusterIp: KubeObject = { metadata: { name: 'web-lb', namespace: 'ns' }, spec: { clusterIP: '10.96.0.9', selector: { app: 'web' } } };

describe('hostsFile', () => {
  it('names each pod of a headless Service and the Service itself, with the agent-known IPs first', () => {
    const text = hostsFile(
      { pods: [pod('web-0', true, {}, '10.1.0.2'), pod('web-1', false, {}, undefined)], services: [headless(true)], podIps: new Map([['ns/web-1', '10.1.0.3']]) },
      'ns',
    );
    expect(text).toContain('10.1.0.2\tweb-0.web.ns.svc.cluster.local web-0.web.ns.svc\n');
    expect(text).toContain('10.1.0.3\tweb-1.web.ns.svc.cluster.local web-1.web.ns.svc\n');
    expect(text).toContain('10.1.0.2\tweb.ns.svc.cluster.local web.ns.svc web web.ns\n');
  });

  it('leaves out not-ready pods unless the Service publishes them, and pods being deleted', () => {
    const deleting = pod('web-2', true, {}, '10.1.0.4');
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const text = hostsFile({ pods: [pod('web-0', true, {}, '10.1.0.2'), pod('web-1', false, {}, '10.1.0.3'), deleting], services: [headless(false)], podIps: new Map() }, 'ns');
    expect(text).toContain('web-0.web.ns.svc');
    expect(text).not.toContain('web-1');
    expect(text).not.toContain('web-2');
  });

  it('maps a ClusterIP Service by all its names, the short one only in its own namespace', () => {
    const same = hostsFile({ pods: [], services: [clusterIp], podIps: new Map() }, 'ns');
    expect(same).toContain('10.96.0.9\tweb-lb.ns.svc.cluster.local web-lb.ns.svc web-lb web-lb.ns\n');
    const other = hostsFile({ pods: [], services: [clusterIp], podIps: new Map() }, 'other');
    expect(other).toContain('10.96.0.9\tweb-lb.ns.svc.cluster.local web-lb.ns.svc web-lb.ns\n');
  });

  it('puts the pod itself first and never reaches outside for DNS', () => {
    const text = hostsFile({ pods: [], services: [], podIps: new Map() }, 'ns', { ip: '10.1.0.2', hostname: 'web-0', fqdn: 'web-0.web.ns.svc.cluster.local' });
    expect(text.split('\n')[3]).toBe('10.1.0.2\tweb-0.web.ns.svc.cluster.local web-0');
    expect(resolvConf('ns')).toContain('nameserver 127.0.0.1');
    expect(resolvConf('ns')).toContain('search ns.svc.cluster.local svc.cluster.local cluster.local');
  });
});
