"""One ``strangler up`` stack shared by the deployment tests of a module, and a second
router started with the Kubernetes manifest's own command in front of the same apps."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.deploy.stack import ROOT, Stack, running_up, wait_for
from tests.fixtures.rollout import free_port

MANIFEST = ROOT / "deploy" / "kubernetes" / "router.yaml"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Stack]:
    with running_up(tmp_path_factory.mktemp("up"), database_url) as running:
        yield running


def manifest_command(port: int) -> list[str]:
    """The router container's command, on a free loopback port with this interpreter."""
    documents = yaml.safe_load_all(MANIFEST.read_text())
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    command = list(deployment["spec"]["template"]["spec"]["containers"][0]["command"])
    swapped = {"python": sys.executable, "0.0.0.0": "127.0.0.1", "8000": str(port)}
    return [swapped.get(arg, arg) for arg in command]


@pytest.fixture(scope="module")
def second_router(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    config: Path = tmp_path_factory.mktemp("second") / "strangler.toml"
    config.write_text('[flags]\nprovider = "embedded"\n')
    env = {
        **os.environ,
        "STRANGLER_CONFIG": str(config),
        "STRANGLER_MODE": "remote",
        # A router names its apps (remote: for their route tables); it assumes none.
        "STRANGLER_LEGACY_APP": "legacy_flask.wsgi:app",
        "STRANGLER_NEW_APP": "fastapi_app.main:app",
        "STRANGLER_LEGACY_URL": stack.legacy_url,
        "STRANGLER_NEW_URL": stack.new_url,
    }
    process = subprocess.Popen(manifest_command(port), cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/_strangler/readyz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
