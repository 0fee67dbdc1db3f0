"""Installing the project: what pip resolves and what the wheel ships."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"]]


def extras_as_requested() -> dict[str, set[str]]:
    """Package -> every spelling of every extra the runtime dependency closure asks of it,
    as written in the installed packages' metadata."""
    spellings: dict[str, set[str]] = defaultdict(set)
    todo = project_requirements()
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req = todo.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        spellings[key[0]].update(req.extras)
        try:
            declared = requires(req.name) or []
        except PackageNotFoundError:
            continue
        for text in declared:
            dependency = Requirement(text)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in req.extras or {""}):
                todo.append(dependency)
    return spellings


def test_an_extra_asked_under_two_spellings_is_named_by_the_project():
    """pip before 23.3 (Python 3.11's bundled pip is 23.2) stops with ``AssertionError:
    ... lxml[html-clean,html-clean]`` when two packages ask for one extra spelled two ways
    (justext: ``html_clean``, readability-lxml: ``html-clean``), unless the project itself
    asks for the package with that extra."""
    ours = {
        canonicalize_name(r.name): set(map(canonicalize_name, r.extras))
        for r in project_requirements()
    }
    clashes = {
        (package, canonicalize_name(extra))
        for package, extras in extras_as_requested().items()
        for extra in extras
        if len({e for e in extras if canonicalize_name(e) == canonicalize_name(extra)}) > 1
    }
    assert clashes, "the dependency closure no longer spells an extra two ways: drop the pin"
    assert {(p, e) for p, e in clashes if e not in ours.get(p, set())} == set()


def test_the_wheel_ships_the_licence(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("article_pipeline-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        licence = next(n for n in archive.namelist() if n.endswith("dist-info/licenses/LICENSE"))
        assert "MIT License" in archive.read(licence).decode()
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA")))
    assert b"License-Expression: MIT" in metadata
