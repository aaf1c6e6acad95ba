"""Helpers of the deployment checks: render the chart, validate it, run a rendered container in the image."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import IN_CI

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "argilla-maintenance"
CACHE = Path(os.environ.get("ARGILLA_MAINT_CACHE", Path.home() / ".cache" / "argilla-maint"))
HELM = CACHE / "bin" / "helm-v3.21.4"
VALIDATOR = CACHE / "bin" / "argilla-validate"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
IMAGE = os.environ.get("ARGILLA_MAINT_IMAGE", f"localhost/argilla-maintenance:{VERSION}")
KUBE_VERSION = "1.36.2"
# The same storage deploy/image.sh builds into; runc and explicit ulimits are what run on these machines.
STORAGE = ["--storage-driver", "vfs", "--root", str(CACHE / "deploy" / "storage"), "--runroot", "/run/argilla-maint-containers"]
RUN_FLAGS = ["--runtime", "runc", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096", "--network", "host"]
# What the tests put in the Secrets the chart names (required values).
SECRETS_VALUES = {"database": {"existingSecret": "argilla-db"}, "tokens": {"existingSecret": "argilla-maint-tokens"}}


def tool_missing(what: str) -> None:
    """Missing tools fail the run in CI and skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is not available (CI=true: the deployment checks need it)", pytrace=False)
    pytest.skip(f"{what} is not available")


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    if shutil.which("podman") is None:
        tool_missing("podman")
    return subprocess.run(["podman", *STORAGE, *args], capture_output=True, text=True, timeout=timeout, check=check)


def image_exists() -> bool:
    if shutil.which("podman") is None:
        return False
    return podman("image", "exists", IMAGE, check=False).returncode == 0


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def helm_template(
    helm: Path, values: dict[str, Any], *, release: str = "rel", namespace: str = "maint", extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        json.dump(values, handle)
    try:
        return subprocess.run(
            [
                str(helm),
                "template",
                release,
                str(CHART),
                "--namespace",
                namespace,
                "--kube-version",
                KUBE_VERSION,
                "-f",
                handle.name,
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.unlink(handle.name)


def render(helm: Path, values: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
    """The chart's documents for these values (merged over the required Secret names)."""
    done = helm_template(helm, merge(SECRETS_VALUES, values), **kwargs)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def rendered_text(helm: Path, values: dict[str, Any], **kwargs: Any) -> str:
    done = helm_template(helm, merge(SECRETS_VALUES, values), **kwargs)
    assert done.returncode == 0, done.stderr
    return done.stdout


def validate(validator: Path, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(validator)], input=text, capture_output=True, text=True, timeout=120)


def one(docs: list[dict[str, Any]], kind: str, component: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in docs
        if d["kind"] == kind and (component is None or d["metadata"]["labels"].get("app.kubernetes.io/component") == component)
    ]
    assert len(found) == 1, [f"{d['kind']}/{d['metadata']['name']}" for d in docs]
    return found[0]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


@dataclass
class Pod:
    """What Kubernetes would hand the container: Secret values, downward API fields, volume contents."""

    secrets: dict[tuple[str, str], str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, Path] = field(default_factory=dict)


def container_env(container: dict[str, Any], pod: Pod) -> dict[str, str]:
    """The container's environment as the kubelet resolves it (values, secretKeyRef, fieldRef); a miss is an error."""
    env: dict[str, str] = {}
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
        elif "secretKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = pod.secrets[(ref["name"], ref["key"])]
        elif "fieldRef" in entry.get("valueFrom", {}):
            env[entry["name"]] = pod.fields[entry["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            raise AssertionError(f"env entry the tests cannot resolve: {entry}")
    return env


def podman_run_args(container: dict[str, Any], pod_security: dict[str, Any], pod: Pod, name: str) -> list[str]:
    """``podman run`` arguments that apply the rendered container: command, args, env, mounts, security context."""
    sc = {**pod_security, **container.get("securityContext", {})}
    args = ["run", "--name", name, *RUN_FLAGS, "--user", f"{sc['runAsUser']}:{sc['runAsGroup']}"]
    if sc.get("readOnlyRootFilesystem"):
        # Kubernetes adds no tmpfs of its own: only the chart's emptyDir volumes are writable.
        args += ["--read-only", "--read-only-tmpfs=false"]
    if "ALL" in sc.get("capabilities", {}).get("drop", []):
        args += ["--cap-drop", "ALL"]
    if sc.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    for key, value in container_env(container, pod).items():
        args += ["--env", f"{key}={value}"]
    for mount in container.get("volumeMounts", []):
        source = pod.volumes[mount["name"]]
        args += ["--volume", f"{source}:{mount['mountPath']}:{'ro' if mount.get('readOnly') else 'rw'}"]
    command = container.get("command") or []
    if command:
        args += ["--entrypoint", command[0]]
    args.append(IMAGE)
    return args + list(command[1:]) + list(container.get("args") or [])


def writable_dir(parent: Path, name: str) -> Path:
    """An emptyDir: writable by the pod's uid (fsGroup) and nobody else's business."""
    path = parent / name
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o1777)
    return path


def readable_files(parent: Path, name: str, files: dict[str, str]) -> Path:
    """A Secret or ConfigMap volume: the listed files, readable by the pod's uid."""
    path = parent / name
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    for file_name, content in files.items():
        (path / file_name).write_text(content)
        (path / file_name).chmod(0o644)
    return path


@dataclass
class Ran:
    code: int
    output: str
    seconds: float


def run_rendered(container: dict[str, Any], pod_security: dict[str, Any], pod: Pod, *, name: str, timeout: float = 300) -> Ran:
    """Run a rendered container to completion; its exit status and its output (stdout and stderr)."""
    podman("rm", "-f", name, check=False)
    started = time.monotonic()
    done = podman(*podman_run_args(container, pod_security, pod, name), timeout=timeout, check=False)
    seconds = time.monotonic() - started
    podman("rm", "-f", name, check=False)
    return Ran(done.returncode, done.stdout + done.stderr, seconds)


@contextlib.contextmanager
def started(container: dict[str, Any], pod_security: dict[str, Any], pod: Pod, *, name: str) -> Iterator[str]:
    """Start a rendered container in the background; stop and remove it after."""
    podman("rm", "-f", name, check=False)
    args = podman_run_args(container, pod_security, pod, name)
    podman(args[0], "--detach", *args[1:])
    try:
        yield name
    finally:
        podman("rm", "-f", "--time", "5", name, check=False, timeout=60)


def http_get(url: str, timeout: float = 3.0) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, json.loads(exc.read() or b"null")


def wait_http(url: str, status: int = 200, timeout: float = 60.0) -> tuple[int, dict[str, str], Any]:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            last = http_get(url)
            if last[0] == status:
                return last
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s (last: {last})")
