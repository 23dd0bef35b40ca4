"""deploy/kubernetes/: every manifest valid against the Kubernetes JSON schemas (offline,
from the kubernetes-validate package), and wired together: probes on the health
endpoints, Services that select a Deployment's pods, apps reaching PostgreSQL through
PgBouncer, routers pointed at the app Services and reading flags from Unleash."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"
FILES = sorted(p for p in ROOT.glob("*.yaml") if p.name != "kustomization.yaml")


def documents() -> list[dict[str, Any]]:
    return [doc for path in FILES for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment["spec"]["template"]["spec"]["containers"][0])


@pytest.mark.parametrize(
    "doc",
    [pytest.param(d, id=f"{d['kind']}/{d['metadata']['name']}") for d in documents()],
)
def test_manifest_is_valid_against_the_schema(doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_an_invalid_manifest_is_caught():
    broken = by_kind("Deployment")["router"] | {"spec": {"replicas": "three"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest():
    listed = yaml.safe_load((ROOT / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in FILES]


@pytest.mark.parametrize(
    ("name", "ready", "live"),
    [
        pytest.param("legacy", "/readyz", "/healthz", id="legacy"),
        pytest.param("new", "/readyz", "/healthz", id="new"),
        pytest.param("router", "/_strangler/readyz", "/_strangler/healthz", id="router"),
        pytest.param("unleash", "/health", "/health", id="unleash"),
    ],
)
def test_probes_use_the_health_endpoints(name, ready, live):
    spec = container(by_kind("Deployment")[name])
    assert spec["readinessProbe"]["httpGet"]["path"] == ready
    assert spec["livenessProbe"]["httpGet"]["path"] == live


@pytest.mark.parametrize(
    "name", [pytest.param(n, id=n) for n in ("legacy", "new", "router", "pgbouncer", "unleash")]
)
def test_service_selects_its_deployment_and_port(name):
    service, deployment = by_kind("Service")[name], by_kind("Deployment")[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for p in container(deployment)["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_router_config_points_at_the_services_and_unleash():
    config = tomllib.loads(by_kind("ConfigMap")["strangler-config"]["data"]["strangler.toml"])
    services = by_kind("Service")
    assert config["router"]["mode"] == "remote"
    for side in ("legacy", "new"):
        port = services[side]["spec"]["ports"][0]["port"]
        assert config["router"][f"{side}_url"] == f"http://{side}:{port}"
    assert config["flags"]["provider"] == "unleash"
    assert config["flags"]["unleash_url"].startswith("http://unleash:")


def test_pgbouncer_fronts_postgres_with_transaction_pooling():
    env = {e["name"]: e.get("value") for e in container(by_kind("Deployment")["pgbouncer"])["env"]}
    assert env["POSTGRESQL_HOST"] in by_kind("Service")
    assert env["PGBOUNCER_POOL_MODE"] == "transaction"
    assert int(env["PGBOUNCER_MAX_PREPARED_STATEMENTS"]) > 0  # asyncpg prepares statements


def test_apps_trust_one_forwarding_hop_and_only_the_router_reaches_them():
    deployments = by_kind("Deployment")
    legacy, new = container(deployments["legacy"]), container(deployments["new"])
    assert legacy["command"][-1] == "strangler.deploy.legacy_entry:app"
    assert {"name": "STRANGLER_LEGACY_APP", "value": "legacy_flask.wsgi:app"} in legacy["env"]
    assert "--proxy-headers" in new["command"]
    policy = by_kind("NetworkPolicy")["apps-only-from-router"]["spec"]
    guarded = set(policy["podSelector"]["matchExpressions"][0]["values"])
    assert guarded == {"legacy", "new"}
    (rule,) = policy["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "router"}}}]
    ports = {
        p["containerPort"] for d in ("legacy", "new") for p in container(deployments[d])["ports"]
    }
    assert ports == {p["port"] for p in rule["ports"]}
