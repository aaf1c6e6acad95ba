"""The Helm chart: lint, renderings over a matrix of values validated as an API server would, and their promises."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.tests.support import CHART, KUBE_VERSION, SECRETS_VALUES, helm_template, merge, one, pod_spec, render, validate

LONG_RELEASE = "release-" + "x" * 45  # 53 characters: the longest name Helm accepts
MATRIX: dict[str, tuple[str, dict[str, Any]]] = {
    "defaults": ("rel", {}),
    "hooks-off": ("rel", {"hooks": {"enabled": False}}),
    "search-on": ("rel", {"search": {"engine": "opensearch", "existingSecret": "argilla-search", "urlKey": "url"}}),
    "reindex-hook": ("rel", {"search": {"existingSecret": "argilla-search"}, "reindex": {"enabled": True}}),
    "long-release-name": (LONG_RELEASE, {"reindex": {"enabled": True}, "search": {"existingSecret": "s"}}),
    "custom-image": (
        "rel",
        {
            "image": {"repository": "registry.example.com/team/argilla-maintenance", "tag": "2026.12.1", "pullPolicy": "Always"},
            "imagePullSecrets": [{"name": "regcred"}],
        },
    ),
    "digest": ("rel", {"image": {"digest": "sha256:" + "a" * 64}}),
    "replicas-3": ("rel", {"replicas": 3, "podDisruptionBudget": {"minAvailable": 2}}),
    "extra-env": (
        "rel",
        {
            "extraEnv": [
                {"name": "ARGILLA_ES_RECORDS_INDEX_SHARDS", "value": "3"},
                {"name": "ARGILLA_ELASTICSEARCH_CA_PATH", "value": "/etc/search-ca/ca.crt"},
            ],
            "envFrom": [{"configMapRef": {"name": "argilla-settings"}}],
            "extraVolumes": [{"name": "search-ca", "secret": {"secretName": "search-ca"}}],
            "extraVolumeMounts": [{"name": "search-ca", "mountPath": "/etc/search-ca", "readOnly": True}],
        },
    ),
    "http-mode": ("rel", {"migration": {"mode": "http"}}),
    "scheduling": (
        "rel",
        {
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "maint", "effect": "NoSchedule"}],
            "affinity": {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 50,
                            "podAffinityTerm": {
                                "topologyKey": "kubernetes.io/hostname",
                                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "argilla-maintenance"}},
                            },
                        }
                    ]
                }
            },
            "podAnnotations": {"prometheus.io/scrape": "true"},
            "priorityClassName": "maintenance",
        },
    ),
}


def docs_of(helm: Path, case: str) -> list[dict[str, Any]]:
    release, values = MATRIX[case]
    return render(helm, values, release=release)


def pods(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in ("Deployment", "Job")]


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_lint_strict(helm: Path, case: str, tmp_path: Path) -> None:
    """`helm lint --strict` passes for every case of the matrix."""
    _release, values = MATRIX[case]
    values_file = tmp_path / "values.yaml"
    values_file.write_text(yaml.safe_dump(merge(SECRETS_VALUES, values)))
    done = subprocess.run(
        [str(helm), "lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION, "-f", str(values_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_rendering_passes_the_validator(helm: Path, validator: Path, case: str) -> None:
    """Every rendering decodes strictly, passes the API server's create validation and Pod Security restricted."""
    release, values = MATRIX[case]
    done = helm_template(helm, merge(SECRETS_VALUES, values), release=release)
    assert done.returncode == 0, done.stderr
    checked = validate(validator, done.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 failed" in checked.stdout and "FAIL" not in checked.stdout


def mutated(helm: Path, change: Any) -> str:
    docs = render(helm, {})
    changed = copy.deepcopy(docs)
    change(changed)
    return yaml.safe_dump_all(changed)


def deployment_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return one(docs, "Deployment")


NEGATIVE_CONTROLS: dict[str, tuple[Any, str]] = {
    "unknown-field": (lambda d: deployment_of(d)["spec"].update(replica=2), 'unknown field "spec.replica"'),
    "name-over-63": (
        lambda d: one(d, "Service")["metadata"].update(name="s" * 64),
        "metadata.name",
    ),
    "privileged": (
        lambda d: pod_spec(deployment_of(d))["containers"][0]["securityContext"].update(privileged=True),
        "privileged",
    ),
    "runs-as-root": (
        lambda d: pod_spec(deployment_of(d))["containers"][0]["securityContext"].update(runAsUser=0),
        "runAsUser=0",
    ),
    "no-seccomp": (
        lambda d: (
            deployment_of(d)["spec"]["template"]["spec"]["securityContext"].pop("seccompProfile"),
            deployment_of(d)["spec"]["template"]["spec"]["containers"][0]["securityContext"].pop("seccompProfile"),
        ),
        "seccompProfile",
    ),
    "capabilities-kept": (
        lambda d: pod_spec(one(d, "Job"))["containers"][0]["securityContext"].pop("capabilities"),
        "unrestricted capabilities",
    ),
    "host-path": (
        lambda d: pod_spec(deployment_of(d))["volumes"].append({"name": "host", "hostPath": {"path": "/"}}),
        "hostPath",
    ),
    "job-without-never-restart-and-policy": (
        lambda d: pod_spec(one(d, "Job")).update(restartPolicy="OnFailure"),
        "restartPolicy",
    ),
    "selector-mismatch": (
        lambda d: deployment_of(d)["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/component": "other"}),
        "selector",
    ),
    "bad-port": (lambda d: one(d, "Service")["spec"]["ports"][0].update(port=70000), "port"),
    "unknown-kind": (lambda d: d.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}), "Namespace"),
}


@pytest.mark.parametrize("control", sorted(NEGATIVE_CONTROLS))
def test_validator_rejects_negative_controls(helm: Path, validator: Path, control: str) -> None:
    """The validator is not a rubber stamp: each known-bad change to a good rendering is rejected, with its reason."""
    change, reason = NEGATIVE_CONTROLS[control]
    checked = validate(validator, mutated(helm, change))
    assert checked.returncode == 1, checked.stdout
    assert reason in checked.stdout, checked.stdout


def test_validator_rejects_duplicate_fields(helm: Path, validator: Path) -> None:
    """A field given twice in one mapping (YAML keeps the last silently) is a strict decoding error."""
    text = render_text_default(helm).replace("  replicas: 1\n", "  replicas: 1\n  replicas: 2\n", 1)
    checked = validate(validator, text)
    assert checked.returncode == 1 and 'key "replicas" already set' in checked.stdout, checked.stdout


def render_text_default(helm: Path) -> str:
    done = helm_template(helm, SECRETS_VALUES)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_migration_job_runs_the_release_image_and_cli(helm: Path) -> None:
    """The hook Job runs `argilla-maint database migrate --revision --lock-timeout` in the release's own image."""
    docs = render(helm, {"migration": {"revision": "2.5", "lockTimeoutSeconds": 45}}, release="prod")
    job, deployment = one(docs, "Job", "migrate"), one(docs, "Deployment")
    container = pod_spec(job)["containers"][0]
    assert container["image"] == pod_spec(deployment)["containers"][0]["image"] == "argilla-maintenance:0.1.0"
    assert container["command"] == ["argilla-maint"]
    assert container["args"] == ["database", "migrate", "--revision", "2.5", "--lock-timeout", "45", "--actor", "helm:prod:1"]
    env = {e["name"]: e for e in container["env"]}
    assert env["ARGILLA_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "argilla-db", "key": "databaseUrl"}


def test_migration_job_is_bounded_and_replaced(helm: Path) -> None:
    """Deadline under Helm's 5 minutes, few retries, final exit codes fail at once, a fixed name replaced per hook."""
    job = one(render(helm, {}), "Job", "migrate")
    spec, annotations = job["spec"], job["metadata"]["annotations"]
    assert 0 < spec["activeDeadlineSeconds"] < 300 and spec["backoffLimit"] <= 3 and spec["ttlSecondsAfterFinished"] > 0
    rules = spec["podFailurePolicy"]["rules"]
    assert rules[0] == {"action": "FailJob", "onExitCodes": {"containerName": "migrate", "operator": "In", "values": [1, 2, 3]}}
    assert rules[1]["action"] == "Ignore" and rules[1]["onPodConditions"] == [{"type": "DisruptionTarget"}]
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert job["metadata"]["name"] == "rel-argilla-maintenance-migrate"
    assert annotations["helm.sh/hook"] == "post-install,post-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert annotations["helm.sh/hook-weight"] == "0"


def test_reindex_hook_is_off_by_default_and_runs_after_the_migration(helm: Path) -> None:
    """The optional reindex Job is absent by default; enabled, its weight comes after the migration's."""
    assert not [d for d in render(helm, {}) if d["kind"] == "Job" and "reindex" in d["metadata"]["name"]]
    docs = docs_of(helm, "reindex-hook")
    migrate, reindex = one(docs, "Job", "migrate"), one(docs, "Job", "reindex")
    weight = int(reindex["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert weight > int(migrate["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert pod_spec(reindex)["containers"][0]["args"][:2] == ["search-engine", "reindex"]
    no_search = helm_template(helm, merge(SECRETS_VALUES, {"reindex": {"enabled": True}}))
    assert no_search.returncode != 0 and "search.existingSecret" in no_search.stderr


def test_hooks_off_renders_plain_resources_with_sync_waves(helm: Path) -> None:
    """hooks.enabled=false: no Helm hook annotations; Argo CD sync waves order migrate before reindex."""
    docs = render(helm, {"hooks": {"enabled": False}, "reindex": {"enabled": True}, "search": {"existingSecret": "s"}})
    jobs = [d for d in docs if d["kind"] == "Job"]
    assert len(jobs) == 2
    for job in jobs:
        annotations = job["metadata"]["annotations"]
        assert not [k for k in annotations if k.startswith("helm.sh/hook")]
        assert "Replace=true" in annotations["argocd.argoproj.io/sync-options"]
    waves = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: int(d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for d in jobs
    }
    assert waves["migrate"] < waves["reindex"]
    assert pod_spec(one(docs, "Job", "migrate"))["containers"][0]["args"][-1] == "gitops:rel"


def test_http_mode_job_has_no_database_credentials_and_a_unique_key(helm: Path) -> None:
    """http mode: the Job gets the tokens file, not the database URL, and its Job UID through the downward API."""
    docs = docs_of(helm, "http-mode")
    container = pod_spec(one(docs, "Job", "migrate"))["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert "ARGILLA_DATABASE_URL" not in env
    assert env["HOOK_JOB_UID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/controller-uid']"
    assert env["HOOK_EXPECT_VERSION"]["value"] == "0.1.0"
    assert env["HOOK_BASE_URL"]["value"] == "http://rel-argilla-maintenance.maint.svc:6910"
    assert one(docs, "ConfigMap")["data"]["http_migrate.py"] == (CHART / "files" / "http_migrate.py").read_text()


def test_every_pod_is_restricted_and_has_no_service_account_token(helm: Path) -> None:
    """Every pod: non-root uid 10001, no privilege escalation, no capabilities, seccomp, read-only root, /tmp emptyDir."""
    docs = docs_of(helm, "reindex-hook")
    service_account = one(docs, "ServiceAccount")
    assert service_account["automountServiceAccountToken"] is False
    for doc in pods(docs):
        spec = pod_spec(doc)
        assert spec["automountServiceAccountToken"] is False and spec["serviceAccountName"] == service_account["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 10001
        for container in spec["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
            assert sc["readOnlyRootFilesystem"] is True and sc["seccompProfile"] == {"type": "RuntimeDefault"}
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
            assert container["resources"]["requests"] and container["resources"]["limits"]


def test_no_secret_value_is_rendered(helm: Path) -> None:
    """URLs and tokens come from Secrets by reference: no env value in any rendering carries a URL or credential."""
    for case in MATRIX:
        for doc in pods(docs_of(helm, case)):
            for container in pod_spec(doc)["containers"]:
                for entry in container["env"]:
                    if entry["name"] in ("ARGILLA_DATABASE_URL", "ARGILLA_ELASTICSEARCH", "ARGILLA_MAINT_TOKENS"):
                        assert "secretKeyRef" in entry["valueFrom"], (case, entry)
                    assert "@" not in str(entry.get("value", "")), (case, entry)


def test_required_secret_names_and_schema_errors(helm: Path) -> None:
    """Missing Secret names, a wrong search engine and an unknown value are refused with what is accepted."""
    missing = helm_template(helm, {})
    assert missing.returncode != 0 and "database.existingSecret is required" in missing.stderr
    no_tokens = helm_template(helm, {"database": {"existingSecret": "db"}})
    assert no_tokens.returncode != 0 and "tokens.existingSecret is required" in no_tokens.stderr
    engine = helm_template(helm, merge(SECRETS_VALUES, {"search": {"engine": "solr"}}))
    assert engine.returncode != 0 and "'elasticsearch', 'opensearch'" in engine.stderr
    unknown = helm_template(helm, merge(SECRETS_VALUES, {"reindexOnStart": True}))
    assert unknown.returncode != 0 and "reindexOnStart" in unknown.stderr
    mode = helm_template(helm, merge(SECRETS_VALUES, {"migration": {"mode": "curl"}}))
    assert mode.returncode != 0 and "'exec', 'http'" in mode.stderr


def test_names_fit_63_characters_and_labels_are_recommended(helm: Path) -> None:
    """With the longest release name every object name is at most 63 characters and distinct; recommended labels set."""
    docs = docs_of(helm, "long-release-name")
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert all(len(name) <= 63 for _, name in names), names
    assert len({n for _, n in names if _ == "Job"}) == 2
    for doc in docs:
        labels = doc["metadata"]["labels"]
        for key in (
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/version",
            "app.kubernetes.io/managed-by",
            "helm.sh/chart",
        ):
            assert key in labels and len(labels[key]) <= 63, (doc["kind"], key)


def test_image_tag_defaults_to_app_version_and_custom_images_apply(helm: Path) -> None:
    """The image tag is the chart's appVersion unless set; a digest wins; pull secrets reach every pod."""
    app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    assert pod_spec(one(render(helm, {}), "Deployment"))["containers"][0]["image"] == f"argilla-maintenance:{app_version}"
    for doc in pods(docs_of(helm, "custom-image")):
        spec = pod_spec(doc)
        assert spec["containers"][0]["image"] == "registry.example.com/team/argilla-maintenance:2026.12.1"
        assert spec["imagePullSecrets"] == [{"name": "regcred"}] and spec["containers"][0]["imagePullPolicy"] == "Always"
    image = pod_spec(one(docs_of(helm, "digest"), "Job"))["containers"][0]["image"]
    assert image == "argilla-maintenance@sha256:" + "a" * 64


def test_replicas_pdb_probes_and_scheduling(helm: Path) -> None:
    """Replicas and the PDB follow values; probes have timeouts and a startupProbe; readiness is /readyz."""
    docs = docs_of(helm, "replicas-3")
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 3 and one(docs, "PodDisruptionBudget")["spec"] == {
        "minAvailable": 2,
        "selector": deployment["spec"]["selector"],
    }
    container = pod_spec(deployment)["containers"][0]
    assert container["startupProbe"]["httpGet"]["path"] == "/livez" and container["startupProbe"]["failureThreshold"] > 1
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert all(container[p]["timeoutSeconds"] >= 1 for p in ("startupProbe", "livenessProbe", "readinessProbe"))
    for doc in pods(docs_of(helm, "scheduling")):
        spec = pod_spec(doc)
        assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"} and spec["tolerations"][0]["key"] == "dedicated"
        assert "podAntiAffinity" in spec["affinity"] and spec["priorityClassName"] == "maintenance"
        assert doc["spec"]["template"]["metadata"]["annotations"] == {"prometheus.io/scrape": "true"}


def test_extra_env_reaches_the_server_and_the_jobs(helm: Path) -> None:
    """extraEnv, envFrom and extra volumes are given to the server and the migration Job alike."""
    for doc in pods(docs_of(helm, "extra-env")):
        container = pod_spec(doc)["containers"][0]
        names = [e["name"] for e in container["env"]]
        assert "ARGILLA_ES_RECORDS_INDEX_SHARDS" in names and "ARGILLA_ELASTICSEARCH_CA_PATH" in names
        assert container["envFrom"] == [{"configMapRef": {"name": "argilla-settings"}}]
        assert {"name": "search-ca", "mountPath": "/etc/search-ca", "readOnly": True} in container["volumeMounts"]


def leaf_keys(values: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        keys += leaf_keys(value, path + ".") if isinstance(value, dict) and value else [path]
    return keys


def test_chart_readme_documents_every_value(helm: Path) -> None:
    """The chart README's values table has a row for every key of values.yaml (and names no removed one)."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()
    rows = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))
    documented = {key for key in leaf_keys(values) if key in rows or any(key.startswith(row + ".") for row in rows)}
    assert documented == set(leaf_keys(values)), sorted(set(leaf_keys(values)) - documented)
    assert not [row for row in rows if not any(k == row or k.startswith(row + ".") for k in leaf_keys(values))]
