{{/*
Names, labels and the small pieces every template shares.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "entitlements.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The resource name prefix: fullnameOverride, or <release>-<name>, or just <release> when it
already contains the name. 63 characters at most (DNS label).
*/}}
{{- define "entitlements.fullname" -}}
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

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "entitlements.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels every resource carries (Kubernetes' recommended labels). */}}
{{- define "entitlements.labels" -}}
helm.sh/chart: {{ include "entitlements.chart" . }}
{{ include "entitlements.selectorLabels" . }}
app.kubernetes.io/version: {{ include "entitlements.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: entitlements
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The labels that select the server's pods; never change them after a release. */}}
{{- define "entitlements.selectorLabels" -}}
app.kubernetes.io/name: {{ include "entitlements.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The labels that select the server's pods: the Service, PodDisruptionBudget, NetworkPolicy
and spread constraints must not catch the migration Job's or the test's pods.
*/}}
{{- define "entitlements.serverSelectorLabels" -}}
{{ include "entitlements.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/* The label that lets a pod through the NetworkPolicy when allowExternal is false. */}}
{{- define "entitlements.clientLabel" -}}
{{ include "entitlements.fullname" . | trunc 56 | trimSuffix "-" }}-client: "true"
{{- end }}

{{/* The service account of the server's pods. */}}
{{- define "entitlements.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "entitlements.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "entitlements.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "entitlements.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "entitlements.imageTag" .) }}
{{- end }}
{{- end }}

{{/* Where the Dockerfile installs the binary. */}}
{{- define "entitlements.binary" -}}
/usr/local/bin/entitlements
{{- end }}

{{/* "true" when a database Secret is configured (Postgres store), "" otherwise. */}}
{{- define "entitlements.database" -}}
{{- if .Values.database.existingSecret }}true{{ end }}
{{- end }}

{{/* "true" when mTLS is on. */}}
{{- define "entitlements.mtls" -}}
{{- if and .Values.tls.enabled .Values.tls.clientAuth.enabled }}true{{ end }}
{{- end }}

{{/* The name the probes and `helm test` expect in the server certificate. */}}
{{- define "entitlements.tlsServerName" -}}
{{- default (printf "%s.%s.svc" (include "entitlements.fullname" .) .Release.Namespace) .Values.tls.serverName }}
{{- end }}

{{/* Files of the projected TLS volume, relative to tls.mountPath. */}}
{{- define "entitlements.tlsFile" -}}
{{- printf "%s/%s" (.root.Values.tls.mountPath | trimSuffix "/") .file }}
{{- end }}

{{/*
The projected TLS volume, one volume with fixed file names whatever Secrets the files come
from. For the server (server true): its certificate and key, plus under mTLS the client CA.
For every user of `entitlements health` (probes in the server container, the test pod): the
CA that signed the server certificate, plus under mTLS the probes' client certificate.
Called with (dict "root" $ "server" true|false).
*/}}
{{- define "entitlements.tlsVolume" -}}
{{- $v := .root.Values.tls }}
{{- $secret := required "tls.secretName is required when tls.enabled is true" $v.secretName }}
- name: tls
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ $secret }}
          items:
            {{- if .server }}
            - key: tls.crt
              path: server.crt
            - key: tls.key
              path: server.key
            {{- end }}
            - key: ca.crt
              path: ca.crt
      {{- if include "entitlements.mtls" .root }}
      {{- if .server }}
      - secret:
          name: {{ default $secret $v.clientAuth.caSecretName }}
          items:
            - key: {{ $v.clientAuth.caKey }}
              path: client-ca.crt
      {{- end }}
      - secret:
          name: {{ default $secret $v.probeClientSecretName }}
          items:
            - key: tls.crt
              path: probe.crt
            - key: tls.key
              path: probe.key
      {{- end }}
{{- end }}

{{/*
Arguments of `entitlements health` (after the subcommand) against `addr`, with the TLS
flags when TLS is on. Called with (dict "root" $ "addr" "..." "service" "..." "timeout" N).
*/}}
{{- define "entitlements.healthArgs" -}}
- --addr
- {{ .addr | quote }}
- --service
- {{ .service | quote }}
- --timeout
- {{ .timeout | quote }}
{{- if .root.Values.tls.enabled }}
- --tls-ca
- {{ include "entitlements.tlsFile" (dict "root" .root "file" "ca.crt") }}
- --tls-domain
- {{ include "entitlements.tlsServerName" .root }}
{{- if include "entitlements.mtls" .root }}
- --tls-cert
- {{ include "entitlements.tlsFile" (dict "root" .root "file" "probe.crt") }}
- --tls-key
- {{ include "entitlements.tlsFile" (dict "root" .root "file" "probe.key") }}
{{- end }}
{{- end }}
{{- end }}

{{/*
One probe. Without TLS a native gRPC probe (the kubelet calls grpc.health.v1.Health/Check);
with TLS, which native probes cannot speak, an exec probe running `entitlements health`
with the same certificates. Called with (dict "root" $ "probe" .Values.probes.x).
*/}}
{{- define "entitlements.probe" -}}
{{- $root := .root }}
{{- if $root.Values.tls.enabled }}
exec:
  command:
    - {{ include "entitlements.binary" $root }}
    - health
    {{- $scheme := "https" }}
    {{- $timeout := max 1 (sub (int .probe.timeoutSeconds) 1) }}
    {{- include "entitlements.healthArgs" (dict "root" $root "addr" (printf "%s://127.0.0.1:%d" $scheme (int $root.Values.containerPort)) "service" .probe.service "timeout" $timeout) | nindent 4 }}
{{- else }}
grpc:
  port: {{ $root.Values.containerPort }}
  service: {{ .probe.service | quote }}
{{- end }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- with .probe.successThreshold }}
successThreshold: {{ . }}
{{- end }}
{{- end }}

{{/* The pod-level settings the server, the migration Job and the test pod share. */}}
{{- define "entitlements.podScheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
