"""The packaging files agree with each other (CI builds and runs them: docs/guides/deploy.md).

Building the image and running it needs buildah and minutes, so that is `.ci/run`'s job; these
check, in milliseconds, what would otherwise break only there or only on a real Docker host.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def image_smoke() -> ModuleType:
    return load_script("image_smoke")


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_the_topology_and_mounts_the_committed_nginx_config() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app1", "app2", "lb"}
    assert services["migrate"]["command"] == ["workchat", "migrate"]
    for app in ("app1", "app2"):
        needs = services[app]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["postgres"]["condition"] == "service_healthy"
    mounts = services["lb"]["volumes"]
    assert "./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in mounts


def test_nginx_upstreams_are_the_compose_replicas_and_pass_websockets() -> None:
    config = (ROOT / "deploy/nginx/nginx.conf").read_text()
    upstreams = re.findall(r"^\s*server (\S+):8000\b", config, re.M)
    assert sorted(upstreams) == ["app1", "app2"]
    assert "proxy_set_header Upgrade $http_upgrade;" in config
    assert "proxy_set_header Connection $connection_upgrade;" in config
    listen = re.search(r"^\s*listen (\d+);", config, re.M)
    assert listen is not None
    assert f"127.0.0.1:{listen.group(1)}:8000" in compose()["services"]["lb"]["ports"]


def test_smoke_rewrites_only_the_upstream_addresses_and_listen_port(
    image_smoke: ModuleType, tmp_path: Path
) -> None:
    committed = (ROOT / "deploy/nginx/nginx.conf").read_text().splitlines()
    written = image_smoke.nginx_config(tmp_path, (22101, 22102), 22100).read_text().splitlines()
    changed = [(a, b) for a, b in zip(committed, written, strict=True) if a != b]
    assert [b.strip() for _, b in changed] == [
        "server 127.0.0.1:22101 max_fails=3 fail_timeout=10s;",
        "server 127.0.0.1:22102 max_fails=3 fail_timeout=10s;",
        "listen 127.0.0.1:22100;",
    ]


def test_smoke_refuses_a_config_it_cannot_rewrite_exactly(
    image_smoke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_root = tmp_path / "repo"
    (fake_root / "deploy/nginx").mkdir(parents=True)
    original = (ROOT / "deploy/nginx/nginx.conf").read_text()
    (fake_root / "deploy/nginx/nginx.conf").write_text(original.replace("app2:8000", "app3:8000"))
    monkeypatch.setattr(image_smoke, "ROOT", fake_root)
    with pytest.raises(image_smoke.SmokeError, match="app2:8000"):
        image_smoke.nginx_config(tmp_path, (1, 2), 3)
    assert not (tmp_path / "nginx.conf").exists()


def test_release_builds_this_dockerfile_with_the_build_args_it_declares() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    steps = workflow["jobs"]["image"]["steps"]
    (build,) = [step for step in steps if step.get("uses", "").startswith("docker/build-push")]
    options = build["with"]
    assert options["file"] == "Dockerfile"
    assert options["platforms"] == "linux/amd64,linux/arm64"
    assert options["sbom"] is True
    assert options["provenance"].startswith("mode=")
    passed = {line.split("=", 1)[0] for line in options["build-args"].split("\n") if line}
    declared = set(re.findall(r"^ARG (\w+)", (ROOT / "Dockerfile").read_text(), re.M))
    assert passed == declared


def test_dockerfile_runtime_is_non_root_prod_with_data_volume_and_readyz_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile[dockerfile.rindex("\nFROM ") :]
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert 'VOLUME ["/data"]' in runtime
    assert "WORKCHAT_ENV=prod" in runtime
    assert re.search(r"^HEALTHCHECK .*\n.*/readyz", runtime, re.M)
    froms = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    # scripts/build-image makes stand-ins for exactly these names when they cannot be pulled.
    build_image = (ROOT / "scripts/build-image").read_text()
    for base in set(froms):
        assert f"docker.io/library/{base}" in build_image
