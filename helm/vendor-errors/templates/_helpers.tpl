{{/* Names, labels and the processor configuration shared by the templates. */}}

{{- define "vendor-errors.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vendor-errors.fullname" -}}
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

{{- define "vendor-errors.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vendor-errors.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vendor-errors.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vendor-errors.labels" -}}
helm.sh/chart: {{ include "vendor-errors.chart" . }}
{{ include "vendor-errors.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vendor-errors
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "vendor-errors.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vendor-errors.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vendor-errors.image" -}}
{{- $repo := .Values.image.repository }}
{{- with .Values.image.registry }}{{ $repo = printf "%s/%s" . $repo }}{{ end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Where the pod sees its files: separate directories, never nested mounts. */}}
{{- define "vendor-errors.configDir" -}}/etc/vendor-errors/config{{- end }}
{{- define "vendor-errors.overlayDir" -}}/etc/vendor-errors/catalog{{- end }}
{{- define "vendor-errors.kafkaTLSDir" -}}/etc/vendor-errors/kafka-tls{{- end }}

{{- define "vendor-errors.saslEnabled" -}}
{{- if hasPrefix "SASL_" .Values.kafka.securityProtocol }}true{{ end }}
{{- end }}

{{- define "vendor-errors.tlsEnabled" -}}
{{- if has .Values.kafka.securityProtocol (list "SSL" "SASL_SSL") }}true{{ end }}
{{- end }}

{{/* True when a file from the Kafka Secret must be mounted (CA bundle or client pair). */}}
{{- define "vendor-errors.tlsFiles" -}}
{{- $tls := .Values.kafka.tls }}
{{- if and (include "vendor-errors.tlsEnabled" .) (or $tls.caKey $tls.certKey) }}true{{ end }}
{{- end }}

{{- define "vendor-errors.overlayConfigMap" -}}
{{- if .Values.catalog.existingConfigMap }}
{{- .Values.catalog.existingConfigMap }}
{{- else if .Values.catalog.overlay }}
{{- printf "%s-catalog-overlay" (include "vendor-errors.fullname" .) }}
{{- end }}
{{- end }}

{{/* Fail early, with the setting's name, on combinations the schema cannot express well. */}}
{{- define "vendor-errors.validate" -}}
{{- $k := .Values.kafka }}
{{- if and (include "vendor-errors.saslEnabled" .) (not $k.existingSecret) }}
{{- fail (printf "kafka.existingSecret: required with kafka.securityProtocol=%s (the Secret with the SASL username and password)" $k.securityProtocol) }}
{{- end }}
{{- if and (include "vendor-errors.saslEnabled" .) (not $k.sasl.mechanism) }}
{{- fail (printf "kafka.sasl.mechanism: required with kafka.securityProtocol=%s (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)" $k.securityProtocol) }}
{{- end }}
{{- if and (include "vendor-errors.tlsEnabled" .) (or $k.tls.caKey $k.tls.certKey $k.tls.keyKey) (not $k.existingSecret) }}
{{- fail "kafka.existingSecret: required when kafka.tls.caKey, certKey or keyKey is set" }}
{{- end }}
{{- if ne (empty $k.tls.certKey) (empty $k.tls.keyKey) }}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey: set both (mutual TLS) or neither" }}
{{- end }}
{{- if and .Values.otlp.enabled (not .Values.otlp.endpoint) }}
{{- fail "otlp.endpoint: required when otlp.enabled (e.g. http://otel-collector:4318)" }}
{{- end }}
{{- if and .Values.keda.enabled (gt (int .Values.keda.minReplicaCount) (int .Values.keda.maxReplicaCount)) }}
{{- fail "keda.minReplicaCount must not exceed keda.maxReplicaCount" }}
{{- end }}
{{- $shutdown := dig "shutdown" "timeout_seconds" 20 .Values.config }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $shutdown) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be greater than config.shutdown.timeout_seconds (%d), or Kubernetes kills the processor before it commits its offsets" (int .Values.terminationGracePeriodSeconds) (int $shutdown)) }}
{{- end }}
{{- end }}

{{/*
The processor's configuration file (docs/configuration.md). The chart sets the Kafka
connection, the catalog overlay, the metrics port and tracing from its values (the keys
helm/values-schema.py lists in CHART_OWNED); `config` supplies everything else. Secrets never
appear here: the SASL credentials come from the environment (secretKeyRef).
*/}}
{{- define "vendor-errors.config" -}}
{{- $k := .Values.kafka }}
{{- $kafka := dict
  "bootstrap_servers" $k.bootstrapServers
  "topics" $k.topics
  "group_id" $k.groupId
  "client_id" (default (include "vendor-errors.fullname" .) $k.clientId)
  "auto_offset_reset" $k.autoOffsetReset
  "max_poll_records" $k.maxPollRecords
  "session_timeout_ms" $k.sessionTimeoutMs
  "security_protocol" $k.securityProtocol
}}
{{- if include "vendor-errors.saslEnabled" . }}
{{- $_ := set $kafka "sasl_mechanism" $k.sasl.mechanism }}
{{- end }}
{{- if include "vendor-errors.tlsEnabled" . }}
{{- $dir := include "vendor-errors.kafkaTLSDir" . }}
{{- if $k.tls.caKey }}{{ $_ := set $kafka "ssl_cafile" (printf "%s/ca.crt" $dir) }}{{ end }}
{{- if $k.tls.certKey }}{{ $_ := set $kafka "ssl_certfile" (printf "%s/tls.crt" $dir) }}{{ end }}
{{- if $k.tls.keyKey }}{{ $_ := set $kafka "ssl_keyfile" (printf "%s/tls.key" $dir) }}{{ end }}
{{- $_ := set $kafka "ssl_check_hostname" $k.tls.checkHostname }}
{{- end }}
{{- $catalog := dict "reload_interval_seconds" .Values.catalog.reloadIntervalSeconds }}
{{- if include "vendor-errors.overlayConfigMap" . }}
{{- $_ := set $catalog "overlay" (printf "%s/overlay.yaml" (include "vendor-errors.overlayDir" .)) }}
{{- end }}
{{- $metrics := dict
  "host" "0.0.0.0"
  "port" .Values.metrics.port
  "max_unknown_codes_per_vendor" .Values.metrics.maxUnknownCodesPerVendor
  "lag_interval_seconds" .Values.metrics.lagIntervalSeconds
  "otlp" (and .Values.otlp.enabled .Values.otlp.metrics)
}}
{{- $tracing := dict "enabled" (and .Values.otlp.enabled .Values.otlp.traces) }}
{{- $config := deepCopy .Values.config }}
{{- /* Helm deletes keys set to null, so "" is how values turn an output topic off. */}}
{{- with $config.output }}
{{- range $key := list "enriched_topic" "dead_letter_topic" }}
{{- if and (hasKey $.Values.config.output $key) (eq (toString (get $.Values.config.output $key)) "") }}
{{- $_ := set $config.output $key nil }}
{{- end }}
{{- end }}
{{- end }}
{{- /* Other settings of these sections pass through from `config` (values.schema.json refuses the ones set here). */}}
{{- $_ := set $config "kafka" (merge $kafka (default (dict) $config.kafka)) }}
{{- $_ := set $config "catalog" (merge $catalog (default (dict) $config.catalog)) }}
{{- $_ := set $config "metrics" (merge $metrics (default (dict) $config.metrics)) }}
{{- $_ := set $config "tracing" (merge $tracing (default (dict) $config.tracing)) }}
{{- toYaml $config }}
{{- end }}

{{- define "vendor-errors.otelResourceAttributes" -}}
{{- $attrs := list "k8s.namespace.name=$(K8S_NAMESPACE_NAME)" "k8s.pod.name=$(K8S_POD_NAME)" "k8s.node.name=$(K8S_NODE_NAME)" (printf "k8s.deployment.name=%s" (include "vendor-errors.fullname" .)) }}
{{- range $key, $value := .Values.otlp.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $key (toString $value)) }}
{{- end }}
{{- join "," $attrs }}
{{- end }}

{{/* "k=v, k=v" for NOTES.txt. */}}
{{- define "vendor-errors.inlineLabels" -}}
{{- $pairs := list }}
{{- range $key, $value := . }}{{ $pairs = append $pairs (printf "%s=%v" $key $value) }}{{ end }}
{{- join ", " $pairs }}
{{- end }}
