"""`priorauth letter` through a small app that mounts `letter_app`, as cli.py does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import commands.letter as letter_command
from commands.letter import letter_app
from letters import SPECS
from tests.letters.helpers import EXAMPLES, Reader

app = typer.Typer()
app.add_typer(letter_app, name="letter")
runner = CliRunner()
NOW = "2026-11-23T09:00:00-06:00"


def _render(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["letter", "render", "--now", NOW, *args])
    return result.exit_code, result.stdout, result.stderr


def test_kinds_lists_every_kind_and_its_fields() -> None:
    result = runner.invoke(app, ["letter", "kinds"])
    assert result.exit_code == 0
    for spec in SPECS.values():
        assert spec.kind.value in result.stdout
        for requirement in spec.requires:
            assert requirement.field in result.stdout
    assert "[medicaid_managed_care] review_body" in result.stdout
    # An either/or requirement names both ways to meet it.
    assert "- arguments or clinical_summary  <-" in result.stdout


def test_render_writes_the_docx(tmp_path: Path) -> None:
    out = tmp_path / "claim-file.docx"
    code, stdout, _ = _render(
        "--kind", "claim_file_request", "--case", str(EXAMPLES / "erisa_appeal.json"),
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, stdout
    assert "sha256" in stdout
    letter = Reader(out.read_bytes())
    assert "Request for the claim file" in letter.text
    assert letter.re_block()["Member ID"] == "XGH40021877"


def test_missing_fields_exit_2_and_write_nothing(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "ma_appeal.json").read_text())
    del data["signer"]
    data["exhibits"] = []
    data["arguments"] = []
    data["case"]["request"]["clinical_summary"] = None
    case = tmp_path / "case.json"
    case.write_text(json.dumps(data))
    out = tmp_path / "appeal.docx"
    code, _, stderr = _render("--kind", "appeal_level1", "--case", str(case), "--out", str(out))
    assert code == 2
    for field in ("signer.name", "arguments or clinical_summary"):
        assert field in stderr
    assert "  - exhibits" not in stderr  # an appeal may go without enclosures
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.json"]


def test_invalid_case_file_shows_pydantic_field_errors(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "ma_appeal.json").read_text())
    data["case"]["request"]["service_lines"][0]["code"] = "KNEE"
    data["case"]["request"]["member"]["birth_date"] = "not a date"
    case = tmp_path / "case.json"
    case.write_text(json.dumps(data))
    out = tmp_path / "appeal.docx"
    code, _, stderr = _render("--kind", "appeal_level1", "--case", str(case), "--out", str(out))
    assert code == 2
    assert "case.request.service_lines.0.code" in stderr
    assert "case.request.member.birth_date" in stderr
    assert not out.exists()


def test_bad_inputs_exit_2(tmp_path: Path) -> None:
    out = str(tmp_path / "x.docx")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for args in (
        ["--kind", "appeal_level1", "--case", str(tmp_path / "absent.json"), "--out", out],
        ["--kind", "appeal_level1", "--case", str(broken), "--out", out],
        ["--kind", "no_such_kind", "--case", str(broken), "--out", out],
    ):
        code, _, _ = _render(*args)
        assert code == 2, args
    result = runner.invoke(
        app, ["letter", "render", "--kind", "appeal_level1", "--case", str(broken),
              "--out", out, "--now", "2026-11-23T09:00:00"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert not (tmp_path / "x.docx").exists()


def test_pdf_without_libreoffice_still_writes_the_docx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(letter_command.shutil, "which", lambda name: None)
    out = tmp_path / "lmn.docx"
    code, _, stderr = _render(
        "--kind", "letter_of_medical_necessity", "--case", str(EXAMPLES / "medicaid_appeal.json"),
        "--out", str(out), "--pdf",
    )  # fmt: skip
    assert code == 0
    assert "needs LibreOffice" in stderr
    assert out.exists()
    assert not out.with_suffix(".pdf").exists()


@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice absent"
)
def test_pdf_with_libreoffice(tmp_path: Path) -> None:
    out = tmp_path / "claim.docx"
    code, stdout, stderr = _render(
        "--kind", "claim_file_request", "--case", str(EXAMPLES / "ma_appeal.json"),
        "--out", str(out), "--pdf",
    )  # fmt: skip
    assert code == 0, stderr
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert str(pdf) in stdout
