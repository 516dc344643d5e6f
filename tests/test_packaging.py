"""Packaging and CI stay what the README promises: an SPDX license, and .ci/run running the README's test
command in a virtualenv it removes afterwards."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Two commands on a fresh machine")[1]
    section = section.split("\n## ")[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.DOTALL)


def test_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # The table form ({text = ...}) makes pip warn that it stops working in 2027 (PEP 639).
    assert project["project"]["license"] == "MIT"
    requires = project["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77 for r in requires)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    install, test = _readme_commands()
    assert install.startswith("pip install . && routebot route ")
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert test in commands and test.startswith("pip install -e '.[test]'")


def test_ci_removes_its_virtualenv_however_it_ends() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    scratch = re.search(r'^(\w+)="\$\(mktemp -d\)"$', script, flags=re.MULTILINE)
    assert scratch is not None
    assert f"trap 'rm -rf \"${scratch.group(1)}\"' EXIT" in script
    assert re.search(rf'^venv="\${scratch.group(1)}/', script, flags=re.MULTILINE)
