"""docker-compose.yml cannot run here (no Docker engine): check its structure instead."""

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_and_pinned_images() -> None:
    services = _compose()["services"]
    assert set(services) >= {
        "postgresql",
        "temporal-admin-tools",
        "temporal",
        "temporal-create-namespace",
        "temporal-ui",
        "app-db",
        "migrate",
        "worker",
        "api",
    }
    for name, service in services.items():
        image = service.get("image", "")
        assert not image.endswith(":latest") or image.startswith("priorauth:"), name


def test_start_order_waits_for_health_and_one_shot_steps() -> None:
    services = _compose()["services"]
    assert services["temporal"]["depends_on"]["temporal-admin-tools"]["condition"] == (
        "service_completed_successfully"
    )
    for app in ("worker", "api"):
        depends = services[app]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["temporal-create-namespace"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["app-db"]["condition"] == "service_healthy"


def test_secrets_are_required_not_defaulted_and_app_runs_in_production_mode() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${POSTGRES_PASSWORD:?Variable not set}" in text
    assert "${PRIORAUTH_CODEC_KEYS:?Variable not set}" in text
    env = _compose()["services"]["worker"]["environment"]
    assert env["PRIORAUTH_ENVIRONMENT"] == "production"
    assert env["PRIORAUTH_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_mounted_files_exist() -> None:
    services = _compose()["services"]
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
    assert (ROOT / "Dockerfile").exists()


def test_migrate_runs_as_the_owner_and_the_app_as_the_runtime_role() -> None:
    services = _compose()["services"]
    migrate = services["migrate"]["environment"]
    assert migrate["PRIORAUTH_MIGRATION_DATABASE_URL"].startswith("postgresql+psycopg://priorauth:")
    assert migrate["PRIORAUTH_DATABASE_RUNTIME_ROLE"] == "priorauth_app"
    for app in ("api", "worker", "audit-anchor"):
        env = services[app]["environment"]
        assert env["PRIORAUTH_DATABASE_URL"].startswith("postgresql+psycopg://priorauth_app:"), app
        assert "PRIORAUTH_MIGRATION_DATABASE_URL" not in env, app
        assert env.get("PRIORAUTH_MIGRATE_ON_START") in (None, "false"), app
    assert "/docker-entrypoint-initdb.d" in " ".join(services["app-db"]["volumes"])


def test_only_the_anchor_service_holds_the_anchor_key() -> None:
    services = _compose()["services"]
    anchor = services["audit-anchor"]
    assert anchor["environment"]["PRIORAUTH_AUDIT_ANCHOR_KEYS"] == (
        "${PRIORAUTH_AUDIT_ANCHOR_KEYS:?Variable not set}"
    )
    assert anchor["command"][:3] == ["priorauth", "audit", "anchor"]
    for name, service in services.items():
        if name != "audit-anchor":
            assert "PRIORAUTH_AUDIT_ANCHOR_KEYS" not in service.get("environment", {}), name
