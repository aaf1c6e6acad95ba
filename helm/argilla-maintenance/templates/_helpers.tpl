{{- define "am.fullname" -}}{{ .Release.Name }}-argilla-maintenance{{- end -}}
{{- define "am.labels" -}}
app.kubernetes.io/name: argilla-maintenance
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
