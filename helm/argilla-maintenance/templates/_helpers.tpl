{{/* Names: every one is cut to 63 characters (DNS labels; a Job's name becomes a label value). */}}
{{- define "am.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "am.fullname" -}}
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

{{/* A name derived from the full name with a suffix, still within 63 characters. */}}
{{- define "am.suffixed" -}}
{{- $root := index . 0 }}{{- $suffix := index . 1 }}
{{- printf "%s-%s" (include "am.fullname" $root | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{- define "am.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "am.selectorLabels" -}}
app.kubernetes.io/name: {{ include "am.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "am.labels" -}}
helm.sh/chart: {{ include "am.chart" . }}
{{ include "am.selectorLabels" . }}
app.kubernetes.io/version: {{ include "am.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: argilla
{{- end }}

{{- define "am.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "am.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "am.imageTag" .) }}
{{- end }}
{{- end }}

{{- define "am.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "am.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "am.databaseSecret" -}}
{{- required "database.existingSecret is required: the name of a Secret whose key database.key holds ARGILLA_DATABASE_URL (postgresql://...)" .Values.database.existingSecret }}
{{- end }}

{{- define "am.tokensSecret" -}}
{{- required "tokens.existingSecret is required: the name of a Secret whose key tokens.key holds one name:token[:read] line per token" .Values.tokens.existingSecret }}
{{- end }}

{{/* Pod Security "restricted": the pod and container settings every pod of the chart uses. */}}
{{- define "am.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "am.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Environment shared by the server and the Jobs: database, search engine, logging, then the operator's own. */}}
{{- define "am.env" -}}
- name: ARGILLA_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "am.databaseSecret" . }}
      key: {{ .Values.database.key }}
{{ include "am.searchEnv" . }}
- name: ARGILLA_MAINT_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "am.searchEnv" -}}
- name: ARGILLA_SEARCH_ENGINE
  value: {{ .Values.search.engine | quote }}
{{- if .Values.search.existingSecret }}
- name: ARGILLA_ELASTICSEARCH
  valueFrom:
    secretKeyRef:
      name: {{ .Values.search.existingSecret }}
      key: {{ .Values.search.urlKey }}
{{- end }}
{{- end }}

{{- define "am.scheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}

{{/* Annotations that make a Job a Helm hook, or (hooks.enabled=false) an Argo CD sync-wave resource. */}}
{{- define "am.jobAnnotations" -}}
{{- $root := index . 0 }}{{- $weight := index . 1 }}
{{- if $root.Values.hooks.enabled }}
helm.sh/hook: post-install,post-upgrade
helm.sh/hook-weight: {{ $weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation
{{- else }}
argocd.argoproj.io/sync-wave: {{ $weight | quote }}
argocd.argoproj.io/sync-options: Replace=true
{{- end }}
{{- end }}

{{/* A maintenance Job: bounded (deadline, retries), final exit codes fail it at once, the release's own image. */}}
{{- define "am.job" -}}
{{- $root := index . 0 }}{{- $job := index . 1 }}{{- $component := index . 2 }}{{- $weight := index . 3 }}{{- $containerTemplate := index . 4 }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "am.suffixed" (list $root $component) }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "am.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
  annotations:
    {{- include "am.jobAnnotations" (list $root $weight) | nindent 4 }}
spec:
  activeDeadlineSeconds: {{ $job.activeDeadlineSeconds }}
  backoffLimit: {{ $job.backoffLimit }}
  {{- if and $root.Values.hooks.enabled (not (kindIs "invalid" $job.ttlSecondsAfterFinished)) }}
  ttlSecondsAfterFinished: {{ $job.ttlSecondsAfterFinished }}
  {{- end }}
  # Exit statuses of argilla-maint: 1 refused or failed (unknown revision, downgrade refused, a failed
  # migration), 2 usage, 3 configuration: a retry cannot pass. 4 (interrupted) and 75 (database unreachable,
  # lock busy) are retried up to backoffLimit.
  podFailurePolicy:
    rules:
      - action: FailJob
        onExitCodes:
          containerName: {{ $component }}
          operator: In
          values: [1, 2, 3]
      - action: Ignore
        onPodConditions:
          - type: DisruptionTarget
  template:
    metadata:
      labels:
        {{- include "am.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ $component }}
      {{- with $root.Values.podAnnotations }}
      annotations: {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "am.serviceAccountName" $root }}
      automountServiceAccountToken: false
      securityContext: {{- include "am.podSecurityContext" $root | nindent 8 }}
      terminationGracePeriodSeconds: {{ $job.terminationGracePeriodSeconds }}
      {{- include "am.scheduling" $root | nindent 6 }}
      containers:
        - name: {{ $component }}
          image: {{ include "am.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          {{- include $containerTemplate $root | nindent 10 }}
          securityContext: {{- include "am.containerSecurityContext" $root | nindent 12 }}
          resources: {{- toYaml $job.resources | nindent 12 }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- if eq $component "migrate" }}{{- if eq $root.Values.migration.mode "http" }}
        - name: tokens
          secret:
            secretName: {{ include "am.tokensSecret" $root }}
            items:
              - key: {{ $root.Values.tokens.key }}
                path: tokens
        - name: hook
          configMap:
            name: {{ include "am.suffixed" (list $root "hook") }}
        {{- end }}{{- end }}
        {{- with $root.Values.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}
