{{/* The release's base name: <release>-api, <release>-worker, <release>-migrate. */}}
{{- define "careconnect.name" -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "careconnect.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: careconnect
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "api"). */}}
{{- define "careconnect.selector" -}}
app.kubernetes.io/name: careconnect
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "careconnect.image" -}}
{{- $i := .Values.image -}}
{{- if $i.digest -}}
{{ required "image.repository is required" $i.repository }}@{{ $i.digest }}
{{- else -}}
{{ required "image.repository is required" $i.repository }}:{{ $i.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The ports of the listeners; http.addr and http.admin_addr say the same. */}}
{{- define "careconnect.httpPort" -}}8080{{- end -}}
{{- define "careconnect.adminPort" -}}9091{{- end -}}

{{/*
careconnect.env is a container's environment: configuration as
CARECONNECT_* values, and every secret from a Secret (secretKeyRef) or a
mounted Secret file. (dict "root" $ "role" "api"|"worker"|"migrate")
*/}}
{{- define "careconnect.env" -}}
{{- $v := .root.Values -}}
{{- $role := .role -}}
- name: CARECONNECT_ENV
  value: production
- name: CARECONNECT_HTTP_ADDR
  value: "0.0.0.0:{{ include "careconnect.httpPort" . }}"
- name: CARECONNECT_HTTP_ADMIN_ADDR
  value: "0.0.0.0:{{ include "careconnect.adminPort" . }}"
- name: CARECONNECT_HTTP_PUBLIC_BASE_URL
  value: {{ required "publicBaseURL is required (https://...)" $v.publicBaseURL | quote }}
{{- with $v.trustedProxies }}
- name: CARECONNECT_HTTP_TRUSTED_PROXIES
  value: {{ join "," . | quote }}
{{- end }}
- name: CARECONNECT_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ if eq $role "migrate" }}{{ $v.secrets.migrateDatabaseURLKey }}{{ else }}{{ $v.secrets.databaseURLKey }}{{ end }}
- name: CARECONNECT_DATABASE_MAX_OPEN_CONNS
  value: {{ $v.database.maxOpenConns | quote }}
- name: CARECONNECT_DATABASE_MAX_IDLE_CONNS
  value: {{ $v.database.maxIdleConns | quote }}
- name: CARECONNECT_DATABASE_CONN_MAX_LIFETIME
  value: {{ $v.database.connMaxLifetime | quote }}
- name: CARECONNECT_TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required" $v.temporal.address | quote }}
- name: CARECONNECT_TEMPORAL_NAMESPACE
  value: {{ $v.temporal.namespace | quote }}
- name: CARECONNECT_TEMPORAL_UI_URL
  value: {{ $v.temporal.uiURL | quote }}
- name: CARECONNECT_TEMPORAL_REGISTER_SEARCH_ATTRIBUTES
  value: {{ $v.temporal.registerSearchAttributes | quote }}
- name: CARECONNECT_TEMPORAL_WORKFLOW_CACHE_SIZE
  value: {{ $v.temporal.workflowCacheSize | quote }}
- name: CARECONNECT_TEMPORAL_TLS_ENABLED
  value: {{ $v.temporal.tls.enabled | quote }}
{{- with $v.temporal.tls.serverName }}
- name: CARECONNECT_TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if ne $role "migrate" }}
{{- /* Migrating needs no Temporal: its credentials stay out of the job. */}}
{{- if $v.temporal.tls.caSecret }}
- name: CARECONNECT_TEMPORAL_TLS_CA_FILE
  value: /etc/careconnect/temporal-ca/ca.crt
{{- end }}
{{- if $v.temporal.tls.clientCertSecret }}
- name: CARECONNECT_TEMPORAL_TLS_CERT_FILE
  value: /etc/careconnect/temporal-client/tls.crt
- name: CARECONNECT_TEMPORAL_TLS_KEY_FILE
  value: /etc/careconnect/temporal-client/tls.key
{{- end }}
{{- if $v.temporal.apiKeySecret.name }}
- name: CARECONNECT_TEMPORAL_API_KEY_FILE
  value: /etc/careconnect/temporal-api-key/{{ $v.temporal.apiKeySecret.key }}
{{- end }}
{{- end }}
- name: CARECONNECT_SMTP_HOST
  value: {{ required "smtp.host is required" $v.smtp.host | quote }}
- name: CARECONNECT_SMTP_PORT
  value: {{ $v.smtp.port | quote }}
- name: CARECONNECT_SMTP_TLS
  value: {{ $v.smtp.tls | quote }}
- name: CARECONNECT_SMTP_FROM
  value: {{ required "smtp.from is required" $v.smtp.from | quote }}
- name: CARECONNECT_SMTP_DEV_CATCHER
  value: "false"
{{- with $v.smtp.username }}
- name: CARECONNECT_SMTP_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- if $v.smtp.caSecret }}
- name: CARECONNECT_SMTP_CA_FILE
  value: /etc/careconnect/smtp-ca/ca.crt
{{- end }}
{{- if and (eq $role "worker") $v.secrets.smtpPasswordKey }}
- name: CARECONNECT_SMTP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ $v.secrets.smtpPasswordKey }}
{{- end }}
{{- if $v.secrets.linksKeysKey }}
- name: CARECONNECT_LINKS_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ $v.secrets.linksKeysKey }}
{{- with $v.keys.linksActive }}
- name: CARECONNECT_LINKS_ACTIVE_KEY
  value: {{ . | quote }}
{{- end }}
{{- else }}
- name: CARECONNECT_LINKS_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ $v.secrets.linksSecretKey }}
{{- end }}
{{- if $v.secrets.learningHubKeysKey }}
- name: CARECONNECT_LEARNINGHUB_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ $v.secrets.learningHubKeysKey }}
{{- with $v.keys.learningHubActive }}
- name: CARECONNECT_LEARNINGHUB_ACTIVE_KEY
  value: {{ . | quote }}
{{- end }}
{{- else }}
- name: CARECONNECT_LEARNINGHUB_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ $v.secrets.learningHubSecretKey }}
{{- end }}
- name: CARECONNECT_CODEC_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ required "secrets.codecKeysKey is required: payloads are encrypted in production" $v.secrets.codecKeysKey }}
{{- with $v.keys.codecActive }}
- name: CARECONNECT_CODEC_ACTIVE_KEY
  value: {{ . | quote }}
{{- end }}
{{- with $v.codec.uiOrigin }}
- name: CARECONNECT_CODEC_UI_ORIGIN
  value: {{ . | quote }}
{{- end }}
- name: CARECONNECT_AUTH_DEV_IDP_ENABLED
  value: "false"
- name: CARECONNECT_AUTH_APPLICANT_ISSUER
  value: {{ required "auth.applicantIssuer is required" $v.auth.applicantIssuer | quote }}
- name: CARECONNECT_AUTH_APPLICANT_CLIENT_ID
  value: {{ required "auth.applicantClientID is required" $v.auth.applicantClientID | quote }}
- name: CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ $v.secrets.applicantClientSecretKey }}
{{- if $v.auth.teamIssuer }}
- name: CARECONNECT_AUTH_TEAM_ISSUER
  value: {{ $v.auth.teamIssuer | quote }}
- name: CARECONNECT_AUTH_TEAM_CLIENT_ID
  value: {{ required "auth.teamClientID is required with auth.teamIssuer" $v.auth.teamClientID | quote }}
- name: CARECONNECT_AUTH_TEAM_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.name }}
      key: {{ $v.secrets.teamClientSecretKey }}
{{- end }}
- name: CARECONNECT_TEAM_EMAIL
  value: {{ required "teamEmail is required" $v.teamEmail | quote }}
- name: CARECONNECT_VIEWER_URL
  value: {{ required "viewerURL is required" $v.viewerURL | quote }}
{{- range $k, $val := $v.env }}
- name: {{ $k }}
  value: {{ $val | quote }}
{{- end }}
{{- end -}}

{{/* The Secret files a container mounts: (dict "root" $ "role" ...). */}}
{{- define "careconnect.volumeMounts" -}}
{{- $v := .root.Values -}}
- name: tmp
  mountPath: /tmp
{{- if $v.database.caSecret }}
- name: db-ca
  mountPath: /etc/careconnect/db-ca
  readOnly: true
{{- end }}
{{- if ne .role "migrate" }}
{{- if $v.temporal.tls.caSecret }}
- name: temporal-ca
  mountPath: /etc/careconnect/temporal-ca
  readOnly: true
{{- end }}
{{- if $v.temporal.tls.clientCertSecret }}
- name: temporal-client
  mountPath: /etc/careconnect/temporal-client
  readOnly: true
{{- end }}
{{- if $v.temporal.apiKeySecret.name }}
- name: temporal-api-key
  mountPath: /etc/careconnect/temporal-api-key
  readOnly: true
{{- end }}
{{- end }}
{{- if $v.smtp.caSecret }}
- name: smtp-ca
  mountPath: /etc/careconnect/smtp-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/*
careconnect.volumes: whole Secrets, never subPath items, so that an
updated Secret reaches the files (mTLS renewals, API key rotation).
*/}}
{{- define "careconnect.volumes" -}}
{{- $v := .root.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
{{- if $v.database.caSecret }}
- name: db-ca
  secret:
    secretName: {{ $v.database.caSecret }}
    defaultMode: 0440
{{- end }}
{{- if ne .role "migrate" }}
{{- if $v.temporal.tls.caSecret }}
- name: temporal-ca
  secret:
    secretName: {{ $v.temporal.tls.caSecret }}
    defaultMode: 0440
{{- end }}
{{- if $v.temporal.tls.clientCertSecret }}
- name: temporal-client
  secret:
    secretName: {{ $v.temporal.tls.clientCertSecret }}
    defaultMode: 0440
{{- end }}
{{- if $v.temporal.apiKeySecret.name }}
- name: temporal-api-key
  secret:
    secretName: {{ $v.temporal.apiKeySecret.name }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- if $v.smtp.caSecret }}
- name: smtp-ca
  secret:
    secretName: {{ $v.smtp.caSecret }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* A pod's security and placement: (dict "root" $). */}}
{{- define "careconnect.podSpecCommon" -}}
{{- $v := .root.Values -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The admin listener's probes. */}}
{{- define "careconnect.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: admin
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet:
    path: /healthz
    port: admin
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: admin
  periodSeconds: 5
  timeoutSeconds: 4
  failureThreshold: 3
{{- end -}}
