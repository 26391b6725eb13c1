{{- define "custodian.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "custodian.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "custodian.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "custodian.env" -}}
- name: CUSTODIAN__DATA__DIR
  value: /data
- name: CUSTODIAN__LOG__FORMAT
  value: {{ .Values.config.logFormat | quote }}
- name: CUSTODIAN__AUTH__SESSION_HOURS
  value: {{ .Values.config.sessionHours | quote }}
- name: CUSTODIAN__ENCRYPTION__CURRENT_KEY
  value: {{ .Values.config.encryptionCurrentKey | quote }}
- name: CUSTODIAN__ENCRYPTION__KEYS
  valueFrom: { secretKeyRef: { name: {{ .Values.secrets.name }}, key: encryption-keys } }
- name: CUSTODIAN__ENCRYPTION__INDEX_KEY
  valueFrom: { secretKeyRef: { name: {{ .Values.secrets.name }}, key: encryption-index-key } }
{{- end -}}
