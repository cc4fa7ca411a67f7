// A pod's volumes as host folders, ready to bind-mount: emptyDir, configMap, secret, downwardAPI, projected
// (service-account token through the TokenRequest API, kube-root-ca.crt, namespace), hostPath and
// persistentVolumeClaim (the bound PV's hostPath). Like kubelet, files are written once when the pod starts;
// the token is requested for an hour and not refreshed (see README).
import { chownSync, chmodSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KubeApi, KubeObject } from './kube-api.js';

export class VolumeNotReady extends Error {}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface PreparedVolumes {
  /** volume name -> host path */
  paths: Map<string, string>;
}

function writeFiles(dir: string, files: Map<string, Buffer>, mode: number, gid: number | undefined): void {
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of files) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, mode);
    if (gid !== undefined) chownSync(file, 0, gid);
  }
}

function pick(data: Map<string, Buffer>, items: KeyToPath[] | undefined, what: string, optional: boolean): Map<string, Buffer> {
  if (!items || items.length === 0) return data;
  const out = new Map<string, Buffer>();
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new VolumeNotReady(`${what} has no key ${item.key}`);
    }
    out.set(item.path, value);
  }
  return out;
}

/** Reads a field of the pod the way the downward API names it. */
export function podField(pod: KubeObject, fieldPath: string): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const bag = (pod.metadata[labelOrAnnotation[1]] ?? {}) as Record<string, string>;
    return bag[labelOrAnnotation[2]] ?? '';
  }
  const kv = (bag: Record<string, string> | undefined) =>
    Object.entries(bag ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n');
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return kv(pod.metadata.labels);
    case 'metadata.annotations':
      return kv(pod.metadata.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return pod.status?.hostIP ?? '';
    default:
      return '';
  }
}

export interface VolumeContext {
  api: KubeApi;
  pod: KubeObject;
  podDir: string;
  /** pod.status.podIP / hostIP may not be reported yet: the agent's own values. */
  podIp: string;
  hostIp: string;
}

async function configMapData(api: KubeApi, ns: string, name: string, optional: boolean): Promise<Map<string, Buffer> | undefined> {
  const cm = await api.find(`/api/v1/namespaces/${ns}/configmaps/${name}`);
  if (!cm) {
    if (optional) return undefined;
    throw new VolumeNotReady(`configmap ${ns}/${name} not found`);
  }
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v));
  for (const [k, v] of Object.entries((cm.binaryData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

async function secretData(api: KubeApi, ns: string, name: string, optional: boolean): Promise<Map<string, Buffer> | undefined> {
  const secret = await api.find(`/api/v1/namespaces/${ns}/secrets/${name}`);
  if (!secret) {
    if (optional) return undefined;
    throw new VolumeNotReady(`secret ${ns}/${name} not found`);
  }
  return new Map(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')] as const));
}

function downward(context: VolumeContext, items: { path: string; fieldRef?: { fieldPath: string } }[]): Map<string, Buffer> {
  const pod = { ...context.pod, status: { ...context.pod.status, podIP: context.podIp, hostIP: context.hostIp } };
  return new Map(items.filter((i) => i.fieldRef).map((i) => [i.path, Buffer.from(podField(pod, i.fieldRef!.fieldPath))] as const));
}

async function projected(context: VolumeContext, sources: any[]): Promise<Map<string, Buffer>> {
  const { api, pod } = context;
  const ns = pod.metadata.namespace ?? 'default';
  const out = new Map<string, Buffer>();
  for (const source of sources) {
    if (source.serviceAccountToken) {
      const sa = pod.spec?.serviceAccountName ?? 'default';
      const request = await api.create(`/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: source.serviceAccountToken.audience ? [source.serviceAccountToken.audience] : [],
          expirationSeconds: source.serviceAccountToken.expirationSeconds ?? 3607,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      });
      out.set(source.serviceAccountToken.path, Buffer.from(request.status.token as string));
    } else if (source.configMap) {
      const data = await configMapData(api, ns, source.configMap.name, source.configMap.optional === true);
      if (data) for (const [k, v] of pick(data, source.configMap.items, `configmap ${source.configMap.name}`, source.configMap.optional === true)) out.set(k, v);
    } else if (source.secret) {
      const data = await secretData(api, ns, source.secret.name, source.secret.optional === true);
      if (data) for (const [k, v] of pick(data, source.secret.items, `secret ${source.secret.name}`, source.secret.optional === true)) out.set(k, v);
    } else if (source.downwardAPI) {
      for (const [k, v] of downward(context, source.downwardAPI.items ?? [])) out.set(k, v);
    }
  }
  return out;
}

/**
 * kubelet's fsGroup on a writable volume: every file and folder gets the group (owners stay), group read and
 * write, folders also group search and setgid, so files written by anyone (a restore run as root, an older
 * image's uid) stay usable by the pod. OnRootMismatch skips the walk when the root already fits.
 */
export function applyFsGroup(root: string, gid: number, onRootMismatch: boolean): void {
  const rootStat = lstatSync(root);
  if (onRootMismatch && rootStat.gid === gid && (rootStat.mode & 0o2070) === 0o2070) return;
  const visit = (path: string): void => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if (stat.gid !== gid) lchownSync(path, stat.uid, gid);
    const wanted = stat.isDirectory() ? (stat.mode & 0o7777) | 0o2070 : (stat.mode & 0o7777) | 0o060;
    if (wanted !== (stat.mode & 0o7777)) chmodSync(path, wanted);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(root);
}

/** Writes (or finds) every volume of the pod; throws VolumeNotReady while a PVC is unbound or a source is missing. */
export async function prepareVolumes(context: VolumeContext): Promise<PreparedVolumes> {
  const { api, pod, podDir } = context;
  const ns = pod.metadata.namespace ?? 'default';
  const security = pod.spec?.securityContext ?? {};
  const fsGroup = security.fsGroup as number | undefined;
  const paths = new Map<string, string>();
  for (const volume of (pod.spec?.volumes ?? []) as any[]) {
    const dir = join(podDir, 'volumes', volume.name);
    const defaultMode = volume.configMap?.defaultMode ?? volume.secret?.defaultMode ?? volume.projected?.defaultMode ?? volume.downwardAPI?.defaultMode ?? 0o644;
    if (volume.emptyDir) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, 0, fsGroup ?? 0);
      chmodSync(dir, fsGroup !== undefined ? 0o2777 : 0o777);
    } else if (volume.configMap) {
      const data = await configMapData(api, ns, volume.configMap.name, volume.configMap.optional === true);
      writeFiles(dir, pick(data ?? new Map(), volume.configMap.items, `configmap ${volume.configMap.name}`, volume.configMap.optional === true), defaultMode, fsGroup);
    } else if (volume.secret) {
      const data = await secretData(api, ns, volume.secret.secretName, volume.secret.optional === true);
      writeFiles(dir, pick(data ?? new Map(), volume.secret.items, `secret ${volume.secret.secretName}`, volume.secret.optional === true), defaultMode, fsGroup);
    } else if (volume.downwardAPI) {
      writeFiles(dir, downward(context, volume.downwardAPI.items ?? []), defaultMode, fsGroup);
    } else if (volume.projected) {
      writeFiles(dir, await projected(context, volume.projected.sources ?? []), defaultMode, fsGroup);
    } else if (volume.hostPath) {
      if (!existsSync(volume.hostPath.path)) mkdirSync(volume.hostPath.path, { recursive: true });
      paths.set(volume.name, volume.hostPath.path);
      continue;
    } else if (volume.persistentVolumeClaim) {
      const claimName = volume.persistentVolumeClaim.claimName as string;
      const claim = await api.find(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName}`);
      if (!claim) throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" not found`);
      if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName) throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" is not bound`);
      const pv = await api.find(`/api/v1/persistentvolumes/${claim.spec.volumeName}`);
      const hostPath = (pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path) as string | undefined;
      if (!hostPath) throw new VolumeNotReady(`persistentvolume ${claim.spec.volumeName} has no hostPath or local path`);
      mkdirSync(hostPath, { recursive: true });
      if (fsGroup !== undefined) applyFsGroup(hostPath, fsGroup, security.fsGroupChangePolicy === 'OnRootMismatch');
      paths.set(volume.name, hostPath);
      continue;
    } else {
      throw new VolumeNotReady(`volume ${volume.name}: this node agent does not support its type`);
    }
    paths.set(volume.name, dir);
  }
  return { paths };
}
