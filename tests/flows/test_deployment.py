"""prefect.yaml, for real: server, work pool, deployment, worker, a triggered run, its Parquet.

The server test runs the commands of docs/orchestration.md against a `prefect server` on
127.0.0.1 with its own PREFECT_HOME; every process it starts is stopped in a ``finally``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow.dataset as ds
import pytest
import yaml
from conftest import ROOT

PREFECT = [sys.executable, "-m", "prefect"]
POOL = "article-pipeline"
DEPLOYMENT = "ingest/scheduled"
TIMEOUT = 240.0
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _config() -> dict:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())


def test_prefect_yaml_declares_the_scheduled_deployment() -> None:
    config = _config()
    (deployment,) = [d for d in config["deployments"] if d["name"] == "scheduled"]
    assert deployment["entrypoint"] == "flows/ingest.py:ingest"
    assert deployment["concurrency_limit"] == 1
    assert deployment["work_pool"]["name"] == POOL
    assert set(deployment["parameters"]) == {"raw_dir", "clean_dir"}
    (schedule,) = deployment["schedules"]
    steps = {
        step["id"]: step["script"]
        for item in config["build"]
        for name, step in item.items()
        if name.endswith("run_shell_script")
    }
    assert schedule["cron"] == "{{ cron.stdout }}"
    assert "0 * * * *" in steps["cron"]  # hourly unless INGEST_CRON says otherwise
    (pull,) = config["pull"]
    assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == (
        "{{ project_dir.stdout }}"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(home: Path, api_url: str, raw: Path, clean: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_UI_ENABLED="false",
        # nothing fires on the hourly schedule while the test runs; it triggers its own run
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
        RAW_DIR=str(raw),
        CLEAN_DIR=str(clean),
    )
    env.pop("INGEST_CRON", None)
    return env


@contextmanager
def _started(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Start ``command`` in its own process group; stop the group however the test ends.

    A Prefect worker stops at the second SIGTERM (the first one asks it to finish politely).
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            for sig, wait in ((signal.SIGTERM, 1), (signal.SIGTERM, 15), (signal.SIGKILL, 10)):
                if process.poll() is not None:
                    break
                os.killpg(process.pid, sig)
                try:
                    process.wait(wait)
                except subprocess.TimeoutExpired:
                    continue
            _kill_group_leftovers(process.pid)


def _kill_group_leftovers(pgid: int) -> None:
    """Flow-run processes a stopped worker left behind are in its (our) process group."""
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _wait_until(predicate, what: str, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"process died while waiting for {what}:\n{log.read_text()[-3000:]}")
        value = predicate()
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _final_state(api: str, run_id: str) -> str | None:
    state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]["type"]
    return state if state in TERMINAL else None


@dataclass(frozen=True)
class Server:
    api: str
    home: Path
    log: Path

    def environment(self, raw: Path, clean: Path) -> dict[str, str]:
        return _environment(self.home, self.api, raw, clean)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """``prefect server start`` on a free 127.0.0.1 port with a PREFECT_HOME of its own."""
    base = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    running = Server(f"http://127.0.0.1:{port}/api", base / "home", base / "server.log")
    env = running.environment(base, base)
    command = [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    started = time.monotonic()
    with _started(command, env, running.log) as process:
        _wait_until(lambda: _healthy(running.api), "the server", process, running.log)
        print(f"\nserver up in {time.monotonic() - started:.0f} s")
        yield running


def _trigger_and_wait(
    deployment: str, env: dict[str, str], api: str, runner: subprocess.Popen, log: Path
) -> str:
    out = _run([*PREFECT, "deployment", "run", deployment], env)
    run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", out).group(1)
    state = _wait_until(lambda: _final_state(api, run_id), "the flow run", runner, log)
    assert state == "COMPLETED", log.read_text()[-5000:]
    return run_id


def _check_output(clean: Path, run_id: str) -> None:
    articles = ds.dataset(clean / "articles", format="parquet", partitioning="hive").to_table()
    assert articles.num_rows > 0
    assert set(articles["flow_run_id"].to_pylist()) == {run_id}


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    shutil.copytree(ROOT / "raw", raw)
    return raw, clean


@pytest.mark.server
def test_deployment_runs_on_a_worker(server: Server, tmp_path: Path) -> None:
    raw, clean = _inputs(tmp_path)
    env = server.environment(raw, clean)
    worker_log = tmp_path / "worker.log"
    started = time.monotonic()
    _run([*PREFECT, "work-pool", "create", POOL, "--type", "process"], env)
    _run([*PREFECT, "--no-prompt", "deploy", "--name", "scheduled"], env)
    deployment = json.loads(
        _run([*PREFECT, "deployment", "inspect", DEPLOYMENT, "-o", "json"], env)
    )
    assert deployment["parameters"] == {"raw_dir": str(raw), "clean_dir": str(clean)}
    assert deployment["global_concurrency_limit"]["limit"] == 1
    assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 * * * *"]
    assert deployment["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
    ]
    worker_command = [*PREFECT, "worker", "start", "--pool", POOL, "--type", "process"]
    with _started(worker_command, env, worker_log) as worker:
        run_id = _trigger_and_wait(DEPLOYMENT, env, server.api, worker, worker_log)
    print(f"pool, deploy, worker, run, worker stopped: {time.monotonic() - started:.0f} s")
    artifacts = httpx.post(
        f"{server.api}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [run_id]}}},
        timeout=10,
    ).json()
    assert {a["key"] for a in artifacts} >= {
        "ingest-report",
        "ingest-report-table",
        "ingest-progress",
    }
    _check_output(clean, run_id)


@pytest.mark.server
def test_serve_runs_a_triggered_run(server: Server, tmp_path: Path) -> None:
    raw, clean = _inputs(tmp_path)
    env = server.environment(raw, clean)
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "flows.serve", str(raw), str(clean), "--name", "served"]
    with _started(command, env, log) as serving:
        _wait_until(
            lambda: httpx.get(f"{server.api}/deployments/name/ingest/served").status_code == 200,
            "the served deployment",
            serving,
            log,
        )
        run_id = _trigger_and_wait("ingest/served", env, server.api, serving, log)
    _check_output(clean, run_id)
