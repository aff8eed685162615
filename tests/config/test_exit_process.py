"""Commands that used a Temporal client end through `exit_process`: the exit code and every
line of output and logging survive skipping interpreter finalization."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, sys
from config.logging import configure_logging
from config.temporal import exit_process
configure_logging("INFO", "json")
logging.getLogger("priorauth.demo").info("a log line")
print("timeline printed", end="")
sys.stderr.write("to stderr")
exit_process(3)
"""


def test_exit_process_flushes_output_and_logs_and_keeps_the_code() -> None:
    # Buffered output (the default off a terminal) is what a skipped finalization would lose.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert '"event": "a log line"' in done.stdout
    assert done.stdout.endswith("timeline printed")
    assert done.stderr == "to stderr"
