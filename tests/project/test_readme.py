"""The README's examples (and docs/orchestration.md's): every Python block runs against a
real ingest of ``raw/`` with only what installing the project installs, and the README's
command synopsis names real options."""

from __future__ import annotations

import ast
import re
import shutil
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from conftest import ROOT
from deltalake import DeltaTable
from packaging.utils import canonicalize_name
from test_install import extras_as_requested, project_requirements

from pipeline.cli import _parser, main

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ("README.md", "docs/orchestration.md")
PYTHON_BLOCKS = [
    pytest.param(block, id=f"{doc}:{block.splitlines()[0][:40]}")
    for doc in DOCS
    for block in re.findall(
        r"^```python\n(.*?)^```",
        (ROOT / doc).read_text(encoding="utf-8"),
        flags=re.MULTILINE | re.DOTALL,
    )
]


def runtime_distributions() -> set[str]:
    """The project's runtime dependencies and everything they pull in, as installed."""
    return {*extras_as_requested(), *(canonicalize_name(r.name) for r in project_requirements())}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the sample raw/ and the clean/ that ``ingest raw clean`` makes."""
    base = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "raw", base / "raw")
    assert main(["ingest", str(base / "raw"), str(base / "clean"), "--workers", "1"]) == 0
    return base


def test_docs_have_python_examples() -> None:
    assert {p.id.split(":")[0] for p in PYTHON_BLOCKS} == set(DOCS)


@pytest.mark.parametrize("block", PYTHON_BLOCKS)
def test_python_example_runs_on_the_output_of_make_run(
    block: str, workdir: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(workdir)
    run_id = DeltaTable("clean/articles").to_pyarrow_table(columns=["flow_run_id"])[0][0].as_py()
    capfd.readouterr()
    exec(compile(block.replace("<FLOW_RUN_ID>", run_id), "example", "exec"), {})
    shown = capfd.readouterr().out
    assert shown.count("\n") >= 3, shown  # each example prints a table of the output


@pytest.mark.parametrize("block", PYTHON_BLOCKS)
def test_python_example_imports_only_what_the_project_installs(block: str) -> None:
    """`make run` installs the runtime dependencies only: no example may need a dev extra."""
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    installed_by = packages_distributions()
    runtime = runtime_distributions()
    missing = {
        module
        for module in modules
        if module not in sys.stdlib_module_names
        and not {canonicalize_name(d) for d in installed_by.get(module, [])} & runtime
    }
    assert missing == set()


def test_synopsis_names_only_real_options() -> None:
    synopsis = re.search(r"## Command line\n\n```\n(.*?)```", README, flags=re.DOTALL).group(1)
    parser = _parser()
    known = set(parser._option_string_actions)
    for commands in parser._subparsers._group_actions:
        for sub in commands.choices.values():
            known |= set(sub._option_string_actions)
    assert set(re.findall(r"--[a-z][a-z-]+", synopsis)) - known == set()
