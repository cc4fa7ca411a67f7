/**
 * How the objects of a StrataCluster are named and labelled: the contract between the CRD, the
 * operator's builders, the chart and the e2e tests. Strata node ids are pod ordinals + 1.
 */

export const CLUSTER_PORT = 9000;
export const ADMIN_PORT = 9090;
export const DEFAULT_S3_PORT = 9080;
/** Service and container port names; the chart's ServiceMonitor scrapes the port named `admin`. */
export const PORT_NAMES = { cluster: 'cluster', admin: 'admin', s3: 's3' } as const;
/** The operator's own ports (the chart's Deployment and Service use them). */
export const OPERATOR_METRICS_PORT = 8080;
export const OPERATOR_HEALTH_PORT = 8081;
export const CONFIG_KEY = 'strata.toml';
export const CREDENTIALS_KEYS = {
  accessKeyId: 'access_key_id',
  secretAccessKey: 'secret_access_key',
  credentialsToml: 'credentials.toml',
} as const;

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const APP_NAME = 'strata';
export const MANAGER = 'strata-operator';

export const statefulSetName = (cluster: string): string => cluster;
export const podName = (cluster: string, ordinal: number): string => `${cluster}-${ordinal}`;
export const headlessServiceName = (cluster: string): string => `${cluster}-nodes`;
export const s3ServiceName = (cluster: string): string => `${cluster}-s3`;
export const configMapName = (cluster: string): string => `${cluster}-config`;
export const credentialsSecretName = (cluster: string): string => `${cluster}-credentials`;
export const podDisruptionBudgetName = (cluster: string): string => cluster;

export const NODE_NAME_PATTERN = /^node-[1-9][0-9]*$/;

export const nodeIdOfOrdinal = (ordinal: number): number => ordinal + 1;
export const ordinalOfNodeId = (nodeId: number): number => nodeId - 1;
export const nodeName = (nodeId: number): string => `node-${nodeId}`;
export const nodeNameOfOrdinal = (ordinal: number): string => nodeName(nodeIdOfOrdinal(ordinal));

/** The node id in `node-N`, or undefined when the name is not of that form. */
export function nodeIdOfName(name: string): number | undefined {
  return NODE_NAME_PATTERN.test(name) ? Number(name.slice('node-'.length)) : undefined;
}

/** The ordinal in `<cluster>-<ordinal>`, or undefined when the pod is not one of this cluster's. */
export function ordinalOfPod(cluster: string, pod: string): number | undefined {
  const prefix = `${cluster}-`;
  if (!pod.startsWith(prefix)) return undefined;
  const rest = pod.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/** A pod's stable DNS name through the headless Service: what nodes advertise and join. */
export function podHost(cluster: string, namespace: string, ordinal: number): string {
  return `${podName(cluster, ordinal)}.${headlessServiceName(cluster)}.${namespace}.svc`;
}

/** Labels on every object the operator creates for a cluster. */
export function clusterLabels(cluster: string): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: cluster, [LABEL_MANAGED_BY]: MANAGER };
}

/** The pods' selector (a StatefulSet selector is immutable, so it never includes managed-by). */
export function selectorLabels(cluster: string): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: cluster };
}

/** status.selector for the scale subresource, e.g. `app.kubernetes.io/name=strata,app.kubernetes.io/instance=a`. */
export function selectorString(cluster: string): string {
  return Object.entries(selectorLabels(cluster))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
