"""The container image and the compose file: the image builds where a container engine runs;
compose.yaml is valid against the Compose specification's schema everywhere."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))


def test_compose_file_is_valid_against_the_compose_schema() -> None:
    schema_file = files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_file.read_text("utf-8"))
    jsonschema.validate(compose(), schema)


def test_compose_runs_postgres_one_migration_and_two_replicas_after_it() -> None:
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    replicas = [name for name, s in services.items() if s.get("command") is None and name != "db"]
    assert sorted(replicas) == ["deskbot-1", "deskbot-2"]
    ports = set()
    for name in replicas:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["environment"]["DESKBOT_DATABASE_URL"].startswith("postgresql://")
        assert service["environment"]["DESKBOT_CONFIG"] == "/config/team.yaml"
        assert "./team.yaml:/config/team.yaml:ro" in service["volumes"]
        ports.update(service["ports"])
    assert len(ports) == 2  # each replica on its own port


def test_dockerfile_runs_serve_as_a_non_root_user_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    assert "FROM python:3.11-slim" in text
    assert "\nUSER deskbot" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert 'ENTRYPOINT ["deskbot"]' in text and 'CMD ["serve"' in text


def _engine() -> str | None:
    """Why no image can be built here, or None when a container engine answers."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        return f"no container engine answers: {(info.stderr or info.stdout).strip()[:200]}"
    return None


def test_the_image_builds() -> None:
    missing = _engine()
    if missing:
        pytest.skip(f"docker build not tried: {missing}")
    built = subprocess.run(
        ["docker", "build", "-q", "-t", "deskbot:test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    version = subprocess.run(
        ["docker", "run", "--rm", "deskbot:test", "--help"], capture_output=True, text=True
    )
    assert version.returncode == 0 and "doctor" in version.stdout
