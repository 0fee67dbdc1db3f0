"""Bad arguments and settings: refused before any work, in one line that names them, exit 2."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from flows import environment
from pipeline import __version__, cli
from pipeline.readers.limits import Limits


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(ROOT / "raw" / "000_1da99dccc0043c74.txt", raw)
    return raw


@pytest.fixture
def no_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to start the flow fails the test: a refusal must come before it."""

    def refuse(*args, **kwargs):
        raise AssertionError("the flow started despite a bad argument")

    monkeypatch.setattr(environment, "configure_prefect_environment", refuse)


def refused(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    """The one line ``argv`` is refused with (exit code 2, nothing on stdout)."""
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse's own refusals
        code = stop.code
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "named", "fix"),
    [
        (["--workers", "-3"], "--workers", "0 (one per core)"),
        (["--workers", "two"], "--workers", "number of processes"),
        (["--batch-size", "0"], "--batch-size", "at least 1"),
        (["--max-file-bytes", "-1"], "--max-file-bytes", "positive"),
        (["--rules-dir", "/nonexistent"], "--rules-dir '/nonexistent'", "directory of *.toml"),
        (["--dask-address", "tcp://h:1"], "--dask-address", "--runner dask"),
        (["--summary-json", "/nonexistent/s.json"], "--summary-json", "existing, writable"),
    ],
)
def test_bad_ingest_option_refused_in_one_line(
    raw, tmp_path, capsys, no_flow, extra, named, fix
) -> None:
    clean = tmp_path / "clean"
    line = refused(capsys, ["ingest", str(raw), str(clean), *extra])
    assert named in line and fix in line
    assert not clean.exists()  # no _staging/, no lock, nothing


def test_clean_dir_that_is_a_file_refused(raw, tmp_path, capsys, no_flow) -> None:
    target = tmp_path / "clean.txt"
    target.write_text("not a directory")
    line = refused(capsys, ["ingest", str(raw), str(target)])
    assert "CLEAN_DIR" in line and "is a file" in line and "give a directory" in line


def test_missing_raw_dir_refused(tmp_path, capsys, no_flow) -> None:
    line = refused(capsys, ["ingest", str(tmp_path / "nope"), str(tmp_path / "clean")])
    assert "RAW_DIR" in line and "nope" in line


def test_broken_rule_file_refused_before_the_run(raw, tmp_path, capsys, no_flow) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.toml").write_text("language = \n")
    line = refused(capsys, ["ingest", str(raw), str(tmp_path / "clean"), "--rules-dir", str(rules)])
    assert "--rules-dir" in line and "bad.toml" in line


@pytest.mark.parametrize("value", ["lots", "-5", "1.5"])
def test_bad_limit_variable_is_named(raw, tmp_path, capsys, no_flow, monkeypatch, value) -> None:
    monkeypatch.setenv("PIPELINE_MAX_DOCUMENT_BYTES", value)
    line = refused(capsys, ["ingest", str(raw), str(tmp_path / "clean")])
    assert "PIPELINE_MAX_DOCUMENT_BYTES" in line and repr(value) in line and "number" in line


def test_limits_read_from_the_environment() -> None:
    assert Limits.from_env({"PIPELINE_MAX_TEXT_LINE_CHARS": "1_000"}).max_text_line_chars == 1000
    with pytest.raises(ValueError, match="PIPELINE_MAX_TEXT_LINE_CHARS"):
        Limits.from_env({"PIPELINE_MAX_TEXT_LINE_CHARS": "many"})


def test_every_limit_is_documented_and_every_documented_limit_exists() -> None:
    """docs/inputs.md lists the limits; a documented limit that nothing reads is a trap."""
    from dataclasses import fields

    table = (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8")
    documented = {
        line.split("`")[1]
        for line in table.splitlines()
        if line.startswith("| `max_") and "only)" not in line  # flag-only: not a Limits field
    }
    assert documented == {f.name for f in fields(Limits)}


@pytest.mark.parametrize("kind", ["empty", "raw"])
def test_verify_refuses_a_directory_that_is_not_a_clean_dir(raw, tmp_path, capsys, kind) -> None:
    target = raw if kind == "raw" else tmp_path / "empty"
    target.mkdir(exist_ok=True)
    line = refused(capsys, ["verify", str(target)])
    assert "holds no ingest output" in line and "CLEAN_DIR" in line


def test_explain_refuses_a_clean_dir_option_that_is_not_one(raw, capsys) -> None:
    article = str(raw / "000_1da99dccc0043c74.txt")
    line = refused(capsys, ["explain", article, "--clean-dir", str(raw)])
    assert "CLEAN_DIR" in line and "holds no ingest output" in line


def test_verify_refuses_a_missing_directory(tmp_path, capsys) -> None:
    assert "is not a directory" in refused(capsys, ["verify", str(tmp_path / "nope")])


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"article-pipeline {__version__}"


def test_program_entry_freezes_the_heap_before_exit(monkeypatch, capsys) -> None:
    """The interpreter's final collection skips frozen objects: without the freeze, the
    heap a flow run leaves behind kept the process alive for seconds after the summary."""
    monkeypatch.setattr(sys, "argv", ["article-pipeline", "--version"])
    monkeypatch.setattr(cli, "main", lambda: 0)
    try:
        assert cli.console_main() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_module_entry_uses_the_program_entry() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert result.stdout.strip() == f"article-pipeline {__version__}"


def test_serve_refuses_a_missing_raw_dir_before_serving(tmp_path, capsys) -> None:
    from flows import serve

    with pytest.raises(SystemExit) as stop:
        serve.main([str(tmp_path / "nope"), str(tmp_path / "clean")])
    assert stop.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "RAW_DIR" in line and "nope" in line
