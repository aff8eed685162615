"""The layer rules (docs/design.md, "Layers") hold: the import-linter contracts in pyproject.toml.

`lint-imports` runs the same contracts from the command line; this test makes `make test`
enforce them and puts import-linter's account of each broken contract (the importing module,
the imported one, the line, and for an indirect import the whole chain) in the failure message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application import output, use_cases

ROOT = Path(__file__).resolve().parents[1]


def lint(config: Path) -> tuple[bool, str]:
    """Check every contract of `config`: (all kept, import-linter's report)."""
    configuration.configure()
    with output.console.capture() as captured:
        kept = use_cases.lint_imports(config_filename=str(config), no_logo=True, cache_dir=None)
    return kept, captured.get()


def broken_part(report: str) -> str:
    return report[report.index("Broken contracts") :] if "Broken contracts" in report else report


def test_the_layer_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    kept, report = lint(ROOT / "pyproject.toml")
    assert kept, "an import breaks the layer rules (docs/design.md, Layers):\n" + broken_part(
        report
    )


def test_every_ignored_import_says_why() -> None:
    """An exception to a contract is a debt with a reason, never a silent allowance."""
    text = (ROOT / "pyproject.toml").read_text()
    section = text[text.index("[tool.importlinter]") :]
    lines = section.splitlines()
    for number, line in enumerate(lines):
        if line.strip().startswith('"') and "->" in line and line.strip().endswith(","):
            before = [ln.strip() for ln in lines[max(0, number - 4) : number]]
            assert any(ln.startswith("#") for ln in before), f"ignored without a reason: {line}"


def test_a_broken_rule_names_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure message shows how the forbidden module is reached, step by step."""
    for package, body in {
        "toy_low": "import toy_middle\n",
        "toy_middle": "import toy_high\n",
        "toy_high": "",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(body)
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["toy_low", "toy_middle", "toy_high"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "low stays low"\ntype = "forbidden"\n'
        'source_modules = ["toy_low"]\nforbidden_modules = ["toy_high"]\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    kept, report = lint(config)
    assert not kept
    message = broken_part(report)
    assert "toy_low is not allowed to import toy_high" in message
    assert "toy_low -> toy_middle" in message
    assert "toy_middle -> toy_high" in message
