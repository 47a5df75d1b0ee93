{{/* Name of the release's objects: <release>-privacy-gateway, or the release name when it already says so. */}}
{{- define "privacy-gateway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "privacy-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "privacy-gateway.labels" -}}
{{ include "privacy-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
privacy-gateway/site: {{ .Values.site | quote }}
{{- end -}}

{{/* Requests grow with the number of cameras; the memory limit equals the request. */}}
{{- define "privacy-gateway.resources" -}}
{{- $r := .Values.resources -}}
{{- $cpu := add $r.base.cpuMillis (mul .Values.cameras $r.perCamera.cpuMillis) -}}
{{- $memory := add $r.base.memoryMiB (mul .Values.cameras $r.perCamera.memoryMiB) -}}
requests:
  cpu: {{ printf "%dm" (int $cpu) }}
  memory: {{ printf "%dMi" (int $memory) }}
limits:
  memory: {{ printf "%dMi" (int $memory) }}
  {{- if gt (int $r.cpuLimitMillis) 0 }}
  cpu: {{ printf "%dm" (int $r.cpuLimitMillis) }}
  {{- end }}
{{- end -}}

{{- define "privacy-gateway.storageSize" -}}
{{- $p := .Values.persistence -}}
{{- if $p.size -}}
{{- $p.size -}}
{{- else -}}
{{- printf "%dGi" (int (add $p.baseGiB (mul .Values.cameras $p.perCameraGiB))) -}}
{{- end -}}
{{- end -}}
