"""`priorauth queue`: the work queues through the HTTP API (mine, escalations, overdue).

priorauth queue mine | escalations | overdue [--json]
priorauth queue complete TASK_ID
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from commands.case import JsonFlag, call, count_text, emit, next_page_hint, print_table

queue_app = typer.Typer(help="Work queues: my cases, escalations, overdue.", no_args_is_help=True)


def print_tasks(page: Any) -> None:
    for task in page["items"]:
        due = (task.get("due_at") or "-").replace("T", " ")[:16]
        typer.echo(
            f"#{task['task_id']:<6} {due:<16} {task['case_number']:<16} "
            f"{task.get('queue') or '-':<10} {task['title']}"
        )
    typer.echo(f"({len(page['items'])} of {count_text(page)})")
    next_page_hint(page)


CursorOption = Annotated[str | None, typer.Option(help="The next page's cursor.")]


@queue_app.command("mine")
def mine(cursor: CursorOption = None, as_json: JsonFlag = False) -> None:
    """Open cases assigned to you (your API key's name)."""
    emit(call(lambda c: c.get("/api/v1/queues/mine", cursor=cursor)), as_json, print_table)


@queue_app.command("escalations")
def escalations(cursor: CursorOption = None, as_json: JsonFlag = False) -> None:
    """Open escalation tasks, the one due soonest first."""
    page = call(lambda c: c.get("/api/v1/queues/escalations", cursor=cursor))
    emit(page, as_json, print_tasks)


@queue_app.command("overdue")
def overdue(cursor: CursorOption = None, as_json: JsonFlag = False) -> None:
    """Open cases past their next deadline."""
    emit(call(lambda c: c.get("/api/v1/queues/overdue", cursor=cursor)), as_json, print_table)


@queue_app.command("complete")
def complete(
    task_id: Annotated[int, typer.Argument(help="The task number.")], as_json: JsonFlag = False
) -> None:
    """Mark a task done (escalation tasks: UR staff and admin keys only)."""
    task = call(lambda c: c.post(f"/api/v1/tasks/{task_id}/complete", {}))
    emit(task, as_json, lambda t: typer.echo(f"task #{t['task_id']} {t['status']}"))
