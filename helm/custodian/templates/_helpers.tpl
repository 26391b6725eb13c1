{{/* Chart name, overridable. */}}
{{- define "custodian.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: the release name, plus the chart name unless it already contains it. */}}
{{- define "custodian.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "custodian.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "custodian.selectorLabels" -}}
app.kubernetes.io/name: {{ include "custodian.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "custodian.labels" -}}
helm.sh/chart: {{ include "custodian.chart" . }}
{{ include "custodian.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "custodian.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
An env entry read from an existing Secret.
  include "custodian.secretEnv" (list "CUSTODIAN__DATABASE__URL" .Values.secrets.appDatabaseUrl)
Renders nothing when the entry's existingSecret is empty.
*/}}
{{- define "custodian.secretEnv" -}}
{{- $name := index . 0 -}}
{{- $ref := index . 1 -}}
{{- if $ref.existingSecret -}}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.existingSecret | quote }}
      key: {{ $ref.key | quote }}
{{- end }}
{{- end -}}

{{/* Fails the render on settings that cannot work. */}}
{{- define "custodian.validate" -}}
{{- $_ := required "secrets.appDatabaseUrl.existingSecret is required: the Secret holding the application role's postgres:// URL" .Values.secrets.appDatabaseUrl.existingSecret -}}
{{- $_ := required "secrets.encryptionKeys.existingSecret is required: without configured keys each pod generates its own, lost on restart" .Values.secrets.encryptionKeys.existingSecret -}}
{{- $_ := required "secrets.encryptionIndexKey.existingSecret is required" .Values.secrets.encryptionIndexKey.existingSecret -}}
{{- $_ := required "config.encryption.current_key is required" .Values.config.encryption.current_key -}}
{{- if .Values.migrate.enabled -}}
{{- $_ := required "secrets.ownerDatabaseUrl.existingSecret is required while migrate.enabled" .Values.secrets.ownerDatabaseUrl.existingSecret -}}
{{- end -}}
{{- $shutdown := 30 -}}
{{- if and .Values.config.server (hasKey .Values.config.server "shutdown_timeout_secs") (not (kindIs "invalid" .Values.config.server.shutdown_timeout_secs)) -}}
{{- $shutdown = int .Values.config.server.shutdown_timeout_secs -}}
{{- end -}}
{{- $needed := add $shutdown (int .Values.preStopSleepSeconds) -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds + config.server.shutdown_timeout_secs (%d)" (int .Values.terminationGracePeriodSeconds) (int $needed)) -}}
{{- end -}}
{{- end -}}
