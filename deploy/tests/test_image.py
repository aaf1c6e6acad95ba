"""The built image, and the chart's Deployment container running in it against a real PostgreSQL."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.tests.support import (
    VERSION,
    Pod,
    http_get,
    one,
    pod_spec,
    podman,
    readable_files,
    render,
    started,
    wait_http,
    writable_dir,
)
from tests.support.postgres import free_port

TOKEN = "deploy-test-admin-token-0123456789"
HEAD = "580a6553186f"


def test_image_metadata(image: str) -> None:
    """Non-root user, exec-form entrypoint, SIGTERM as stop signal, OCI labels naming the version and the base."""
    config = json.loads(podman("image", "inspect", image).stdout)[0]
    assert config["Config"]["User"] == "10001:10001"
    assert config["Config"]["Entrypoint"] == ["argilla-maint"] and config["Config"]["Cmd"] == ["serve"]
    assert config["Config"].get("StopSignal", "SIGTERM") == "SIGTERM"
    labels = config["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.base.name"] == "docker.io/library/debian:bookworm-slim"


def test_image_holds_the_locked_set_and_no_build_leftovers(image: str) -> None:
    """The image's packages are exactly the runtime lock's; no wheels, pip or build backend are left in it."""
    script = (
        "import importlib.metadata as m, pathlib, sys;"
        'print(sorted(f\'{d.metadata["Name"].lower().replace("_", "-")}=={d.version}\' for d in m.distributions()));'
        "print(sorted(str(p) for p in pathlib.Path('/').glob('*/**/*.whl') if not str(p).startswith('/proc')))"
    )
    done = podman(
        "run",
        "--rm",
        "--runtime",
        "runc",
        "--ulimit",
        "nofile=20000:20000",
        "--ulimit",
        "nproc=4096:4096",
        "--network",
        "host",
        "--entrypoint",
        "python3",
        image,
        "-c",
        script,
        timeout=180,
    )
    installed_line, wheels_line = done.stdout.strip().splitlines()[-2:]
    installed = set(eval(installed_line))
    lock = Path(__file__).resolve().parents[2] / "requirements" / "runtime.lock"
    locked = {
        line.split(" ")[0].strip().lower().replace("_", "-")
        for line in lock.read_text().splitlines()
        if "==" in line and not line.startswith(" ") and "sys_platform == 'win32'" not in line
    }
    locked -= {p for p in locked if p.startswith(("setuptools==", "colorama=="))}
    assert installed - {f"argilla-maintenance=={VERSION}"} == locked
    assert wheels_line == "[]"
    assert not [p for p in installed if p.startswith(("pip==", "setuptools=="))]


@pytest.fixture
def server(helm: Path, image: str, postgres_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The chart's Deployment container with its env, mounts and security context, on a free loopback port."""
    deployment = one(render(helm, {}), "Deployment")
    spec = pod_spec(deployment)
    container = spec["containers"][0]
    port = free_port()
    # The only change: the port, so concurrent runs on one machine do not collide (host networking).
    container["env"] = [
        e if e["name"] != "ARGILLA_MAINT_PORT" else {"name": e["name"], "value": str(port)} for e in container["env"]
    ]
    pod = Pod(
        secrets={("argilla-db", "databaseUrl"): postgres_url},
        volumes={
            "tmp": writable_dir(tmp_path, "tmp"),
            "tokens": readable_files(tmp_path, "tokens", {"tokens": f"deploy:{TOKEN}\n"}),
        },
    )
    name = f"am-server-{port}"
    with started(container, spec["securityContext"], pod, name=name):
        yield {"url": f"http://127.0.0.1:{port}", "name": name, "container": container, "spec": spec}


def test_deployment_container_answers_its_probes(server: dict[str, Any]) -> None:
    """startupProbe, livenessProbe and readinessProbe paths answer 200 within the chart's startup budget."""
    container, base = server["container"], server["url"]
    startup = container["startupProbe"]
    budget = startup["periodSeconds"] * startup["failureThreshold"]
    status, headers, body = wait_http(base + startup["httpGet"]["path"], timeout=budget)
    assert body == {"status": "ok", "version": VERSION, "checks": {}}
    assert headers["x-argilla-maintenance-version"] == VERSION
    for probe in ("livenessProbe", "readinessProbe"):
        started_at = time.monotonic()
        status, _, body = http_get(base + container[probe]["httpGet"]["path"], timeout=container[probe]["timeoutSeconds"])
        assert status == 200 and time.monotonic() - started_at < container[probe]["timeoutSeconds"], (probe, body)
    assert http_get(base + "/readyz")[2]["checks"] == {"database": "ok", "search_engine": "not configured"}


def test_running_container_migrates_and_is_locked_down(server: dict[str, Any]) -> None:
    """In the container: uid 10001, PID 1 is the server, read-only root with a writable /tmp, revisions, POST /migrate."""
    name, base = server["name"], server["url"]
    wait_http(base + "/readyz", timeout=120)
    assert podman("exec", name, "id", "-u").stdout.strip() == "10001"
    assert "argilla-maint" in podman("exec", name, "cat", "/proc/1/cmdline").stdout
    assert podman("exec", name, "touch", "/opt/argilla-maint/x", check=False).returncode != 0
    assert podman("exec", name, "touch", "/var/lib/argilla/x", check=False).returncode != 0
    assert podman("exec", name, "touch", "/tmp/x", check=False).returncode == 0
    revisions = podman("exec", name, "argilla-maint", "database", "revisions", "--json")
    assert json.loads(revisions.stdout)["current"] == []
    request = urllib.request.Request(
        base + "/migrate",
        data=b'{"revision": "head"}',
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "Prefer": "wait=60"},
    )
    with urllib.request.urlopen(request, timeout=90) as response:
        operation = json.loads(response.read())
    assert response.status == 200 and operation["status"] == "succeeded" and operation["to_revision"] == HEAD
    revisions = podman("exec", name, "argilla-maint", "database", "revisions", "--json")
    assert json.loads(revisions.stdout)["current"][0]["revision"] == HEAD


def test_sigterm_stops_the_server_cleanly_within_the_grace_period(server: dict[str, Any]) -> None:
    """SIGTERM (what the kubelet sends) ends the server with status 0 well within terminationGracePeriodSeconds."""
    name = server["name"]
    wait_http(server["url"] + "/livez", timeout=120)
    grace = server["spec"]["terminationGracePeriodSeconds"]
    started_at = time.monotonic()
    podman("kill", "--signal", "TERM", name)
    podman("wait", name, timeout=grace + 30)
    seconds = time.monotonic() - started_at
    state = json.loads(podman("inspect", name).stdout)[0]["State"]
    assert state["ExitCode"] == 0 and seconds < grace, (state, seconds)
