"""Render deploy/helm/workchat with Helm's own engine and validate the manifests (CI runs it).

    .venv/bin/python scripts/check_helm.py [--out DIR]

There is no ``helm`` binary on the project's machines (not in Debian, and its release
downloads are not reachable); ``helm-python-sdk`` from PyPI carries Helm 4's Go SDK as a C
library, so ``helm lint`` and ``helm template`` run through it, offline. It is ~250 MB, so it
lives in the ``helm`` dependency group, installed once into ``.tools/helm`` from uv.lock.

For each values variant below: lint (strict), render (hooks included, as ``helm template``),
validate every manifest against the Kubernetes schemas with ``kubernetes-validate --strict``,
then check what the chart promises (probes, non-root read-only pods, the migrate hook, the
WebSocket timeouts). Exits 1 and says what failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "deploy/helm/workchat"
HELM_ENV = ROOT / ".tools/helm"
UV = ROOT / ".tools/bin/uv"
KUBERNETES_VERSION = "1.30.0"  # the oldest minor still supported by the big providers

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "fixed-replicas-tls": {
        "autoscaling": {"enabled": False},
        "replicaCount": 3,
        "ingress": {"tlsSecretName": "chat-tls"},
        "image": {"tag": "1.2.3"},
    },
    "no-ingress-no-hooks": {"ingress": {"enabled": False}, "migrations": {"enabled": False}},
}

RENDER = """
import json, sys
import helm_python as helm
chart, variants = sys.argv[1], json.loads(sys.argv[2])
lint = helm.lint(chart, strict=True)
out = {"sdk": helm.helm_sdk_version(), "lint": lint, "rendered": {}}
loaded = helm.Chart.load(chart)
for name, values in variants.items():
    out["rendered"][name] = loaded.render(values, name="workchat", namespace="chat",
                                          is_install=True)
print(json.dumps(out))
"""


class CheckError(Exception):
    pass


def helm_python() -> Path:
    """The helm group's venv, (re)installed from uv.lock when missing or stale."""
    python = HELM_ENV / "bin/python"
    stamp = HELM_ENV / "uv.lock.installed"
    lock = (ROOT / "uv.lock").read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == lock:
        return python
    requirements = subprocess.run(
        [UV, "export", "--frozen", "--only-group", "helm", "--no-emit-project", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(requirements)
    try:
        subprocess.run([UV, "venv", "--quiet", "--allow-existing", HELM_ENV], check=True)
        env = {**os.environ, "VIRTUAL_ENV": str(HELM_ENV)}
        subprocess.run(
            [UV, "pip", "install", "--quiet", "--require-hashes", "-r", handle.name],
            env=env,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    stamp.write_text(lock)
    return python


def manifests(rendered: dict[str, str]) -> list[dict[str, Any]]:
    docs = []
    for path, text in sorted(rendered.items()):
        if not path.endswith(".yaml"):
            continue
        docs += [doc for doc in yaml.safe_load_all(text) if doc]
    return docs


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckError(message)


def check_pod(spec: dict[str, Any], where: str) -> None:
    pod = spec["securityContext"]
    expect(pod.get("runAsNonRoot") is True, f"{where}: runAsNonRoot is not true")
    for container in spec["containers"]:
        security = container["securityContext"]
        expect(security.get("readOnlyRootFilesystem") is True, f"{where}: root fs is writable")
        expect(security.get("allowPrivilegeEscalation") is False, f"{where}: may escalate")
        mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
        expect("/tmp" in mounts, f"{where}: no writable /tmp under a read-only root")
        expect(container.get("resources", {}).get("requests"), f"{where}: no resource requests")
    empty_dirs = {volume["name"] for volume in spec.get("volumes", []) if "emptyDir" in volume}
    expect("tmp" in empty_dirs, f"{where}: /tmp is not an emptyDir")


def check_variant(name: str, values: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    kinds = sorted({doc["kind"] for doc in docs})
    (deployment,) = by_kind(docs, "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    check_pod(spec, f"{name}: Deployment")
    (container,) = spec["containers"]
    expect(container["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness is not /readyz")
    expect(container["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness is not /healthz")
    sources = container["envFrom"]
    expect(any("secretRef" in source for source in sources), "the server has no Secret")
    expect(any("configMapRef" in source for source in sources), "the server has no ConfigMap")
    expect(len(by_kind(docs, "Service")) == 1, f"{name}: no Service")
    expect(len(by_kind(docs, "ConfigMap")) == 1, f"{name}: no ConfigMap")

    autoscaling = values.get("autoscaling", {}).get("enabled", True)
    expect(bool(by_kind(docs, "HorizontalPodAutoscaler")) == autoscaling, f"{name}: HPA")
    expect(("replicas" in deployment["spec"]) != autoscaling, f"{name}: replicas vs HPA")
    if not autoscaling:
        expected = values["replicaCount"]
        expect(deployment["spec"]["replicas"] == expected, f"{name}: replicas")

    ingresses = by_kind(docs, "Ingress")
    if values.get("ingress", {}).get("enabled", True):
        (ingress,) = ingresses
        annotations = ingress["metadata"]["annotations"]
        for key in ("proxy-read-timeout", "proxy-send-timeout"):
            timeout = int(annotations[f"nginx.ingress.kubernetes.io/{key}"])
            expect(timeout >= 3600, f"{name}: Ingress {key} too short for WebSockets")
        tls = values.get("ingress", {}).get("tlsSecretName")
        expect(bool(ingress["spec"].get("tls")) == bool(tls), f"{name}: Ingress TLS")
    else:
        expect(not ingresses, f"{name}: Ingress rendered while disabled")

    jobs = by_kind(docs, "Job")
    if values.get("migrations", {}).get("enabled", True):
        (job,) = jobs
        hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
        expect({"pre-install", "pre-upgrade"} <= set(hooks), f"{name}: migrate is not a hook")
        job_spec = job["spec"]["template"]["spec"]
        check_pod(job_spec, f"{name}: migrate Job")
        expect(job_spec["containers"][0]["args"] == ["workchat", "migrate"], "Job args")
    else:
        expect(not jobs, f"{name}: migrate Job rendered while disabled")
    tag = values.get("image", {}).get("tag")
    if tag:
        expect(container["image"].endswith(f":{tag}"), f"{name}: image.tag not used")
    print(f"check-helm: {name}: {', '.join(kinds)}: ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="keep the rendered manifests here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="check-helm-") as scratch:
        return check(args.out or Path(scratch))


def check(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    try:
        python = helm_python()
        rendered = subprocess.run(
            [python, "-c", RENDER, CHART, json.dumps(VARIANTS)],
            capture_output=True,
            text=True,
            check=False,
        )
        if rendered.returncode != 0:
            raise CheckError(f"helm render failed:\n{rendered.stderr.strip()[-3000:]}")
        result = json.loads(rendered.stdout)
        lint = result["lint"]
        if lint["errors"] or any(m["severity"] > 1 for m in lint["messages"]):
            raise CheckError(f"helm lint: {json.dumps(lint, indent=1)}")
        print(f"check-helm: helm lint --strict (Helm SDK {result['sdk']}): ok")
        for name, files in result["rendered"].items():
            docs = manifests(files)
            path = out / f"{name}.yaml"
            path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
            validate = ROOT / ".venv/bin/kubernetes-validate"
            validated = subprocess.run(
                [validate, "--strict", "--quiet", "--no-warn", "-k", KUBERNETES_VERSION, path],
                capture_output=True,
                text=True,
                check=False,
            )
            if validated.returncode != 0:
                raise CheckError(
                    f"kubernetes-validate {path} (Kubernetes {KUBERNETES_VERSION}):\n"
                    f"{(validated.stdout + validated.stderr).strip()}"
                )
            check_variant(name, VARIANTS[name], docs)
    except (CheckError, KeyError, ValueError) as error:
        print(f"check-helm: FAILED: {error!r}", file=sys.stderr)
        return 1
    print(f"check-helm: {len(VARIANTS)} variants rendered, validated and checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
