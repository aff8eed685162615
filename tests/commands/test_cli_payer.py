"""`priorauth payer`: import the seed file, list, show (YAML an import reads back), requires-pa;
a bad file exits 2 naming the field and writes nothing; `priorauth dev` adds missing payers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import Engine

from commands.payer import SEED_FILE, seed_payers
from store import payer_directory as directory
from store.database import read_session, transaction
from tests.domain.payer_entries import entry

REPO = Path(__file__).resolve().parents[2]
EDITED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def priorauth(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIORAUTH_")}
    env.update({"PRIORAUTH_ENVIRONMENT": "test", "PRIORAUTH_DATABASE_URL": database_url})
    return subprocess.run(
        [sys.executable, "-m", "cli", "payer", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def seed_ids() -> list[str]:
    return [payer["payer_id"] for payer in yaml.safe_load(SEED_FILE.read_text())["payers"]]


def test_import_the_seed_then_list_show_and_ask(database_url: str, tmp_path: Path) -> None:
    imported = priorauth(database_url, "import", str(SEED_FILE))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [f"added {payer_id}" for payer_id in seed_ids()]

    listed = priorauth(database_url, "list").stdout.splitlines()
    assert [line.split()[0] for line in listed] == sorted(seed_ids())
    assert "medicare_advantage: pas" in next(line for line in listed if line.startswith("DEMO01"))

    required = priorauth(database_url, "requires-pa", "DEMO01", "E0601")
    assert required.stdout.startswith("required: DEMO01 requires prior authorization for E0601")
    exempt = priorauth(database_url, "requires-pa", "DEMO01", "j1100")
    assert exempt.stdout.startswith("not_required: DEMO01 does not require")
    unknown = priorauth(
        database_url, "requires-pa", "LSCHP", "99213", "--regime", "medicaid_managed_care"
    )
    assert unknown.returncode == 0 and unknown.stdout.startswith("unknown: ")

    shown = priorauth(database_url, "show", "ACMEHP")
    assert shown.returncode == 0, shown.stderr
    copy = tmp_path / "acme.yaml"
    copy.write_text(shown.stdout)
    again = priorauth(database_url, "import", str(copy))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["replaced ACMEHP"]
    reshown = priorauth(database_url, "show", "ACMEHP").stdout
    # The same entry, apart from the comment saying who changed it last and when.
    assert reshown.splitlines()[1:] == shown.stdout.splitlines()[1:]
    assert "payer_id: ACMEHP" in reshown and "clearinghouse: Example Clearinghouse" in reshown


def test_a_bad_file_exits_2_naming_the_field_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    seed = yaml.safe_load(SEED_FILE.read_text())
    seed["payers"][1]["lines"][0]["channel"]["kind"] = "pigeon"
    seed["payers"][2]["pa_rules"][0]["code"] = "70553-70551"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(seed))
    refused = priorauth(database_url, "import", str(bad))
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "payers.1.lines.0.channel: Input tag 'pigeon' found using 'kind' does not match any of "
        "the expected tags: 'pas', 'clearinghouse', 'portal', 'fax'",
        "payers.2.pa_rules.0.code: '70553-70551': the range ends before it starts",
    ]
    assert priorauth(database_url, "list").stdout == ""

    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump({"payers": [seed["payers"][0]] * 2}))
    repeated = priorauth(database_url, "import", str(twice))
    assert repeated.returncode == 2
    assert repeated.stderr.startswith("payers: entry 1 repeats entry 0's payer_id DEMO01")

    broken = tmp_path / "broken.yaml"
    broken.write_text("payers: [\n  - {payer_id: X\n")
    assert priorauth(database_url, "import", str(broken)).returncode == 2
    missing = priorauth(database_url, "import", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "cannot read it" in missing.stderr


def test_bad_arguments_exit_2_naming_them(database_url: str) -> None:
    code = priorauth(database_url, "requires-pa", "DEMO01", "7055")
    assert code.returncode == 2 and code.stderr.startswith("code: '7055' is not a CPT code")
    regime = priorauth(database_url, "requires-pa", "DEMO01", "E0601", "--regime", "hmo")
    assert regime.returncode == 2 and regime.stderr.startswith("regime: 'hmo' is not one of")
    state = priorauth(database_url, "requires-pa", "DEMO01", "E0601", "--state", "Texas")
    assert state.returncode == 2 and state.stderr.startswith("state: ")
    shown = priorauth(database_url, "show", "NOPE")
    assert shown.returncode == 2 and "NOPE is not in the payer directory" in shown.stderr


def test_dev_adds_the_seed_payers_that_are_missing_and_keeps_edits(
    engine: Engine, database_url: str
) -> None:
    edited = entry("DEMO01", name="Demo Advantage Plan (edited)")
    with transaction(engine) as session:
        directory.put_payer(session, edited, actor="admin:ada", now=EDITED_AT)
    done = seed_payers(database_url)
    assert sorted(done) == sorted(
        (payer_id, "kept" if payer_id == "DEMO01" else "added") for payer_id in seed_ids()
    )
    with read_session(engine) as session:
        assert directory.get_payer(session, "DEMO01").name == "Demo Advantage Plan (edited)"
        assert [p.payer_id for p in directory.list_payers(session)] == sorted(seed_ids())
    assert {what for _, what in seed_payers(database_url)} == {"kept"}
