"""The `priorauth` command: cases, queues, deadlines, letters, audit, and the local stack.

Each group lives in its own module under `commands/`; this file only assembles them.
"""

from __future__ import annotations

import typer

from commands.api_server import api
from commands.audit import audit_app
from commands.case import case_app
from commands.db import db_app
from commands.deadline import deadline
from commands.demo import demo
from commands.dev import dev, worker
from commands.letter import letter_app
from commands.payer import payer_app
from commands.queue import queue_app
from commands.sandbox_clearinghouse import sandbox_clearinghouse
from commands.sandbox_payer import sandbox_payer
from commands.user import user_app
from commands.x12 import x12_app

app = typer.Typer(
    name="priorauth",
    help="Prior-authorization and appeals workflow engine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _logging() -> None:
    # Every command logs through the redacting formatter, to standard error (standard output
    # carries the command's result); the servers (`dev`, `worker`, `api`, `sandbox-payer`)
    # then configure logging to standard output themselves. Read from the environment, not
    # the settings, so a command that needs no settings never fails on them.
    import logging
    import os

    from config.logging import configure_logging

    configure_logging(
        os.environ.get("PRIORAUTH_LOG_LEVEL", "INFO"),
        os.environ.get("PRIORAUTH_LOG_FORMAT", "auto"),
        to_stderr=True,
    )
    # The API client's line per HTTP request is noise on a person's terminal; its warnings stay.
    # So is alembic's line per built-in plugin, logged when it is first imported: the commands
    # import it after this, on demand.
    for chatty in ("httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


app.add_typer(case_app, name="case", help="Open, list, show and act on cases (through the API).")
app.add_typer(queue_app, name="queue", help="Work queues: my cases, escalations, overdue.")
app.command("deadline", help="Compute regulatory due moments from JSON queries.")(deadline)
app.add_typer(letter_app, name="letter", help="Render appeal and case letters to .docx.")
app.add_typer(audit_app, name="audit", help="Inspect the tamper-evident audit trail.")
app.add_typer(payer_app, name="payer", help="The payer directory: payers, channels, PA rules.")
app.add_typer(user_app, name="user", help="Manage web workspace users (sign-in, roles, teams).")
app.add_typer(db_app, name="db", help="Migrate the case store; grant the runtime role.")
app.add_typer(x12_app, name="x12", help="X12 278 requests and responses, 999 and TA1.")
app.command("dev", help="Run the whole local stack (Temporal, worker, API, sandbox payer).")(dev)
app.command("worker", help="Run a Temporal worker for priorauth cases.")(worker)
app.command("api", help="Run the HTTP API.")(api)
app.command("sandbox-payer", help="Run a scripted Da Vinci PAS payer on loopback.")(sandbox_payer)
app.command(
    "sandbox-clearinghouse", help="Run a scripted X12 278 clearinghouse (CAQH CORE) on loopback."
)(sandbox_clearinghouse)
app.command("demo", help="Run scripted cases through the running stack.")(demo)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
