"""docker-compose.yml cannot run here (no Docker engine): check its structure instead."""

import re
from pathlib import Path
from typing import Any

import yaml

from config.readiness import ServerRole, production_problems
from config.settings import Settings

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


# `${NAME:?message}`: compose refuses to start while NAME is unset or empty.
REQUIRED = re.compile(r"\$\{(?P<name>[A-Z][A-Z0-9_]*):\?[^}]*\}")
APP_SERVICES = ("migrate", "worker", "api")


def _required_in(value: str) -> set[str]:
    return {match["name"] for match in REQUIRED.finditer(value)}


def _readme_production_variables() -> set[str]:
    """Every variable the README's Production section names (the operator sets them)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production deployment", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"\b(?:PRIORAUTH_[A-Z0-9_]+|[A-Z][A-Z0-9_]*_PASSWORD)\b", section))


def test_every_variable_a_production_server_needs_is_required_by_compose() -> None:
    """What the API and worker refuse to start without, compose refuses to start without."""
    empty = Settings(_env_file=None, environment="production")
    needed = set()
    for role in ServerRole:
        for problem in production_problems(empty, role):
            needed.update(re.findall(r"PRIORAUTH_[A-Z0-9_]+", problem))
    needed.discard("PRIORAUTH_ENVIRONMENT")
    assert needed >= {
        "PRIORAUTH_PAYER_CHANNEL",
        "PRIORAUTH_DATABASE_URL",
        "PRIORAUTH_CODEC_KEYS",
        "PRIORAUTH_API_KEYS",
    }
    services = _compose()["services"]
    for service in APP_SERVICES:
        env = services[service]["environment"]
        for name in needed:
            assert name in env, (service, name)
            # The value is the operator's (same name) or built from an operator's secret.
            assert _required_in(env[name]), (service, name, env[name])
        for name in ("PRIORAUTH_PAYER_CHANNEL", "PRIORAUTH_PAS_BASE_URL", "PRIORAUTH_API_KEYS"):
            assert _required_in(env[name]) == {name}, (service, name)


def test_compose_passes_every_variable_the_readme_tells_the_operator_to_set() -> None:
    named = _readme_production_variables()
    assert {"POSTGRES_PASSWORD", "APP_DB_PASSWORD", "PRIORAUTH_CODEC_KEYS"} <= named
    text = (ROOT / "docker-compose.yml").read_text()
    required = _required_in(text)
    services = _compose()["services"]
    app_env = services["api"]["environment"]
    # A setting reaches the services that use it: the anchor key only the audit-anchor job.
    given = {name for service in services.values() for name in service.get("environment", {})}
    for name in named - {"PRIORAUTH_ENVIRONMENT"}:
        assert name in required or name in app_env, name
        if name.startswith("PRIORAUTH_"):
            assert name in given, name
    assert "PRIORAUTH_AUDIT_ANCHOR_KEYS" not in app_env


def test_api_runs_through_the_priorauth_command() -> None:
    """`priorauth api` checks the settings before uvicorn starts (exit 2 with a message)."""
    assert _compose()["services"]["api"]["command"][:2] == ["priorauth", "api"]
    assert _compose()["services"]["worker"]["command"] == ["priorauth", "worker"]


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
