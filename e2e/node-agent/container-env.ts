// A container's environment and command line as kubelet computes them: env (value with $(VAR) expansion,
// fieldRef, resourceFieldRef, secretKeyRef, configMapKeyRef), envFrom, service links, KUBERNETES_SERVICE_*,
// HOSTNAME and PATH with the image's binDir first; command = spec.command or the image's entrypoint, + args.
import { basename, join } from 'node:path';
import type { KubeApi, KubeObject } from './kube-api.js';
import { VolumeNotReady, podField } from './pod-volumes.js';

export interface ImageEntry {
  binDir: string;
  entrypoint?: string[];
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** $(NAME) -> env[NAME] when defined, $$( -> $( ; unknown references stay as written (kubelet's rule). */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name] : match;
  });
}

/** The image's default command: its entrypoint, or the binDir executable named like the repository. */
export function imageCommand(image: string, entry: ImageEntry): string[] {
  if (entry.entrypoint) return entry.entrypoint;
  const repo = basename(image.split('@')[0].replace(/:[^/:]*$/, ''));
  return [join(entry.binDir, repo)];
}

function serviceLinks(services: KubeObject[], namespace: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of services) {
    const ip = service.spec?.clusterIP as string | undefined;
    if (service.metadata.namespace !== namespace || !ip || ip === 'None') continue;
    const name = service.metadata.name.toUpperCase().replace(/-/g, '_');
    const ports = (service.spec?.ports ?? []) as { name?: string; port: number; protocol?: string }[];
    if (ports.length === 0) continue;
    env[`${name}_SERVICE_HOST`] = ip;
    env[`${name}_SERVICE_PORT`] = String(ports[0].port);
    env[`${name}_PORT`] = `${(ports[0].protocol ?? 'TCP').toLowerCase()}://${ip}:${ports[0].port}`;
    for (const port of ports) {
      if (port.name) env[`${name}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`] = String(port.port);
      const proto = (port.protocol ?? 'TCP').toUpperCase();
      const prefix = `${name}_PORT_${port.port}_${proto}`;
      env[prefix] = `${proto.toLowerCase()}://${ip}:${port.port}`;
      env[`${prefix}_PROTO`] = proto.toLowerCase();
      env[`${prefix}_PORT`] = String(port.port);
      env[`${prefix}_ADDR`] = ip;
    }
  }
  return env;
}

export interface EnvContext {
  api: KubeApi;
  pod: KubeObject;
  container: any;
  image: ImageEntry;
  podIp: string;
  hostIp: string;
  /** Every Service (service links; the `kubernetes` one gives KUBERNETES_SERVICE_*). */
  services: KubeObject[];
  nodeCpu: string;
  nodeMemoryBytes: number;
}

async function keyRef(api: KubeApi, kind: 'secrets' | 'configmaps', ns: string, ref: { name: string; key: string; optional?: boolean }): Promise<string | undefined> {
  const object = await api.find(`/api/v1/namespaces/${ns}/${kind}/${ref.name}`);
  const raw = object?.data?.[ref.key];
  if (raw === undefined) {
    if (ref.optional) return undefined;
    throw new VolumeNotReady(`${kind === 'secrets' ? 'secret' : 'configmap'} "${ref.name}" key "${ref.key}" not found`);
  }
  return kind === 'secrets' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

export async function containerEnv(context: EnvContext): Promise<Record<string, string>> {
  const { api, pod, container, image } = context;
  const ns = pod.metadata.namespace ?? 'default';
  const hostname = (pod.spec?.hostname as string | undefined) ?? pod.metadata.name;
  const env: Record<string, string> = {
    PATH: `${image.binDir}:${SYSTEM_PATH}`,
    HOSTNAME: hostname,
    HOME: '/root',
  };
  if (pod.spec?.enableServiceLinks !== false) Object.assign(env, serviceLinks(context.services, ns));
  Object.assign(env, serviceLinks(context.services.filter((s) => s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes'), 'default'));
  for (const from of (container.envFrom ?? []) as any[]) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'configmaps' : 'secrets';
    const object = await api.find(`/api/v1/namespaces/${ns}/${kind}/${ref.name}`);
    if (!object) {
      if (ref.optional) continue;
      throw new VolumeNotReady(`${kind} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(object.data ?? {})) env[`${from.prefix ?? ''}${k}`] = kind === 'secrets' ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  const view = { ...pod, status: { ...pod.status, podIP: context.podIp, hostIP: context.hostIp } };
  for (const item of (container.env ?? []) as any[]) {
    let value: string | undefined;
    if (item.value !== undefined) value = expand(item.value, env);
    else if (item.valueFrom?.fieldRef) value = podField(view, item.valueFrom.fieldRef.fieldPath);
    else if (item.valueFrom?.secretKeyRef) value = await keyRef(api, 'secrets', ns, item.valueFrom.secretKeyRef);
    else if (item.valueFrom?.configMapKeyRef) value = await keyRef(api, 'configmaps', ns, item.valueFrom.configMapKeyRef);
    else if (item.valueFrom?.resourceFieldRef) {
      // No limits enforced here: report the node's capacity, as kubelet does for an unset limit.
      const resource = item.valueFrom.resourceFieldRef.resource as string;
      value = resource.endsWith('cpu') ? context.nodeCpu : String(context.nodeMemoryBytes);
    } else value = '';
    if (value !== undefined) env[item.name] = value;
  }
  return env;
}

/** The argv to run: command (or the image's entrypoint) + args, $(VAR)-expanded. */
export function containerArgv(image: string, entry: ImageEntry, container: { command?: string[]; args?: string[] }, env: Record<string, string>): string[] {
  const command = container.command && container.command.length > 0 ? container.command : imageCommand(image, entry);
  return [...command, ...(container.args ?? [])].map((part) => expand(part, env));
}
