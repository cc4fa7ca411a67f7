import type { StrataCluster } from '../api/strata-cluster.js';
import type { ResolvedStrataClusterSpec } from '../api/defaults.js';
import type { KubeObject } from '../kube/kube-client.js';
import { buildConfigMap, type BootstrapMode } from './config-map.js';
import { buildPodDisruptionBudget } from './disruption-budget.js';
import { buildPrometheusRule, buildServiceMonitor } from './monitoring.js';
import { buildHeadlessService, buildS3Service } from './services.js';
import { buildStatefulSet, type StatefulSetInput } from './statefulset.js';

export interface DesiredChildrenInput extends StatefulSetInput {
  /** Whether the API server serves ServiceMonitor / PrometheusRule (their CRDs are installed). */
  serviceMonitorServed: boolean;
  prometheusRuleServed: boolean;
  /** Whether pod 0 may still bootstrap a new Strata cluster (see BOOTSTRAP_KEY). */
  bootstrap: BootstrapMode;
}

/**
 * Every child the operator applies, in apply order (config before the pods that mount it). The
 * generated credentials Secret is not here: it is created once, never applied (its keys are random).
 */
export function desiredChildren(cluster: StrataCluster, spec: ResolvedStrataClusterSpec, input: DesiredChildrenInput): KubeObject[] {
  const children = [
    buildConfigMap(cluster, spec, input.bootstrap),
    buildHeadlessService(cluster),
    buildS3Service(cluster, spec),
    buildPodDisruptionBudget(cluster, spec),
    buildStatefulSet(cluster, spec, input),
  ];
  if (spec.monitoring.serviceMonitor && input.serviceMonitorServed) children.push(buildServiceMonitor(cluster));
  if (spec.monitoring.prometheusRule && input.prometheusRuleServed) children.push(buildPrometheusRule(cluster));
  return children;
}
