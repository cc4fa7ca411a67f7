// The cluster DNS names, as hosts-file lines (pure): what CoreDNS would answer for a pod in `namespace`.
// Headless Services: <pod-hostname>.<svc>.<ns>.svc(.cluster.local) for each selected pod with that subdomain,
// and the Service name itself -> those pods (ready ones, or all with publishNotReadyAddresses). Other Services:
// <svc>, <svc>.<ns>, <svc>.<ns>.svc(.cluster.local) -> the ClusterIP (the short name only in its namespace).
import type { KubeObject } from './kube-api.js';

export const CLUSTER_DOMAIN = 'cluster.local';

export interface HostsInput {
  pods: KubeObject[];
  services: KubeObject[];
  /** ns/name -> IP of pods whose IP the agent knows before the status reports it. */
  podIps: Map<string, string>;
}

export interface HostsSelf {
  ip: string;
  /** The pod's hostname (spec.hostname or its name). */
  hostname: string;
  /** <hostname>.<subdomain>.<ns>.svc.cluster.local when the pod has a subdomain. */
  fqdn?: string;
}

function podIp(input: HostsInput, pod: KubeObject): string | undefined {
  return input.podIps.get(`${pod.metadata.namespace}/${pod.metadata.name}`) ?? pod.status?.podIP;
}

function isReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
}

function selects(service: KubeObject, pod: KubeObject): boolean {
  const selector = (service.spec?.selector ?? {}) as Record<string, string>;
  const keys = Object.keys(selector);
  if (keys.length === 0 || pod.metadata.namespace !== service.metadata.namespace) return false;
  return keys.every((k) => pod.metadata.labels?.[k] === selector[k]);
}

function names(service: KubeObject, namespace: string, ...prefix: string[]): string[] {
  const base = [...prefix, service.metadata.name, service.metadata.namespace].join('.');
  return [`${base}.svc.${CLUSTER_DOMAIN}`, `${base}.svc`];
}

export function hostsFile(input: HostsInput, namespace: string, self?: HostsSelf): string {
  const lines = ['# written by the strata e2e node agent (the cluster DNS of this pod)', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  if (self) lines.push(`${self.ip}\t${[self.fqdn, self.hostname].filter(Boolean).join(' ')}`);
  const services = [...input.services].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  const pods = [...input.pods].filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const service of services) {
    const clusterIp = service.spec?.clusterIP as string | undefined;
    const sameNs = service.metadata.namespace === namespace;
    const short = sameNs ? [service.metadata.name, `${service.metadata.name}.${service.metadata.namespace}`] : [`${service.metadata.name}.${service.metadata.namespace}`];
    if (service.spec?.type === 'ExternalName') continue;
    if (clusterIp && clusterIp !== 'None') {
      lines.push(`${clusterIp}\t${[...names(service, namespace), ...short].join(' ')}`);
      continue;
    }
    const publishNotReady = service.spec?.publishNotReadyAddresses === true;
    for (const pod of pods) {
      const address = podIp(input, pod);
      if (!address || !selects(service, pod) || !(publishNotReady || isReady(pod))) continue;
      lines.push(`${address}\t${[...names(service, namespace), ...short].join(' ')}`);
      const hostname = pod.spec?.hostname as string | undefined;
      if (hostname && pod.spec?.subdomain === service.metadata.name) {
        lines.push(`${address}\t${names(service, namespace, hostname).join(' ')}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A resolver that never leaves the node: the hosts file answers, DNS goes to a closed loopback port. */
export function resolvConf(namespace: string): string {
  return [
    '# written by the strata e2e node agent: names resolve from /etc/hosts; nothing leaves the pod network',
    'nameserver 127.0.0.1',
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}`,
    'options ndots:1 timeout:1 attempts:1',
    '',
  ].join('\n');
}
