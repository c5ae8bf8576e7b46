"""The Helm chart in helm/entitlements, checked with Helm's own SDK and then run for real.

For the default values and each other value set below, Helm's Go SDK (through
helm-python-sdk) lints and renders the chart, and every rendered manifest must pass
`kubernetes-validate --strict` for the oldest Kubernetes the chart supports and the
newest the validator knows. The schema must refuse bad values.

Then each rendered Deployment runs: this file plays the kubelet for one pod. It takes the
container's args and env from the render (resolving secretKeyRef against the Secrets a
platform team would have created, fieldRef against a made-up pod, and $(VAR) references),
materializes the projected TLS volume, runs the rendered migration Job's command first
(twice, as install and then upgrade would), starts the real binary, and performs the
rendered probes: a native gRPC probe is a grpc.health.v1 Check from grpcio (an outside
client, as the kubelet's is), an exec probe is its command. It checks that the server
listens on every address (a pod is reached on its own IP), runs the `helm test` pod's
command through the Service's port mapping, takes Postgres away and sees liveness and
readiness keep passing once the write services report the outage, and finally sends
SIGTERM as Kubernetes does.

Environment:
- ENTITLEMENTS_BIN: the binary (default: target/debug/entitlements of this repository).
- ENTITLEMENTS_TEST_DATABASE_URL: a Postgres URL whose user may create databases; each
  run on Postgres gets a fresh database beside it (dropped afterwards). Required.
"""

from __future__ import annotations

import copy
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Iterator

import grpc
import helm_python
import kubernetes_validate
import pytest
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "entitlements"
DOCKERFILE = ROOT / "Dockerfile"
# Where the Dockerfile installs the binary: the image's ENTRYPOINT.
BINARY_IN_IMAGE = "/usr/local/bin/entitlements"
RELEASE = "support"
NAMESPACE = "platform"
FULLNAME = "support-entitlements"
# Oldest Kubernetes the chart allows (Chart.yaml kubeVersion) and the validator's newest.
KUBE_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

DB_SECRET = "entitlements-db"
TLS_SECRET = "entitlements-tls"
CLIENT_CA_SECRET = "entitlements-client-ca"
PROBE_CLIENT_SECRET = "entitlements-probe-client"

# The value sets every check runs over. Each is a complete, realistic installation.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    # Postgres from an existing Secret under a non-default key, three replicas, a closed
    # NetworkPolicy with restricted egress, the headless Service, a custom namespace name.
    "existing-secret": {
        "database": {"existingSecret": DB_SECRET, "secretKey": "url"},
        "replicaCount": 3,
        "service": {"port": 8443, "headless": {"enabled": True}},
        "networkPolicy": {
            "allowExternal": False,
            "extraIngress": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cases"}}}
            ],
            "restrictEgress": True,
            "extraEgress": [
                {
                    "to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
                    "ports": [{"port": 5432, "protocol": "TCP"}],
                }
            ],
        },
        "podDisruptionBudget": {"maxUnavailable": None, "minAvailable": 2},
    },
    # Autoscaling on CPU and memory, OpenTelemetry on, image pinned by digest.
    "hpa": {
        "database": {"existingSecret": DB_SECRET, "secretKey": "url"},
        "autoscaling": {
            "enabled": True,
            "minReplicas": 2,
            "maxReplicas": 6,
            "targetCPUUtilizationPercentage": 60,
            "targetMemoryUtilizationPercentage": 80,
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
        "image": {
            "repository": "registry.example.com/support/entitlements",
            "digest": "sha256:" + "ab" * 32,
        },
        "otel": {
            "enabled": True,
            "endpoint": "http://127.0.0.1:4317",
            "resourceAttributes": {"deployment.environment": "test"},
            "headersSecret": "otel-headers",
        },
        "extraEnv": [{"name": "RUST_BACKTRACE", "value": "1"}],
    },
    # mTLS: server certificate, a separate client CA and a separate probe client cert.
    "mtls": {
        "database": {"existingSecret": DB_SECRET, "secretKey": "url"},
        "tls": {
            "enabled": True,
            "secretName": TLS_SECRET,
            "clientAuth": {"enabled": True, "caSecretName": CLIENT_CA_SECRET},
            "probeClientSecretName": PROBE_CLIENT_SECRET,
        },
        "networkPolicy": {"allowExternal": False},
    },
}


# ---------------------------------------------------------------------------------------
# Rendering


def render(values: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """Renders the chart as `helm install` would; template path -> its objects."""
    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for path, text in rendered.items():
        if path.endswith("NOTES.txt"):
            continue
        docs = [d for d in yaml.safe_load_all(text) if d]
        if docs:
            out[path] = docs
    return out


def objects(values: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [doc for docs in render(values).values() for doc in docs]


def one(objs: list[dict[str, Any]], kind: str, component: str | None = None) -> dict[str, Any]:
    found = [
        o
        for o in objs
        if o["kind"] == kind
        and (component is None or o["metadata"]["labels"].get("app.kubernetes.io/component") == component)
    ]
    assert len(found) == 1, f"expected one {kind} ({component}), got {[o['metadata']['name'] for o in found]}"
    return found[0]


def kinds(objs: list[dict[str, Any]]) -> list[str]:
    return sorted(o["kind"] for o in objs)


def pod_specs(objs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for o in objs:
        if o["kind"] in ("Deployment", "Job"):
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"]
        elif o["kind"] == "Pod":
            yield f"Pod/{o['metadata']['name']}", o["spec"]


def server_container(objs: list[dict[str, Any]]) -> dict[str, Any]:
    containers = one(objs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["entitlements"]
    return containers[0]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    env = {e["name"]: e for e in container.get("env", [])}
    assert len(env) == len(container.get("env", [])), "duplicate env names"
    return env


# ---------------------------------------------------------------------------------------
# Lint, validation, shape


@pytest.mark.parametrize("name", VALUE_SETS)
def test_lint_has_no_errors(name: str) -> None:
    report = helm_python.lint(CHART, VALUE_SETS[name], strict=True, namespace=NAMESPACE)
    assert report["errors"] == [], report
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == [], report
    assert report["total_charts_linted"] == 1


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_manifest_passes_kubernetes_validate_strict(name: str, kube_version: str) -> None:
    objs = objects(VALUE_SETS[name])
    assert objs
    for obj in objs:
        where = f"{obj['kind']}/{obj['metadata']['name']} ({name}, {kube_version})"
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            pytest.fail(f"{where}: {path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            pytest.fail(f"{where}: no schema: {e.message}")


def test_the_kubernetes_validate_cli_agrees(tmp_path: Path) -> None:
    """The same check through the CLI the issue names, on every set's manifests at once."""
    files = []
    for name, values in VALUE_SETS.items():
        f = tmp_path / f"{name}.yaml"
        f.write_text(yaml.safe_dump_all(objects(values)))
        files.append(str(f))
    res = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "--kubernetes-version", KUBE_VERSIONS[0], *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ERROR" not in res.stdout and "WARN" not in res.stdout, res.stdout
    assert res.stdout.count("passed for resource") == sum(len(objects(v)) for v in VALUE_SETS.values())


def test_the_packaged_chart_renders_like_the_directory(tmp_path: Path) -> None:
    """`helm package` keeps every template and the schema (.helmignore drops nothing needed)."""
    archive = helm_python.package(CHART, destination=tmp_path)
    assert Path(archive).name == "entitlements-0.1.0.tgz"
    with helm_python.Chart.load(archive) as packaged:
        assert packaged.schema is not None
        for values in VALUE_SETS.values():
            got = packaged.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
            with helm_python.Chart.load(CHART) as chart:
                assert got == chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def test_default_values_render_the_expected_objects() -> None:
    objs = objects({})
    assert kinds(objs) == sorted(
        ["Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy", "Pod"]
    )
    for o in objs:
        labels = o["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "entitlements"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "entitlements-0.1.0"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert o["metadata"]["namespace"] == NAMESPACE
    deploy = one(objs, "Deployment")
    assert deploy["metadata"]["name"] == FULLNAME
    assert deploy["spec"]["replicas"] == 1
    assert server_container(objs)["image"] == "entitlements:0.1.0"
    # The in-memory store: no DATABASE_URL, no migration Job.
    assert "DATABASE_URL" not in env_of(server_container(objs))


@pytest.mark.parametrize("name", VALUE_SETS)
def test_pods_meet_the_restricted_pod_security_standard(name: str) -> None:
    for where, spec in pod_specs(objects(VALUE_SETS[name])):
        psc = spec.get("securityContext", {})
        assert psc.get("runAsNonRoot") is True, where
        assert psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert spec.get("automountServiceAccountToken") is False, where
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
        for v in spec.get("volumes", []):
            assert "hostPath" not in v, where
        for c in spec.get("initContainers", []) + spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in sc["capabilities"], where
            assert sc.get("privileged") is not True, where
            assert sc["runAsNonRoot"] is True and sc["runAsUser"] != 0, where
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", where
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], where


@pytest.mark.parametrize("name", VALUE_SETS)
def test_database_url_only_ever_comes_from_the_existing_secret(name: str) -> None:
    values = VALUE_SETS[name]
    objs = objects(values)
    assert "postgres://" not in yaml.safe_dump_all(objs)
    users = 0
    for where, spec in pod_specs(objs):
        for c in spec["containers"]:
            env = env_of(c)
            if "DATABASE_URL" not in env:
                continue
            users += 1
            entry = env["DATABASE_URL"]
            assert "value" not in entry, where
            ref = entry["valueFrom"]["secretKeyRef"]
            assert ref == {"name": values["database"]["existingSecret"], "key": values["database"]["secretKey"]}
    # The server and the migration Job use it when a database is configured; nothing else.
    assert users == (2 if values.get("database") else 0)


@pytest.mark.parametrize("name", [n for n, v in VALUE_SETS.items() if v.get("database")])
def test_migrations_run_in_a_pre_install_pre_upgrade_hook_that_nothing_waits_for(name: str) -> None:
    objs = objects(VALUE_SETS[name])
    job = one(objs, "Job", "migration")
    ann = job["metadata"]["annotations"]
    assert ann["helm.sh/hook"].split(",") == ["pre-install", "pre-upgrade"]
    assert int(ann["helm.sh/hook-weight"]) < 0
    assert set(ann["helm.sh/hook-delete-policy"].split(",")) == {"before-hook-creation", "hook-succeeded"}
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert [c["args"] for c in pod["containers"]] == [["migrate"]]
    # During pre-install the chart's own ServiceAccount does not exist yet.
    assert pod["serviceAccountName"] == "default"
    # No post-install/post-upgrade hook anywhere (OpenFGA's deadlock), and the server's
    # pods neither wait for the Job (no init containers) nor migrate themselves.
    for o in objs:
        hooks = o["metadata"].get("annotations", {}).get("helm.sh/hook", "")
        assert "post-install" not in hooks and "post-upgrade" not in hooks, o["metadata"]["name"]
    deploy_pod = one(objs, "Deployment")["spec"]["template"]["spec"]
    assert "initContainers" not in deploy_pod
    assert env_of(server_container(objs))["ENTITLEMENTS_NO_MIGRATE"]["value"] == "true"


@pytest.mark.parametrize("name", VALUE_SETS)
def test_probes_liveness_ignores_the_database_and_readiness_asks_the_whole_server(name: str) -> None:
    values = VALUE_SETS[name]
    c = server_container(objects(values))
    tls = values.get("tls", {}).get("enabled", False)
    expected = {
        "startupProbe": "entitlements.v1.EntitlementService",
        "livenessProbe": "entitlements.v1.EntitlementService",
        "readinessProbe": "",
    }
    for probe, service in expected.items():
        p = c[probe]
        if tls:
            # Native gRPC probes cannot speak TLS: `entitlements health` with the certificates.
            assert "grpc" not in p
            cmd = p["exec"]["command"]
            assert cmd[:2] == [BINARY_IN_IMAGE, "health"]
            flags = dict(zip(cmd[2::2], cmd[3::2]))
            assert flags["--service"] == service
            assert flags["--addr"].startswith("https://127.0.0.1:")
            assert {"--tls-ca", "--tls-domain", "--tls-cert", "--tls-key"} <= set(flags)
            assert int(flags["--timeout"]) < p["timeoutSeconds"]
        else:
            assert "exec" not in p
            assert p["grpc"] == {"port": c["ports"][0]["containerPort"], "service": service}


def test_service_speaks_grpc_on_the_container_port() -> None:
    for name, values in VALUE_SETS.items():
        objs = objects(values)
        c = server_container(objs)
        assert c["ports"] == [{"name": "grpc", "containerPort": 50051, "protocol": "TCP"}]
        assert env_of(c)["ENTITLEMENTS_LISTEN"]["value"] == "0.0.0.0:50051"
        # Without client authentication, listening beyond loopback is asked for explicitly.
        mtls = values.get("tls", {}).get("clientAuth", {}).get("enabled", False)
        remote = env_of(c).get("ENTITLEMENTS_INSECURE_ALLOW_REMOTE", {}).get("value")
        assert remote == (None if mtls else "true"), name
        services = [o for o in objs if o["kind"] == "Service"]
        assert services, name
        for svc in services:
            [port] = svc["spec"]["ports"]
            assert port["appProtocol"] == "grpc" and port["targetPort"] == "grpc", name
            assert port["port"] == values.get("service", {}).get("port", 50051), name
            assert svc["spec"]["selector"] == one(objs, "Deployment")["spec"]["selector"]["matchLabels"]
    headless = [o for o in objects(VALUE_SETS["existing-secret"]) if o["kind"] == "Service"]
    assert sorted(s["spec"].get("clusterIP", "") for s in headless) == ["", "None"]


@pytest.mark.parametrize("name", VALUE_SETS)
def test_selectors_catch_the_server_pods_and_nothing_else(name: str) -> None:
    """A Service that selected the migration Job's or the test's pod would send calls to a
    pod that does not serve; a PDB or NetworkPolicy that did would count or fence it."""
    objs = objects(VALUE_SETS[name])
    deploy = one(objs, "Deployment")
    server_pod = deploy["spec"]["template"]["metadata"]["labels"]
    other_pods = [o["spec"]["template"]["metadata"]["labels"] for o in objs if o["kind"] == "Job"]
    other_pods += [o["metadata"]["labels"] for o in objs if o["kind"] == "Pod"]
    assert other_pods
    selectors = [deploy["spec"]["selector"]["matchLabels"]]
    selectors += [o["spec"]["selector"] for o in objs if o["kind"] == "Service"]
    selectors += [o["spec"]["selector"]["matchLabels"] for o in objs if o["kind"] == "PodDisruptionBudget"]
    selectors += [o["spec"]["podSelector"]["matchLabels"] for o in objs if o["kind"] == "NetworkPolicy"]
    selectors += [
        c["labelSelector"]["matchLabels"] for c in deploy["spec"]["template"]["spec"]["topologySpreadConstraints"]
    ]
    for selector in selectors:
        assert selector and server_pod.items() >= selector.items(), selector
        for labels in other_pods:
            assert not labels.items() >= selector.items(), (selector, labels)


def test_hpa_set_scales_the_deployment_with_autoscaling_v2() -> None:
    objs = objects(VALUE_SETS["hpa"])
    hpa = one(objs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": FULLNAME}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]}
    assert targets == {"cpu": 60, "memory": 80}
    assert hpa["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 300}}
    # The HPA owns the replica count.
    assert "replicas" not in one(objs, "Deployment")["spec"]
    assert server_container(objs)["image"] == "registry.example.com/support/entitlements@sha256:" + "ab" * 32


def test_otel_values_map_to_the_standard_variables() -> None:
    env = env_of(server_container(objects(VALUE_SETS["hpa"])))
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"] == "http://127.0.0.1:4317"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"]["value"] == "grpc"
    assert env["OTEL_SERVICE_NAME"]["value"] == FULLNAME
    assert env["OTEL_TRACES_SAMPLER"]["value"] == "parentbased_traceidratio"
    assert env["OTEL_TRACES_SAMPLER_ARG"]["value"] == "1.0"
    assert env["OTEL_EXPORTER_OTLP_HEADERS"]["valueFrom"]["secretKeyRef"] == {
        "name": "otel-headers",
        "key": "OTEL_EXPORTER_OTLP_HEADERS",
    }
    attrs = dict(kv.split("=", 1) for kv in env["OTEL_RESOURCE_ATTRIBUTES"]["value"].split(","))
    assert attrs["k8s.pod.name"] == "$(K8S_POD_NAME)"
    assert attrs["deployment.environment"] == "test"
    assert attrs["service.version"] == "0.1.0"
    names = list(env)
    assert names.index("K8S_POD_NAME") < names.index("OTEL_RESOURCE_ATTRIBUTES")
    # Off by default: no OTEL_* at all.
    assert not [n for n in env_of(server_container(objects({}))) if n.startswith("OTEL_")]


def test_mtls_set_mounts_the_certificates_and_configures_server_and_probes() -> None:
    objs = objects(VALUE_SETS["mtls"])
    c = server_container(objs)
    env = env_of(c)
    mount = next(m for m in c["volumeMounts"] if m["name"] == "tls")
    assert mount["readOnly"] is True
    base = mount["mountPath"]
    assert env["ENTITLEMENTS_TLS_CERT"]["value"] == f"{base}/server.crt"
    assert env["ENTITLEMENTS_TLS_KEY"]["value"] == f"{base}/server.key"
    assert env["ENTITLEMENTS_TLS_CLIENT_CA"]["value"] == f"{base}/client-ca.crt"
    assert env["ENTITLEMENTS_HEALTH_TLS_CA"]["value"] == f"{base}/ca.crt"
    assert env["ENTITLEMENTS_HEALTH_TLS_DOMAIN"]["value"] == f"{FULLNAME}.{NAMESPACE}.svc"
    volume = next(v for v in one(objs, "Deployment")["spec"]["template"]["spec"]["volumes"] if v["name"] == "tls")
    sources = {s["secret"]["name"]: {i["key"]: i["path"] for i in s["secret"]["items"]} for s in volume["projected"]["sources"]}
    assert sources == {
        TLS_SECRET: {"tls.crt": "server.crt", "tls.key": "server.key", "ca.crt": "ca.crt"},
        CLIENT_CA_SECRET: {"ca.crt": "client-ca.crt"},
        PROBE_CLIENT_SECRET: {"tls.crt": "probe.crt", "tls.key": "probe.key"},
    }
    # The test pod gets the CA and the client certificate, never the server's key.
    test_pod = one(objs, "Pod")
    [tv] = test_pod["spec"]["volumes"]
    paths = [i["path"] for s in tv["projected"]["sources"] for i in s["secret"]["items"]]
    assert sorted(paths) == ["ca.crt", "probe.crt", "probe.key"]
    # TLS alone (no client certificates): no client CA, no probe certificate.
    tls_only = copy.deepcopy(VALUE_SETS["mtls"])
    tls_only["tls"]["clientAuth"]["enabled"] = False
    c2 = server_container(objects(tls_only))
    assert "ENTITLEMENTS_TLS_CLIENT_CA" not in env_of(c2)
    assert "--tls-cert" not in c2["livenessProbe"]["exec"]["command"]
    assert "--tls-ca" in c2["livenessProbe"]["exec"]["command"]


def test_network_policy_admits_only_the_grpc_port_and_the_listed_clients() -> None:
    objs = objects(VALUE_SETS["existing-secret"])
    np = one(objs, "NetworkPolicy")
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    [rule] = np["spec"]["ingress"]
    assert rule["ports"] == [{"port": "grpc", "protocol": "TCP"}]
    client_label = {f"{FULLNAME}-client": "true"}
    assert rule["from"][0] == {"podSelector": {"matchLabels": client_label}}
    assert rule["from"][1]["namespaceSelector"]
    # The `helm test` pod carries the client label, so it gets through.
    test_pod = one(objs, "Pod")
    assert test_pod["metadata"]["labels"].items() >= client_label.items()
    assert np["spec"]["egress"][0]["ports"][0]["port"] == 53
    assert np["spec"]["egress"][1]["ports"] == [{"port": 5432, "protocol": "TCP"}]


def test_pdb_topology_spread_and_graceful_shutdown() -> None:
    objs = objects(VALUE_SETS["existing-secret"])
    pdb = one(objs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 2 and "maxUnavailable" not in pdb["spec"]
    deploy = one(objs, "Deployment")
    selector = deploy["spec"]["selector"]["matchLabels"]
    assert pdb["spec"]["selector"]["matchLabels"] == selector
    assert deploy["spec"]["replicas"] == 3
    spread = deploy["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert [s["topologyKey"] for s in spread] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    assert all(s["labelSelector"] == {"matchLabels": selector} for s in spread)
    c = server_container(objs)
    assert c["lifecycle"]["preStop"]["sleep"]["seconds"] == 5
    assert deploy["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 5


def test_dockerfile_matches_the_chart() -> None:
    """The chart runs the image the Dockerfile builds: same binary path, same non-root user."""
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM \S+ AS builder$", text, re.M)
    runtime = text.rsplit("\nFROM ", 1)[1]
    assert f'ENTRYPOINT ["{BINARY_IN_IMAGE}"]' in runtime
    assert re.search(rf"^COPY --from=builder \S+ {re.escape(BINARY_IN_IMAGE)}$", runtime, re.M)
    user = re.search(r"^USER (\d+):(\d+)$", runtime, re.M)
    assert user, "the runtime stage must run as a numeric non-root user"
    c = server_container(objects({}))
    assert int(user.group(1)) == c["securityContext"]["runAsUser"] != 0
    assert int(user.group(2)) == c["securityContext"]["runAsGroup"]
    assert re.search(r"^EXPOSE 50051$", runtime, re.M)


# ---------------------------------------------------------------------------------------
# The schema refuses bad values


BAD_VALUES = [
    ({"replicaCount": -1}, "/replicaCount"),
    ({"replicaCount": "2"}, "/replicaCount"),
    ({"replicaCount": 1.5}, "/replicaCount"),
    ({"databaseUrl": "postgres://app:secret@db:5432/app"}, "databaseUrl"),
    ({"database": {"url": "postgres://app:secret@db:5432/app"}}, "url"),
    ({"database": {"existingSecret": "postgres://app:secret@db:5432/app"}}, "/database/existingSecret"),
    ({"extraEnv": [{"name": "DATABASE_URL", "value": "postgres://app:secret@db/app"}]}, "/extraEnv/0/name"),
    ({"extraEnv": [{"name": "PG", "value": "postgresql://app:secret@db/app"}]}, "/extraEnv/0/value"),
    ({"service": {"port": 70000}}, "/service/port"),
    ({"containerPort": 80}, "/containerPort"),
    ({"service": {"type": "ExternalName"}}, "/service/type"),
    ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ({"image": {"digest": "latest"}}, "/image/digest"),
    ({"autoscaling": {"enabled": "yes"}}, "/autoscaling/enabled"),
    ({"autoscaling": {"minReplicas": 0}}, "/autoscaling/minReplicas"),
    ({"probes": {"liveness": {"periodSeconds": 0}}}, "/probes/liveness/periodSeconds"),
    ({"probes": {"readiness": {"service": "", "periodSeconds": 5, "timeoutSeconds": 1, "failureThreshold": 1, "initialDelay": 3}}}, "initialDelay"),
    ({"tls": {"enabled": True}}, "/tls/secretName"),
    ({"tls": {"clientAuth": {"enabled": True}}}, "/tls/enabled"),
    ({"tls": {"mountPath": "relative/path"}}, "/tls/mountPath"),
    ({"log": {"format": "xml"}}, "/log/format"),
    ({"otel": {"sampler": "sometimes"}}, "/otel/sampler"),
    ({"otel": {"endpoint": "otel-collector:4317"}}, "/otel/endpoint"),
    ({"otel": {"samplerArg": "2"}}, "/otel/samplerArg"),
    ({"podDisruptionBudget": {"maxUnavailable": -1}}, "/podDisruptionBudget/maxUnavailable"),
    ({"topologySpreadConstraints": [{"maxSkew": 1}]}, "/topologySpreadConstraints/0"),
    ({"networkPolicy": {"allowExternal": "false"}}, "/networkPolicy/allowExternal"),
    ({"nameOverride": "Not_A_Name"}, "/nameOverride"),
    ({"insecureAllowRemote": "yes"}, "/insecureAllowRemote"),
]


@pytest.mark.parametrize("values,where", BAD_VALUES, ids=[w for _, w in BAD_VALUES])
def test_the_schema_refuses_bad_values(values: dict[str, Any], where: str) -> None:
    with helm_python.Chart.load(CHART) as chart:
        with pytest.raises(helm_python.HelmValuesError) as err:
            chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert where in str(err.value)
    report = helm_python.lint(CHART, values, namespace=NAMESPACE)
    assert report["errors"], report


# Values the schema cannot judge alone (they depend on each other): the templates refuse
# them with a message that says what to do.
BAD_COMBINATIONS = [
    ({"replicaCount": 2}, "in-memory store cannot be shared between replicas"),
    ({"autoscaling": {"enabled": True}}, "in-memory store cannot be shared between replicas"),
    (
        {"database": {"existingSecret": DB_SECRET}, "autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}},
        "minReplicas is greater than autoscaling.maxReplicas",
    ),
    (
        {"database": {"existingSecret": DB_SECRET}, "autoscaling": {"enabled": True}, "resources": {"requests": {"cpu": None}}},
        "needs resources.requests.cpu",
    ),
    ({"podDisruptionBudget": {"minAvailable": 1}}, "exactly one of maxUnavailable and minAvailable"),
    ({"otel": {"enabled": True}}, "otel.enabled needs otel.endpoint"),
    ({"insecureAllowRemote": False}, "without mTLS the server only listens on loopback"),
]


@pytest.mark.parametrize("values,message", BAD_COMBINATIONS, ids=[m for _, m in BAD_COMBINATIONS])
def test_the_templates_refuse_inconsistent_values(values: dict[str, Any], message: str) -> None:
    with helm_python.Chart.load(CHART) as chart:
        with pytest.raises(helm_python.HelmRenderError) as err:
            chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert message in str(err.value)


def test_the_schema_accepts_the_documented_defaults() -> None:
    with helm_python.Chart.load(CHART) as chart:
        chart.validate_schema(chart.values)
        assert chart.metadata["apiVersion"] == "v2"
        for values in VALUE_SETS.values():
            chart.validate_schema(chart.merge_values(values))


# ---------------------------------------------------------------------------------------
# The rendered Deployment runs for real


def binary() -> Path:
    path = Path(os.environ.get("ENTITLEMENTS_BIN") or ROOT / "target" / "debug" / "entitlements")
    assert path.is_file() and os.access(path, os.X_OK), (
        f"{path} is not an executable: run `cargo build` first, or set ENTITLEMENTS_BIN"
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url: str, sql: str) -> None:
    res = subprocess.run(
        ["psql", url, "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, f"psql {sql!r}: {res.stderr}"


class FreshDatabase:
    """A new database next to the one ENTITLEMENTS_TEST_DATABASE_URL names."""

    def __init__(self) -> None:
        admin = os.environ.get("ENTITLEMENTS_TEST_DATABASE_URL")
        if not admin:
            pytest.fail(
                "ENTITLEMENTS_TEST_DATABASE_URL is not set: point it at a Postgres whose user may "
                "create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres "
                "(`bash .ci/test` sets it)"
            )
        self.admin = admin
        self.name = "entitlements_helm_" + uuid.uuid4().hex[:12]
        parts = urllib.parse.urlsplit(admin)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))
        psql(admin, f"CREATE DATABASE {self.name}")

    def refuse_connections(self) -> None:
        """Takes the database away from the server, as an outage would."""
        psql(self.admin, f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS false")
        psql(
            self.admin,
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'",
        )

    def drop(self) -> None:
        psql(self.admin, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def make_certificates(d: Path, server_name: str) -> dict[str, dict[str, str]]:
    """Two CAs (servers, clients), a server certificate and a probe client certificate, as
    the Secrets cert-manager would write (tls.crt, tls.key, ca.crt)."""

    def run(*args: str) -> None:
        res = subprocess.run(["openssl", *args], cwd=d, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr

    def key(name: str) -> None:
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key")

    def ca(name: str) -> None:
        key(name)
        run("req", "-x509", "-new", "-key", f"{name}.key", "-sha256", "-days", "2", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", f"{name}.crt")

    def leaf(name: str, issuer: str, ext: str) -> None:
        key(name)
        run("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-out", f"{name}.csr")
        (d / f"{name}.ext").write_text(ext)
        run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.crt", "-CAkey", f"{issuer}.key",
            "-CAcreateserial", "-sha256", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt")

    ca("server-ca")
    ca("client-ca")
    leaf("server", "server-ca",
         f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
         f"extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{server_name}\n")
    leaf("probe", "client-ca",
         "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    read = lambda f: (d / f).read_text()  # noqa: E731
    return {
        TLS_SECRET: {"tls.crt": read("server.crt"), "tls.key": read("server.key"), "ca.crt": read("server-ca.crt")},
        CLIENT_CA_SECRET: {"ca.crt": read("client-ca.crt")},
        PROBE_CLIENT_SECRET: {"tls.crt": read("probe.crt"), "tls.key": read("probe.key")},
    }


class Kubelet:
    """Just enough of the kubelet to run one rendered pod's containers on this machine."""

    def __init__(self, secrets: dict[str, dict[str, str]], workdir: Path) -> None:
        self.secrets = secrets
        self.workdir = workdir
        self.fields = {
            "metadata.name": f"{FULLNAME}-7c9d8f6b5-x2x4q",
            "metadata.namespace": NAMESPACE,
            "spec.nodeName": "node-a",
        }

    def env(self, container: dict[str, Any]) -> dict[str, str]:
        """The container's environment, and nothing else (not this process's)."""
        env: dict[str, str] = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        for e in container.get("env", []):
            if "value" in e:
                # $(VAR) refers to a variable defined earlier; $$ escapes.
                env[e["name"]] = re.sub(
                    r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                    lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
                    e["value"],
                )
            elif "secretKeyRef" in e["valueFrom"]:
                ref = e["valueFrom"]["secretKeyRef"]
                secret = self.secrets.get(ref["name"])
                assert secret is not None and ref["key"] in secret, (
                    f"CreateContainerConfigError: secret {ref['name']} has no key {ref['key']}"
                )
                env[e["name"]] = secret[ref["key"]]
            elif "fieldRef" in e["valueFrom"]:
                env[e["name"]] = self.fields[e["valueFrom"]["fieldRef"]["fieldPath"]]
            else:
                pytest.fail(f"env {e['name']}: unsupported source {e['valueFrom']}")
        return env

    def mount(self, pod: dict[str, Any], container: dict[str, Any]) -> None:
        """Writes the projected Secret volumes where the container mounts them."""
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for m in container.get("volumeMounts", []):
            v = volumes[m["name"]]
            if "emptyDir" in v:
                continue  # scratch space the binary does not need here
            assert "projected" in v, f"volume {m['name']}: only projected Secrets are emulated"
            target = Path(m["mountPath"])
            assert target.is_relative_to(self.workdir), f"mount {target} outside the test's directory"
            target.mkdir(parents=True, exist_ok=True)
            for source in v["projected"]["sources"]:
                secret = self.secrets.get(source["secret"]["name"])
                assert secret is not None, f"volume {m['name']}: no Secret {source['secret']['name']}"
                for item in source["secret"]["items"]:
                    assert item["key"] in secret, f"Secret {source['secret']['name']} has no key {item['key']}"
                    (target / item["path"]).write_text(secret[item["key"]])

    @staticmethod
    def command(container: dict[str, Any]) -> list[str]:
        """command (default: the image's ENTRYPOINT) + args, with the image's binary
        mapped to the one under test."""
        cmd = list(container.get("command") or [BINARY_IN_IMAGE]) + list(container.get("args", []))
        assert cmd[0] == BINARY_IN_IMAGE, cmd
        return [str(binary()), *cmd[1:]]

    def run_to_completion(self, pod: dict[str, Any], timeout: float) -> subprocess.CompletedProcess[str]:
        [container] = pod["containers"]
        self.mount(pod, container)
        return subprocess.run(
            self.command(container), env=self.env(container), capture_output=True, text=True, timeout=timeout
        )


class RunningServer:
    def __init__(self, kubelet: Kubelet, pod: dict[str, Any], log: Path) -> None:
        [self.container] = pod["containers"]
        self.kubelet = kubelet
        self.pod = pod
        self.log = log
        kubelet.mount(pod, self.container)
        self.env = kubelet.env(self.container)
        self.port = self.container["ports"][0]["containerPort"]
        self.proc = subprocess.Popen(
            kubelet.command(self.container), env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def logs(self) -> str:
        return self.log.read_text()[-4000:]

    def probe_once(self, probe: dict[str, Any]) -> tuple[bool, str]:
        """One probe attempt, as the kubelet makes it."""
        assert self.proc.poll() is None, f"the server exited ({self.proc.returncode}):\n{self.logs()}"
        timeout = probe["timeoutSeconds"]
        if "grpc" in probe:
            port = probe["grpc"]["port"]
            assert port == self.port
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                try:
                    resp = health_pb2_grpc.HealthStub(channel).Check(
                        health_pb2.HealthCheckRequest(service=probe["grpc"].get("service", "")), timeout=timeout
                    )
                except grpc.RpcError as e:
                    return False, f"{e.code()}: {e.details()}"
            return resp.status == health_pb2.HealthCheckResponse.SERVING, str(resp.status)
        if "exec" in probe:
            cmd = probe["exec"]["command"]
            assert cmd[0] == BINARY_IN_IMAGE, cmd
            try:
                res = subprocess.run(
                    [str(binary()), *cmd[1:]], env=self.env, capture_output=True, text=True, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                return False, "timed out"
            if res.returncode == 2 and "Usage:" in res.stderr:
                # clap refused the command line: no retry would ever pass.
                pytest.fail(f"the binary does not accept the probe's command {cmd}:\n{res.stderr}")
            return res.returncode == 0, f"exit {res.returncode}: {res.stdout}{res.stderr}"
        pytest.fail(f"unsupported probe {probe}")

    def wait_started(self) -> None:
        """The startup probe: success within failureThreshold x periodSeconds (tried more
        often than the kubelet would, to keep the test quick)."""
        probe = self.container["startupProbe"]
        deadline = time.monotonic() + probe["failureThreshold"] * probe["periodSeconds"]
        last = ""
        while time.monotonic() < deadline:
            ok, last = self.probe_once(probe)
            if ok:
                return
            time.sleep(0.2)
        pytest.fail(f"startup probe never passed ({last}):\n{self.logs()}")

    def check(self, name: str) -> None:
        probe = self.container[name]
        ok, detail = self.probe_once(probe)
        assert ok, f"{name} failed: {detail}\n{self.logs()}"

    def terminate(self) -> int:
        """SIGTERM, then up to terminationGracePeriodSeconds to exit."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=self.pod["terminationGracePeriodSeconds"])
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the server ignored SIGTERM for the grace period:\n{self.logs()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port` (from /proc/net)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:
                    found.add(addr)
    return found


ANY_ADDRESS = {"00000000", "0" * 32}  # 0.0.0.0 and ::


def service_target(objs: list[dict[str, Any]], addr: str) -> str:
    """What the cluster's Service DNS name and port lead to: the pod's named container port
    (here, on loopback)."""
    url = urllib.parse.urlsplit(addr)
    svc = next(o for o in objs if o["kind"] == "Service" and url.hostname == f"{o['metadata']['name']}.{NAMESPACE}.svc")
    [port] = [p for p in svc["spec"]["ports"] if p["port"] == url.port]
    [cport] = [p for p in server_container(objs)["ports"] if p["name"] == port["targetPort"]]
    return urllib.parse.urlunsplit(url._replace(netloc=f"127.0.0.1:{cport['containerPort']}"))


@pytest.mark.parametrize("name", VALUE_SETS)
def test_the_rendered_deployment_runs_and_passes_its_probes(name: str, tmp_path: Path) -> None:
    values = copy.deepcopy(VALUE_SETS[name])
    # Only what a laptop needs differently from a pod: a free port (for all of the
    # rendered objects: env, ports, probes), and the TLS mount inside the test directory.
    values["containerPort"] = free_port()
    if "tls" in values:
        values["tls"]["mountPath"] = str(tmp_path / "tls")
    objs = objects(values)
    secrets: dict[str, dict[str, str]] = {"otel-headers": {"OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=test"}}
    if values.get("tls", {}).get("enabled"):
        certs = tmp_path / "certs"
        certs.mkdir()
        secrets |= make_certificates(certs, f"{FULLNAME}.{NAMESPACE}.svc")
    db = FreshDatabase() if values.get("database") else None
    server: RunningServer | None = None
    try:
        if db is not None:
            secrets[DB_SECRET] = {values["database"]["secretKey"]: db.url}
        kubelet = Kubelet(secrets, tmp_path)

        jobs = [o for o in objs if o["kind"] == "Job"]
        assert len(jobs) == (1 if db else 0)
        for job in jobs:
            pod = job["spec"]["template"]["spec"]
            # pre-install, then pre-upgrade on the migrated database.
            for phase in ("install", "upgrade"):
                res = kubelet.run_to_completion(pod, timeout=job["spec"]["activeDeadlineSeconds"])
                assert res.returncode == 0, f"migration Job ({phase}) failed:\n{res.stdout}{res.stderr}"

        deployment = one(objs, "Deployment")
        server = RunningServer(kubelet, deployment["spec"]["template"]["spec"], tmp_path / "server.log")
        server.wait_started()
        # A pod is reached on its own IP (kubelet probes, the Service), never on loopback:
        # the rendered configuration must make the server listen on every address.
        assert listening_addresses(server.port) & ANY_ADDRESS, (
            f"not listening on all addresses: {listening_addresses(server.port)}\n{server.logs()}"
        )
        server.check("livenessProbe")
        server.check("readinessProbe")

        # `helm test`: the test pod's command, through the Service.
        test_pod = one(objs, "Pod")["spec"]
        [tc] = test_pod["containers"]
        args = list(tc["args"])
        i = args.index("--addr") + 1
        args[i] = service_target(objs, args[i])
        kubelet.mount(test_pod, tc)
        res = subprocess.run(
            [str(binary()), *args], env=kubelet.env(tc), capture_output=True, text=True, timeout=30
        )
        assert res.returncode == 0, f"helm test failed: {res.stdout}{res.stderr}\n{server.logs()}"

        if values.get("tls", {}).get("clientAuth", {}).get("enabled"):
            # mTLS is really on: without a client certificate, and in plaintext, no answer.
            no_cert = list(args)
            for flag in ("--tls-cert", "--tls-key"):
                j = no_cert.index(flag)
                del no_cert[j : j + 2]
            res = subprocess.run([str(binary()), *no_cert], env={}, capture_output=True, text=True, timeout=30)
            assert res.returncode != 0, f"served a client without a certificate: {res.stdout}"
            plain = {"grpc": {"port": server.port, "service": ""}, "timeoutSeconds": 3}
            ok, detail = server.probe_once(plain)
            assert not ok, f"answered plaintext gRPC under mTLS: {detail}"

        if db is not None:
            # Postgres goes away. Once the server has noticed (its write services turn
            # NOT_SERVING), liveness must keep passing (no restart storm) and so must
            # readiness (reads go on from memory, so the pods stay behind the Service).
            write_service = {"grpc": {"port": server.port, "service": "entitlements.v1.ContractService"}}
            if values.get("tls", {}).get("enabled"):
                write_service = copy.deepcopy(server.container["livenessProbe"])
                cmd = write_service["exec"]["command"]
                cmd[cmd.index("--service") + 1] = "entitlements.v1.ContractService"
            write_service["timeoutSeconds"] = 3
            ok, detail = server.probe_once(write_service)
            assert ok, f"the write services are not SERVING before the outage: {detail}"
            db.refuse_connections()
            deadline = time.monotonic() + 30
            while server.probe_once(write_service)[0]:
                assert time.monotonic() < deadline, "the write services still SERVING 30 s into the outage"
                time.sleep(0.2)
            for _ in range(3):
                server.check("livenessProbe")
                server.check("readinessProbe")
                time.sleep(0.5)

        code = server.terminate()
        assert code == 0, f"exit code {code} after SIGTERM:\n{server.logs()}"
    finally:
        if server is not None:
            server.kill()
        if db is not None:
            db.drop()
