{{/* The chart's short name. */}}
{{- define "strata.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the release's objects: the release name, suffixed with -strata unless it already says strata. */}}
{{- define "strata.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "strata.operatorName" -}}
{{- printf "%s-operator" (include "strata.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object of the chart. */}}
{{- define "strata.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: strata
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* The operator's pods. Not app.kubernetes.io/name=strata: that label selects Strata nodes. */}}
{{- define "strata.operatorSelectorLabels" -}}
app.kubernetes.io/name: strata-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "strata.operatorLabels" -}}
{{ include "strata.labels" . }}
{{ include "strata.operatorSelectorLabels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "strata.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "strata.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "strata.operatorImage" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) -}}
{{- end -}}

{{- define "strata.clusterName" -}}
{{- default .Release.Name .Values.cluster.name -}}
{{- end -}}

{{- define "strata.rbacScope" -}}
{{- $scope := .Values.rbac.scope -}}
{{- if not (has $scope (list "cluster" "namespace")) -}}
{{- fail (printf "rbac.scope must be cluster or namespace, got %q" $scope) -}}
{{- end -}}
{{- $scope -}}
{{- end -}}

{{/*
What the operator may do to reconcile StrataClusters, and no more (least privilege):
- its own API: read and patch StrataClusters, write their status, set finalizers;
- children it applies with server-side apply and owner references (no delete: garbage collection removes
  them with their cluster); ConfigMaps may be deleted (the dashboard when spec.monitoring.dashboard is off);
- pods: delete one at a time for ordered restarts; PVCs: delete only when spec.storage.deleteClaimsOnScaleIn;
- Events for every action.
Leases for leader election are granted separately, in the release namespace only.
*/}}
{{- define "strata.operatorRules" -}}
- apiGroups: [strata.io]
  resources: [strataclusters]
  verbs: [get, list, watch, update, patch]
- apiGroups: [strata.io]
  resources: [strataclusters/status]
  verbs: [get, update, patch]
- apiGroups: [strata.io]
  resources: [strataclusters/finalizers]
  verbs: [update]
- apiGroups: [apps]
  resources: [statefulsets]
  verbs: [get, list, watch, create, update, patch]
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch, create, update, patch]
{{- /* Secrets: read the one spec.s3.credentialsSecret names, create the generated one once; never list them. */}}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, update, patch]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, delete]
- apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [get, list, watch, delete]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- if .Values.rbac.monitoring }}
- apiGroups: [monitoring.coreos.com]
  resources: [servicemonitors, prometheusrules]
  verbs: [get, list, watch, create, update, patch, delete]
{{- end }}
{{- end -}}
