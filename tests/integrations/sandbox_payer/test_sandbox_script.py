"""The sandbox payer's script: defaults, rule order, JSON and YAML files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from integrations.sandbox_payer.script import SandboxBehaviour, SandboxRule, SandboxScript


@pytest.mark.parametrize(
    ("member_id", "code", "behaviour"),
    [
        ("W1", "27447", SandboxBehaviour.APPROVE),
        ("W1", "97110", SandboxBehaviour.PEND_THEN_APPROVE),
        ("W1", "E0601", SandboxBehaviour.DENY),
        ("W1", "J1745", SandboxBehaviour.PARTIAL),
        ("W1", "72148", SandboxBehaviour.MODIFIED),
        ("W1", "99213", SandboxBehaviour.APPROVE),
        ("never-99", "27447", SandboxBehaviour.NEVER_ANSWER),
    ],
)
def test_default_script(member_id: str, code: str, behaviour: SandboxBehaviour) -> None:
    assert SandboxScript.default().rule_for(member_id, code).behaviour == behaviour


def test_deny_reason_of_the_default_script() -> None:
    rule = SandboxScript.default().rule_for("W1", "E0601")
    assert rule.reason == "Not medically necessary per policy MP-123"


def test_json_and_yaml_files(tmp_path: Path) -> None:
    script = {
        "default_behaviour": "pend_then_deny",
        "pend_seconds": 1.5,
        "rules": [
            {"code_prefix": "97", "behaviour": "deny", "reason": "Benefit limit reached"},
            {"member_contains": "VIP", "behaviour": "approve"},
        ],
    }
    as_json = tmp_path / "script.json"
    as_json.write_text(json.dumps(script))
    as_yaml = tmp_path / "script.yaml"
    as_yaml.write_text(
        "default_behaviour: pend_then_deny\npend_seconds: 1.5\nrules:\n"
        "  - code_prefix: '97'\n    behaviour: deny\n    reason: Benefit limit reached\n"
        "  - member_contains: VIP\n    behaviour: approve\n"
    )

    for path in (as_json, as_yaml):
        loaded = SandboxScript.from_file(path)
        assert loaded.pend_seconds == 1.5
        assert loaded.rule_for("W1", "97110").reason == "Benefit limit reached"
        # member rules win over code rules
        assert loaded.rule_for("VIP-7", "97110").behaviour == SandboxBehaviour.APPROVE
        assert loaded.rule_for("W1", "27447").behaviour == SandboxBehaviour.PEND_THEN_DENY


def test_a_rule_matches_by_one_thing() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        SandboxRule(behaviour=SandboxBehaviour.APPROVE)
    with pytest.raises(ValidationError, match="exactly one"):
        SandboxRule(code_prefix="1", member_contains="X", behaviour=SandboxBehaviour.APPROVE)
    with pytest.raises(ValidationError):
        SandboxScript.model_validate({"rules": [], "surprise": 1})
