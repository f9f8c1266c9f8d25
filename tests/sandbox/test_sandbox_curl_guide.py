"""The getting-started guide's curl steps, run against the sandbox started from the shell.

The sandbox runs as a subprocess (``compliance-nb sandbox --port 0`` when that command
works, else ``python -m compliance_nb.sandbox --port 0``); its URL and token are read from
what it prints, and each step is a real ``curl`` call.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance_nb.sandbox import Sandbox

CURL = shutil.which("curl") or ("/usr/bin/curl" if os.path.exists("/usr/bin/curl") else None)
pytestmark = pytest.mark.skipif(CURL is None, reason="curl is not installed")


def _command() -> list[str]:
    """``compliance-nb sandbox`` if the CLI module has a ``main``, else ``python -m``."""
    script = Path(sys.executable).with_name("compliance-nb")
    spec = importlib.util.find_spec("compliance_nb.cli")
    if script.exists() and spec is not None:
        return [str(script), "sandbox"]
    return [sys.executable, "-m", "compliance_nb.sandbox"]


class _Process:
    """The sandbox subprocess and the lines it printed."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [*_command(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        raise AssertionError(f"no line starting {prefix!r}; output so far: {self.seen}")

    def drain(self, timeout: float = 5) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.seen.append(self.lines.get(timeout=0.1))
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
        return self.seen


@pytest.fixture
def served() -> Iterator[_Process]:
    process = _Process(["--port", "0", "--delay", "0"])
    try:
        yield process
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait(timeout=10)


def curl(*args: str) -> tuple[int, str]:
    """Run curl; return (HTTP status, body)."""
    assert CURL is not None
    done = subprocess.run(
        [CURL, "-sS", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def test_the_five_guide_steps_with_curl(served, tmp_path):
    url = served.wait_for("API URL:")
    token = served.wait_for("Bearer token:")
    assert token.startswith("sandbox-")
    hint = served.wait_for("  export ")
    assert f"COMPLIANCE_NB_API_URL={url}" in hint and f"X_BEARER_TOKEN={token}" in hint
    assert url.startswith("http://127.0.0.1:")

    # Step one: create a compliance job
    status, body = curl(
        "--request", "POST", f"{url}/2/compliance/jobs",
        "--header", f"Authorization: Bearer {token}",
        "--header", "Content-Type: application/json",
        "--data-raw", '{"type": "tweets"}',
    )  # fmt: skip
    assert status == 200, body
    job = json.loads(body)["data"]
    assert job["status"] == "created"

    # Step two: prepare a list of Tweet IDs, one per line
    ids = [str(1417856744319971329 + 104729 * i) for i in range(3000)]
    id_file = tmp_path / "ids.txt"
    id_file.write_text("\n".join(ids) + "\n")

    # Step three: upload with PUT and Content-Type text/plain (no bearer token)
    status, body = curl(
        "-X", "PUT", "-H", "Content-Type: text/plain",
        "--data-binary", f"@{id_file}", job["upload_url"],
    )  # fmt: skip
    assert status == 200, body

    # Step four: check the job status until it is complete
    deadline = time.monotonic() + 20
    while True:
        status, body = curl(
            "--request", "GET", f"{url}/2/compliance/jobs/{job['id']}",
            "--header", f"Authorization: Bearer {token}",
        )  # fmt: skip
        assert status == 200, body
        if json.loads(body)["data"]["status"] == "complete" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert json.loads(body)["data"]["status"] == "complete"

    # Step five: download the results (JSON lines, only IDs needing action)
    status, body = curl("--request", "GET", job["download_url"])
    assert status == 200
    lines = [json.loads(line) for line in body.splitlines() if line]
    expected = Sandbox(seed=0).expected(ids, "tweets").drop_nulls("reason")
    assert {line["id"] for line in lines} == set(expected["id"].to_list())
    assert {"id", "action", "created_at", "reason"} <= set(lines[0])

    # Ctrl-C stops it cleanly
    served.proc.send_signal(signal.SIGINT)
    assert served.proc.wait(timeout=10) == 0
    assert "sandbox stopped" in served.drain()


def test_sigterm_stops_the_sandbox(served):
    url = served.wait_for("API URL:")
    status, _ = curl(f"{url}/2/compliance/jobs?type=tweets")
    assert status == 401
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=10) == 0


def test_module_entry_point_takes_a_token():
    process = _Process.__new__(_Process)
    process.proc = subprocess.Popen(
        [sys.executable, "-m", "compliance_nb.sandbox", "--port", "0", "--token", "tok-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.lines = queue.Queue()
    process.seen = []
    threading.Thread(target=process._pump, daemon=True).start()
    try:
        assert process.wait_for("Bearer token:") == "tok-1"
        url = process.wait_for("API URL:")
        status, _ = curl("-H", "Authorization: Bearer tok-1", f"{url}/2/compliance/jobs?type=users")
        assert status == 200
    finally:
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(timeout=10) == 0
