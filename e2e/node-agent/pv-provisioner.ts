// The node's volume provisioner: for each Pending PVC without a volume, a PV with a hostPath folder under
// <workDir>/pv/<ns>-<claim>, the claim's capacity and storage class, claimRef set (so the PV controller binds
// exactly that claim), reclaim policy Retain and node affinity to this node. Folders are never deleted here:
// a PVC's data outlives its pods and, with Retain, the claim too.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiError, type KubeApi, type KubeObject } from './kube-api.js';

export function pvName(namespace: string, claim: string): string {
  const name = `strata-e2e-${namespace}-${claim}`;
  if (name.length <= 63) return name;
  return `${name.slice(0, 50)}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

export function buildPv(claim: KubeObject, nodeName: string, path: string): KubeObject {
  const ns = claim.metadata.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: pvName(ns, claim.metadata.name),
      labels: { 'strata.io/provisioned-by': 'strata-e2e-node-agent' },
      annotations: { 'pv.kubernetes.io/provisioned-by': 'strata-e2e-node-agent' },
    },
    spec: {
      capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: claim.spec?.storageClassName ?? '',
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path, type: 'DirectoryOrCreate' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: claim.metadata.name, uid: claim.metadata.uid },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] }] } },
    },
  };
}

export class PvProvisioner {
  private readonly done = new Set<string>();

  constructor(
    private readonly api: KubeApi,
    private readonly nodeName: string,
    private readonly workDir: string,
    private readonly log: (line: string) => void,
  ) {}

  async sync(): Promise<void> {
    const claims = await this.api.list('/api/v1/persistentvolumeclaims');
    for (const claim of claims) {
      if (claim.status?.phase !== 'Pending' || claim.spec?.volumeName || claim.metadata.deletionTimestamp) continue;
      const ns = claim.metadata.namespace ?? 'default';
      const uid = claim.metadata.uid ?? '';
      if (this.done.has(uid)) continue;
      const existing = await this.api.find(`/api/v1/persistentvolumes/${pvName(ns, claim.metadata.name)}`);
      // A claim deleted and created again under the same name gets a fresh folder: the old PV (Retain) keeps
      // the old claim's data, as a real provisioner would.
      const fresh = existing !== undefined && existing.spec?.claimRef?.uid !== uid;
      const suffix = fresh ? `-${uid.slice(0, 8)}` : '';
      const path = join(this.workDir, 'pv', `${ns}-${claim.metadata.name}${suffix}`);
      mkdirSync(path, { recursive: true });
      // World-writable like local-path-provisioner's folders: a pod without fsGroup can still write.
      chmodSync(path, 0o777);
      const pv = buildPv(claim, this.nodeName, path);
      pv.metadata.name = `${pv.metadata.name}${suffix}`;
      try {
        if (!existing || fresh) await this.api.create('/api/v1/persistentvolumes', pv);
        this.log(`provisioned PV ${pv.metadata.name} at ${path} for ${ns}/${claim.metadata.name}`);
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      }
      this.done.add(uid);
    }
  }
}
