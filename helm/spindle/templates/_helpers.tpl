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

{{/* The claim holding the embedded store: the user's, or the chart's. */}}
{{- define "spindle.dataClaimName" -}}
{{- .Values.store.embedded.persistence.existingClaim | default (printf "%s-data" (include "spindle.fullname" .)) }}
{{- end }}

{{/* The Secret holding the API keys in clear, one entry per key name: the user's, or the chart's. */}}
{{- define "spindle.apiKeysSecretName" -}}
{{- .Values.security.existingSecret | default (printf "%s-api-keys" (include "spindle.fullname" .)) }}
{{- end }}

{{/* "true" when any credentials are configured (an API key, a JWT issuer or key set), else empty. */}}
{{- define "spindle.credentialsConfigured" -}}
{{- $jwt := .Values.security.jwt }}
{{- if or .Values.security.apiKeys $jwt.issuerUri $jwt.jwkSetUri }}true{{ end }}
{{- end }}

{{/* "true" when Spindle runs in protected mode (loopback clients only), else empty. */}}
{{- define "spindle.protectedMode" -}}
{{- if and .Values.security.protectedMode (not (include "spindle.credentialsConfigured" .)) }}true{{ end }}
{{- end }}

{{/* "true" when the chart makes the API keys' Secret: a key given in clear, no existingSecret. */}}
{{- define "spindle.createApiKeysSecret" -}}
{{- if not .Values.security.existingSecret }}
{{- range $name, $apiKey := .Values.security.apiKeys }}
{{- if $apiKey.key }}true{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* "true" when the dotted property is set under config (the user's application properties). */}}
{{- define "spindle.inConfig" -}}
{{- $node := .config }}
{{- $found := true }}
{{- range $key := splitList "." .property }}
{{- if and $found (kindIs "map" $node) (hasKey $node $key) }}
{{- $node = index $node $key }}
{{- else }}
{{- $found = false }}
{{- end }}
{{- end }}
{{- if $found }}true{{ end }}
{{- end }}

{{/* Combinations of values that cannot work: refused with a message that says what to change.
(values.schema.json checks each value on its own.) */}}
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
{{- if include "spindle.inConfig" (dict "config" $.Values.config "property" $property) }}
{{- fail (printf "config.%s is set by the chart from %s (so that probes, Services and the grace period agree with it): set %s instead." $property $value $value) }}
{{- end }}
{{- end }}
{{- /* and these from security.*: keys go into a Secret rather than the ConfigMap, and NOTES.txt knows whether protected mode is on */}}
{{- $security := dict "spindle.security.protected-mode" "security.protectedMode" "spindle.security.api-keys" "security.apiKeys" "spindle.security.jwt.scope-prefix" "security.jwt.scopePrefix" "spring.security.oauth2.resourceserver.jwt.issuer-uri" "security.jwt.issuerUri" "spring.security.oauth2.resourceserver.jwt.jwk-set-uri" "security.jwt.jwkSetUri" }}
{{- range $property, $value := $security }}
{{- if include "spindle.inConfig" (dict "config" $.Values.config "property" $property) }}
{{- fail (printf "config.%s is set by the chart from %s (so that keys stay out of the ConfigMap and NOTES.txt knows whether protected mode is on): set %s instead." $property $value $value) }}
{{- end }}
{{- end }}
{{- include "spindle.validateSecurity" . }}
{{- $grace := include "spindle.terminationGracePeriodSeconds" . | atoi }}
{{- $drain := include "spindle.drainSeconds" . | atoi }}
{{- if lt $grace $drain }}
{{- fail (printf "terminationGracePeriodSeconds=%d is shorter than the drain it must cover: %d s (shutdown.preStopSleepSeconds + webGraceSeconds + respGraceSeconds + poolGraceSeconds); Kubernetes would kill jobs still draining." $grace $drain) }}
{{- end }}
{{- end }}

{{/* API keys and the ServiceMonitor's key. */}}
{{- define "spindle.validateSecurity" -}}
{{- $security := .Values.security }}
{{- range $name, $apiKey := $security.apiKeys }}
{{- if and $apiKey.key $apiKey.sha256 }}
{{- fail (printf "security.apiKeys.%s has both key and sha256: give one." $name) }}
{{- end }}
{{- if and $apiKey.key $security.existingSecret }}
{{- fail (printf "security.apiKeys.%s.key is given in clear, but the keys come from security.existingSecret=%s: put it there as the entry %s and drop key (or drop existingSecret to have the chart make the Secret)." $name $security.existingSecret $name) }}
{{- end }}
{{- if not (or $apiKey.key $apiKey.sha256 $security.existingSecret) }}
{{- fail (printf "security.apiKeys.%s needs its key: key (in clear, into the chart's Secret), sha256, or security.existingSecret holding an entry %s." $name $name) }}
{{- end }}
{{- end }}
{{- if and $security.existingSecret (not $security.apiKeys) }}
{{- fail (printf "security.existingSecret=%s is set, but security.apiKeys names no key: list each key name there with its roles, e.g. security.apiKeys.prometheus.roles={admin}." $security.existingSecret) }}
{{- end }}
{{- $monitor := .Values.metrics.serviceMonitor }}
{{- if $monitor.enabled }}
{{- if $monitor.apiKeyName }}
{{- $apiKey := get $security.apiKeys $monitor.apiKeyName }}
{{- if not $apiKey }}
{{- fail (printf "metrics.serviceMonitor.apiKeyName=%s names no key of security.apiKeys." $monitor.apiKeyName) }}
{{- end }}
{{- if not (has "admin" $apiKey.roles) }}
{{- fail (printf "metrics.serviceMonitor.apiKeyName=%s: /actuator/prometheus needs the admin role, and security.apiKeys.%s has %s." $monitor.apiKeyName $monitor.apiKeyName (join "," $apiKey.roles)) }}
{{- end }}
{{- if $apiKey.sha256 }}
{{- fail (printf "metrics.serviceMonitor.apiKeyName=%s: Prometheus must send the key itself, and security.apiKeys.%s gives only its sha256: give it as key, or through security.existingSecret." $monitor.apiKeyName $monitor.apiKeyName) }}
{{- end }}
{{- else if or (include "spindle.credentialsConfigured" .) $security.protectedMode }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.serviceMonitor.apiKeyName, a key of security.apiKeys with the admin role: /actuator/prometheus refuses Prometheus without one (in protected mode it serves loopback clients only)." }}
{{- end }}
{{- end }}
{{- end }}

{{/* The application configuration the chart writes, with the user's config merged over it. */}}
{{- define "spindle.applicationConfig" -}}
{{- $s := .Values.shutdown }}
{{- $security := .Values.security }}
{{- /* roles and hashes only: a key in clear reaches the pod through the Secret (SPINDLE_SECURITY_APIKEYS_<NAME>_KEY) */}}
{{- $apiKeys := dict }}
{{- range $name, $apiKey := $security.apiKeys }}
{{- $entry := dict "roles" $apiKey.roles }}
{{- with $apiKey.sha256 }}
{{- $_ := set $entry "sha256" (lower .) }}
{{- end }}
{{- $_ := set $apiKeys $name $entry }}
{{- end }}
{{- $spindleSecurity := dict "protected-mode" $security.protectedMode "jwt" (dict "scope-prefix" $security.jwt.scopePrefix) }}
{{- if $apiKeys }}
{{- $_ := set $spindleSecurity "api-keys" $apiKeys }}
{{- end }}
{{- $spring := dict "lifecycle" (dict "timeout-per-shutdown-phase" (printf "%ds" (int $s.webGraceSeconds))) }}
{{- $jwt := dict }}
{{- with $security.jwt.issuerUri }}
{{- $_ := set $jwt "issuer-uri" . }}
{{- end }}
{{- with $security.jwt.jwkSetUri }}
{{- $_ := set $jwt "jwk-set-uri" . }}
{{- end }}
{{- if $jwt }}
{{- $_ := set $spring "security" (dict "oauth2" (dict "resourceserver" (dict "jwt" $jwt))) }}
{{- end }}
{{- $chart := dict
  "server" (dict "port" .Values.ports.http "shutdown" "graceful")
  "management" (dict "server" (dict "port" .Values.ports.management))
  "spring" $spring
  "spindle" (dict
    "tcp" (dict "port" .Values.ports.resp "shutdown-grace" (printf "%ds" (int $s.respGraceSeconds)))
    "pool" (dict "shutdown-grace" (printf "%ds" (int $s.poolGraceSeconds)))
    "security" $spindleSecurity)
}}
{{- mustMergeOverwrite $chart (deepCopy .Values.config) | toYaml }}
{{- end }}
