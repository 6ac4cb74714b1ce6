{{/* Name of the chart, or nameOverride. */}}
{{- define "spindle.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's resources: "<release>-<chart>", or the release name when it
contains the chart name already. */}}
{{- define "spindle.fullname" -}}
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

{{- define "spindle.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "spindle.labels" -}}
helm.sh/chart: {{ include "spindle.chart" . }}
{{ include "spindle.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "spindle.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spindle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "spindle.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "spindle.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the database credentials: the user's, or the chart's. */}}
{{- define "spindle.databaseSecretName" -}}
{{- .Values.store.postgresql.existingSecret | default (printf "%s-database" (include "spindle.fullname" .)) }}
{{- end }}

{{/* The longest a stop can take: preStop, then the HTTP, RESP and pool drains one after another. */}}
{{- define "spindle.drainSeconds" -}}
{{- $s := .Values.shutdown }}
{{- add $s.preStopSleepSeconds $s.webGraceSeconds $s.respGraceSeconds $s.poolGraceSeconds }}
{{- end }}

{{- define "spindle.terminationGracePeriodSeconds" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- /* + 20 s: after its grace the pool waits up to 5 s for interrupted jobs and for its completion
     writer and housekeeping, and the RESP listener up to 5 s for its acceptor */}}
{{- add (include "spindle.drainSeconds" . | atoi) 20 }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/* Combinations of values that cannot work: refused with a message that says what to change.
(values.schema.json checks each value on its own.) */}}
{{/* The claim holding the embedded store: the user's, or the chart's. */}}
{{- define "spindle.dataClaimName" -}}
{{- .Values.store.embedded.persistence.existingClaim | default (printf "%s-data" (include "spindle.fullname" .)) }}
{{- end }}

{{- define "spindle.validate" -}}
{{- $store := .Values.store }}
{{- if eq $store.type "embedded" }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "store.type=embedded keeps jobs in a SQLite file that only one process may use, so it runs with replicaCount=1 only (got %d). For several replicas set store.type=postgresql and store.postgresql.url (README: Kubernetes (Helm))." (int .Values.replicaCount)) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- fail "store.type=embedded runs one replica only, so autoscaling.enabled=true needs store.type=postgresql (README: Kubernetes (Helm))." }}
{{- end }}
{{- else }}
{{- if and (not $store.postgresql.url) (not (and $store.postgresql.existingSecret $store.postgresql.urlKey)) }}
{{- fail "store.type=postgresql needs store.postgresql.url (jdbc:postgresql://host:5432/db), or store.postgresql.existingSecret with store.postgresql.urlKey." }}
{{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas=%d is above autoscaling.maxReplicas=%d." (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- /* the chart sets these from ports.* and shutdown.*, which the probes, Services and the grace period follow */}}
{{- $owned := dict "server.port" "ports.http" "management.server.port" "ports.management" "spindle.tcp.port" "ports.resp" "spindle.tcp.shutdown-grace" "shutdown.respGraceSeconds" "spindle.pool.shutdown-grace" "shutdown.poolGraceSeconds" "spring.lifecycle.timeout-per-shutdown-phase" "shutdown.webGraceSeconds" }}
{{- range $property, $value := $owned }}
{{- $node := $.Values.config }}
{{- $found := true }}
{{- range $key := splitList "." $property }}
{{- if and $found (kindIs "map" $node) (hasKey $node $key) }}
{{- $node = index $node $key }}
{{- else }}
{{- $found = false }}
{{- end }}
{{- end }}
{{- if $found }}
{{- fail (printf "config.%s is set by the chart from %s (so that probes, Services and the grace period agree with it): set %s instead." $property $value $value) }}
{{- end }}
{{- end }}
{{- $grace := include "spindle.terminationGracePeriodSeconds" . | atoi }}
{{- $drain := include "spindle.drainSeconds" . | atoi }}
{{- if lt $grace $drain }}
{{- fail (printf "terminationGracePeriodSeconds=%d is shorter than the drain it must cover: %d s (shutdown.preStopSleepSeconds + webGraceSeconds + respGraceSeconds + poolGraceSeconds); Kubernetes would kill jobs still draining." $grace $drain) }}
{{- end }}
{{- end }}

{{/* The application configuration the chart writes, with the user's config merged over it. */}}
{{- define "spindle.applicationConfig" -}}
{{- $s := .Values.shutdown }}
{{- $chart := dict
  "server" (dict "port" .Values.ports.http "shutdown" "graceful")
  "management" (dict "server" (dict "port" .Values.ports.management))
  "spring" (dict "lifecycle" (dict "timeout-per-shutdown-phase" (printf "%ds" (int $s.webGraceSeconds))))
  "spindle" (dict
    "tcp" (dict "port" .Values.ports.resp "shutdown-grace" (printf "%ds" (int $s.respGraceSeconds)))
    "pool" (dict "shutdown-grace" (printf "%ds" (int $s.poolGraceSeconds))))
}}
{{- mustMergeOverwrite $chart (deepCopy .Values.config) | toYaml }}
{{- end }}
