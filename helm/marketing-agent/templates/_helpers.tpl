{{- define "marketing-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "marketing-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "marketing-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "marketing-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "marketing-agent.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "api") */}}
{{- define "marketing-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "marketing-agent.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "marketing-agent.tag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "marketing-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "marketing-agent.tag" .) }}
{{- end }}

{{- define "marketing-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "marketing-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "marketing-agent.deploymentName" -}}
{{- default (include "marketing-agent.fullname" .) .Values.worker.versioning.deploymentName }}
{{- end }}

{{- define "marketing-agent.buildId" -}}
{{- default (include "marketing-agent.tag" .) .Values.worker.versioning.buildId }}
{{- end }}

{{- define "marketing-agent.adPlatformUrl" -}}
{{- if .Values.adPlatform.url }}
{{- .Values.adPlatform.url }}
{{- else }}
{{- printf "http://%s-simulator:%d" (include "marketing-agent.fullname" .) (int .Values.simulator.port) }}
{{- end }}
{{- end }}

{{/* Environment shared by the API, the worker and the hooks: settings and secret references. */}}
{{- define "marketing-agent.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.urlSecret.name }}
      key: {{ .Values.database.urlSecret.key }}
{{- if .Values.temporal.apiKeySecret.name }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKeySecret.name }}
      key: {{ .Values.temporal.apiKeySecret.key }}
{{- end }}
{{- if .Values.llm.apiKeySecret.name }}
- name: LLM_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.llm.apiKeySecret.name }}
      key: {{ .Values.llm.apiKeySecret.key }}
{{- end }}
{{- if .Values.notifications.urlsSecret.name }}
- name: NOTIFY_URLS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.notifications.urlsSecret.name }}
      key: {{ .Values.notifications.urlsSecret.key }}
{{- end }}
{{- end }}

{{- define "marketing-agent.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* A writable /tmp: the root filesystem is read-only. */}}
{{- define "marketing-agent.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}
{{- define "marketing-agent.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}
