import type { StrataCluster } from '../api/strata-cluster.js';
import { CREDENTIALS_KEYS, credentialsSecretName } from '../api/naming.js';
import type { KubeObject } from '../kube/kube-client.js';
import { childMeta } from './owner.js';

export interface S3Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The credentials file the nodes read ([s3] credentials_file): one [[credentials]] table. */
export function credentialsToml(keys: S3Keys): string {
  return `[[credentials]]\naccess_key_id = ${JSON.stringify(keys.accessKeyId)}\nsecret_access_key = ${JSON.stringify(keys.secretAccessKey)}\n`;
}

/**
 * The generated credentials Secret (when spec.s3.credentialsSecret is absent). The keys are made once
 * by the reconciler and the Secret is only ever created, never re-applied, so they are never regenerated.
 */
export function buildCredentialsSecret(cluster: StrataCluster, keys: S3Keys): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: childMeta(cluster, credentialsSecretName(cluster.metadata.name)),
    type: 'Opaque',
    stringData: {
      [CREDENTIALS_KEYS.accessKeyId]: keys.accessKeyId,
      [CREDENTIALS_KEYS.secretAccessKey]: keys.secretAccessKey,
      [CREDENTIALS_KEYS.credentialsToml]: credentialsToml(keys),
    },
  };
}

/** The Secret the pods mount: the user's, or the generated one. */
export function credentialsSecretOf(cluster: StrataCluster, credentialsSecret: string | undefined): string {
  return credentialsSecret ?? credentialsSecretName(cluster.metadata.name);
}
