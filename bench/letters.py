"""Letter rendering throughput on one core (goal: 100 appeal_level1 letters per second).

Run: `.venv/bin/python bench/letters.py [--letters N]`. Prints e.g.
`letters: 140 appeal_level1 letters/s (one core, 500 letters; render only)`, then the rate
with the context built from the case file each time (deadline engine included) and the rate
over every kind.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

# Run as a script, this file's folder comes first on the import path and this module, named
# like the package it measures, would shadow `letters`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from config.settings import get_settings  # noqa: E402
from letters import (  # noqa: E402
    LetterCaseFile,
    LetterContext,
    LetterKind,
    context_from_case_file,
    render_letter,
)

EXAMPLES = _HERE.parent / "examples" / "letters"
SENDER = get_settings().organization
NOW = datetime.fromisoformat("2026-11-23T09:00:00-06:00")
VARIANT = {
    LetterKind.EXTERNAL_REVIEW_REQUEST: "next_level",
    LetterKind.MISSED_DEADLINE: "missed",
}


def _case_file(kind: LetterKind) -> LetterCaseFile:
    path = EXAMPLES / f"ma_{VARIANT.get(kind, 'appeal')}.json"
    return LetterCaseFile.model_validate_json(path.read_text())


def _context(case_file: LetterCaseFile, kind: LetterKind) -> LetterContext:
    return context_from_case_file(case_file, kind=kind, now=NOW, organization=SENDER)


def _rate(count: int, work: Callable[[], object]) -> float:
    work()  # warm up: base document, compiled templates
    started = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=500)
    count = parser.parse_args().letters
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    kind = LetterKind.APPEAL_LEVEL1
    case_file = _case_file(kind)
    context = _context(case_file, kind)
    render_only = _rate(count, lambda: render_letter(context))
    where = f"one core, {count} letters; render only"
    print(f"letters: {render_only:,.0f} {kind.value} letters/s ({where})")
    end_to_end = _rate(
        count,
        lambda: render_letter(
            context_from_case_file(case_file, kind=kind, now=NOW, organization=SENDER)
        ),
    )
    print(f"letters: {end_to_end:,.0f} {kind.value} letters/s with the context built each time")

    contexts = [
        context_from_case_file(_case_file(k), kind=k, now=NOW, organization=SENDER)
        for k in LetterKind
    ]
    per_kind = max(1, count // len(contexts))
    every_kind = _rate(per_kind, lambda: [render_letter(c) for c in contexts]) * len(contexts)
    print(f"letters: {every_kind:,.0f} letters/s over all {len(contexts)} kinds")


if __name__ == "__main__":
    main()
