"""Signed anchors of the audit chain head: `priorauth audit anchor` signs the head, `audit verify
--anchor FILE` notices history rewritten even when the rewriter re-hashed the chain."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import SQLModel
from typer.testing import CliRunner, Result

from commands.audit import audit_app
from config.settings import get_settings
from store.audit import event_hash, verify_chain
from store.database import read_session
from tests.store.audit_guard import append_only_lifted
from tests.store.writes import writing

AT = datetime(2026, 3, 4, 16, 30, tzinfo=UTC)
KEY = "anchor-1:" + base64.b64encode(b"k" * 32).decode()
OTHER_KEY = "anchor-1:" + base64.b64encode(b"x" * 32).decode()


@pytest.fixture(autouse=True)
def anchor_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PRIORAUTH_AUDIT_ANCHOR_KEYS", json.dumps([KEY]))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.setenv("PRIORAUTH_AUDIT_ANCHOR_KEYS", json.dumps(list(keys)))
    get_settings.cache_clear()


def fill(engine: Engine, first: int, last: int) -> None:
    for n in range(first, last + 1):
        with writing(engine) as writes:
            writes.append_event_once(
                idempotency_key=f"case-600:{n}:step",
                case_id="case-600",
                action="decision-recorded",
                actor="api-key:reviewer",
                summary=f"step {n}",
                details={"n": n},
                occurred_at=AT,
            )


def run(*args: str) -> Result:
    return CliRunner().invoke(audit_app, list(args))


def anchor_to(path: Path, database_url: str) -> dict[str, Any]:
    made = run("anchor", "--database-url", database_url)
    assert made.exit_code == 0, made.output
    path.write_text(made.stdout)
    return dict(json.loads(made.stdout))


def verify(database_url: str, anchor: Path) -> Result:
    return run("verify", "--database-url", database_url, "--anchor", str(anchor))


def rewrite_and_rehash(engine: Engine, sequence: int, summary: str) -> None:
    """What someone with write access to the database could do: edit one event, then re-hash it
    and every later event and move the chain head, so the chain verifies again."""
    with append_only_lifted(engine), engine.begin() as connection:
        events = SQLModel.metadata.tables["audit_events"]
        query = select(events).where(events.c.sequence >= sequence).order_by(events.c.sequence)
        rows = [dict(row) for row in connection.execute(query).mappings()]
        prev_hash = rows[0]["prev_hash"]
        for row in rows:
            if row["sequence"] == sequence:
                row["summary"] = summary
            row["prev_hash"] = prev_hash
            row["hash"] = event_hash(row)
            connection.execute(
                text(
                    "UPDATE audit_events SET summary = :summary, prev_hash = :prev_hash, "
                    "hash = :hash WHERE sequence = :sequence"
                ),
                row,
            )
            prev_hash = row["hash"]
        connection.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev_hash})


def test_anchor_then_verify_against_it(engine: Engine, database_url: str, tmp_path: Path) -> None:
    fill(engine, 1, 4)
    anchor = anchor_to(tmp_path / "anchor.json", database_url)
    assert anchor["events"] == 4 and anchor["key_id"] == "anchor-1"
    assert len(anchor["head_hash"]) == 64 and len(anchor["hmac_sha256"]) == 64
    fill(engine, 5, 6)  # events after the anchor are the chain's own to vouch for
    checked = verify(database_url, tmp_path / "anchor.json")
    assert checked.exit_code == 0, checked.output
    assert "audit chain intact: 6 events; matches the anchor" in checked.stdout


def test_an_empty_chain_anchors_and_verifies(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    anchor = anchor_to(tmp_path / "anchor.json", database_url)
    assert (anchor["events"], anchor["last_event_id"]) == (0, None)
    assert verify(database_url, tmp_path / "anchor.json").exit_code == 0


def test_history_rewritten_and_rehashed_is_caught_by_the_anchor(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    fill(engine, 1, 5)
    anchor_to(tmp_path / "anchor.json", database_url)
    fill(engine, 6, 7)
    rewrite_and_rehash(engine, 2, "step 2 (never happened)")
    with read_session(engine) as session:
        assert verify_chain(session=session).ok  # the chain alone no longer tells
    plain = run("verify", "--database-url", database_url)
    assert plain.exit_code == 0
    checked = verify(database_url, tmp_path / "anchor.json")
    assert checked.exit_code == 2
    assert "does not match the anchor" in checked.stderr
    assert "event 5 is not the one anchored" in checked.stderr


def test_a_rewrite_of_only_the_anchored_event_is_caught(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    fill(engine, 1, 3)
    anchor_to(tmp_path / "anchor.json", database_url)
    rewrite_and_rehash(engine, 3, "edited")
    assert verify(database_url, tmp_path / "anchor.json").exit_code == 2


def test_verify_under_another_key_fails(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine, 1, 2)
    anchor_to(tmp_path / "anchor.json", database_url)
    use_keys(monkeypatch, OTHER_KEY)
    checked = verify(database_url, tmp_path / "anchor.json")
    assert checked.exit_code == 2
    assert "signature does not verify under key 'anchor-1'" in checked.stderr


def test_an_anchor_under_a_key_no_longer_listed_fails_and_rotation_keeps_old_ones(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine, 1, 2)
    anchor_to(tmp_path / "anchor.json", database_url)
    new_key = "anchor-2:" + base64.b64encode(b"n" * 32).decode()
    use_keys(monkeypatch, new_key, KEY)  # rotated: the new key signs, the old one verifies
    assert verify(database_url, tmp_path / "anchor.json").exit_code == 0
    assert anchor_to(tmp_path / "next.json", database_url)["key_id"] == "anchor-2"
    use_keys(monkeypatch, new_key)
    checked = verify(database_url, tmp_path / "anchor.json")
    assert checked.exit_code == 2
    assert "key id 'anchor-1', which is not configured" in checked.stderr


def test_an_edited_anchor_file_fails(engine: Engine, database_url: str, tmp_path: Path) -> None:
    fill(engine, 1, 3)
    anchor = anchor_to(tmp_path / "anchor.json", database_url)
    anchor["events"] = 2  # claim less history, e.g. to hide a rewrite of event 3
    (tmp_path / "edited.json").write_text(json.dumps(anchor))
    checked = verify(database_url, tmp_path / "edited.json")
    assert checked.exit_code == 2
    assert "signature does not verify" in checked.stderr


def test_a_file_that_is_not_an_anchor_is_named(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "junk.json").write_text('{"events": -1}')
    checked = verify(database_url, tmp_path / "junk.json")
    assert checked.exit_code == 2
    assert "is not an audit anchor" in checked.stderr and "events" in checked.stderr
    missing = verify(database_url, tmp_path / "nowhere.json")
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_anchoring_needs_a_key(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keys(monkeypatch)
    made = run("anchor", "--database-url", database_url)
    assert made.exit_code == 2
    assert "PRIORAUTH_AUDIT_ANCHOR_KEYS" in made.stderr


def test_a_broken_chain_is_not_anchored(engine: Engine, database_url: str, tmp_path: Path) -> None:
    fill(engine, 1, 3)
    with append_only_lifted(engine), engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET summary = 'x' WHERE sequence = 2"))
    made = run("anchor", "--database-url", database_url, "--out-dir", str(tmp_path / "anchors"))
    assert made.exit_code == 1
    assert "not anchoring" in made.stderr
    assert list((tmp_path / "anchors").iterdir()) == []


def test_out_dir_keeps_every_anchor_in_its_own_file(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "anchors"
    fill(engine, 1, 1)
    assert run("anchor", "--database-url", database_url, "--out-dir", str(out)).exit_code == 0
    fill(engine, 2, 2)
    assert run("anchor", "--database-url", database_url, "--out-dir", str(out)).exit_code == 0
    files = sorted(out.iterdir())
    assert [json.loads(f.read_text())["events"] for f in files] == [1, 2]
    for file in files:
        assert verify(database_url, file).exit_code == 0


def test_every_keeps_anchoring_until_stopped(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    fill(engine, 1, 2)
    out = tmp_path / "anchors"
    env = {**os.environ, "PRIORAUTH_AUDIT_ANCHOR_KEYS": json.dumps([KEY])}
    command = [sys.executable, "-m", "cli", "audit", "anchor", "--database-url", database_url]
    process = subprocess.Popen(
        [*command, "--every", "1", "--out-dir", str(out)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(out.glob("anchor-*.json"))) < 2:
            assert process.poll() is None, "the anchoring loop ended"
            assert time.monotonic() < deadline, "fewer than two anchors in 60 s"
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(10)
    for file in out.glob("anchor-*.json"):
        assert verify(database_url, file).exit_code == 0
