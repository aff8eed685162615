"""Command line start-up: wall time of the installed `priorauth` entry point, as a person runs it.

Run: `.venv/bin/python bench/cli.py [--runs N]`. Runs each command N times (default 10) as a
subprocess and prints the median and the slowest run, e.g.
`cli: priorauth --help             median 0.17 s, max 0.21 s (goal 0.30 s)`, then the modules
that cost `priorauth --help` the most import time (`python -X importtime`), per top-level
package. Goals: `--help` under 0.3 s, one `deadline` query under 0.6 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ENTRY_POINT = Path(sys.executable).parent / "priorauth"
QUERY = json.dumps(
    {
        "regime": "medicare_advantage",
        "event": "initial_request_decision",
        "received_at": "2026-03-02T10:00:00-05:00",
    }
)
# (label, arguments, standard input, goal in seconds)
COMMANDS: list[tuple[str, list[str], str | None, float | None]] = [
    ("priorauth --help", ["--help"], None, 0.3),
    ("priorauth case --help", ["case", "--help"], None, None),
    ("priorauth letter render --help", ["letter", "render", "--help"], None, None),
    ("priorauth deadline (one query)", ["deadline"], QUERY, 0.6),
]


def run_once(args: list[str], stdin: str | None) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(ENTRY_POINT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env=_environment(),
    )
    return time.perf_counter() - started


def _environment() -> dict[str, str]:
    # A narrow terminal width keeps rich's help layout the same on every machine.
    return {**os.environ, "COLUMNS": "100", "PRIORAUTH_LOG_FORMAT": "json"}


def import_times() -> list[tuple[str, float]]:
    """Self import time of `priorauth --help`, summed per top-level package, largest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(ENTRY_POINT), "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(),
    )
    per_package: defaultdict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        per_package[name.strip().split(".")[0]] += int(self_us) / 1_000_000
    return sorted(per_package.items(), key=lambda item: item[1], reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--top", type=int, default=12, help="Import offenders to list.")
    options = parser.parse_args()
    if not ENTRY_POINT.exists():
        sys.exit(f"no {ENTRY_POINT}: install the project first (make install)")
    width = max(len(label) for label, *_ in COMMANDS)
    for label, args, stdin, goal in COMMANDS:
        run_once(args, stdin)  # warm the file cache and the bytecode
        times = [run_once(args, stdin) for _ in range(options.runs)]
        target = f" (goal {goal:.2f} s)" if goal is not None else ""
        print(
            f"cli: {label:<{width}}  median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s over {options.runs} runs{target}"
        )
    packages = import_times()
    total = sum(seconds for _, seconds in packages)
    print(f"cli: import time of `priorauth --help`: {total * 1000:.0f} ms; largest packages:")
    for package, seconds in packages[: options.top]:
        print(f"  {package:<32} {seconds * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
