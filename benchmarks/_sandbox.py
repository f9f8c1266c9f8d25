"""The sandbox server in a separate process, for benchmarks.

:class:`SandboxProcess` runs ``python -m compliance_nb.sandbox --port 0 --delay D``,
reads the ``API URL:`` and ``Bearer token:`` lines from its output and stops it (terminate,
then kill) on :meth:`SandboxProcess.stop` or when the ``with`` block ends, whatever happens.
Its output goes to a log file, never to a pipe that could fill up.

With ``deleted_share`` or ``estimated_completion=False``, this file itself is run as the
server instead (same output lines), with the matching ``Sandbox`` options: an oracle that
marks that share of Tweet IDs ``deleted`` (a results file several times larger than the
default one, where about 10% of IDs need action), or jobs without ``estimated_completion``
(the field is unconfirmed in the real API), so that a client can only poll.

>>> with SandboxProcess(delay=0) as sandbox:     # doctest: +SKIP
...     print(sandbox.api_url)
http://127.0.0.1:...
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["SandboxProcess"]

_URL_RE = re.compile(r"API URL:\s*(\S+)")
_TOKEN_RE = re.compile(r"Bearer token:\s*(\S+)")


class SandboxProcess:
    """A sandbox server process (see the module docstring).

    Args:
        delay: the sandbox's processing delay in seconds.
        startup_timeout: seconds to wait for the two lines before giving up.
        extra_args: more command-line arguments for the sandbox.
    """

    def __init__(
        self,
        delay: float = 0.0,
        startup_timeout: float = 60.0,
        extra_args: tuple[str, ...] = (),
        deleted_share: float | None = None,
        estimated_completion: bool = True,
    ) -> None:
        self.delay = delay
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self.deleted_share = deleted_share
        self.estimated_completion = estimated_completion
        self.process: subprocess.Popen[bytes] | None = None
        self.api_url = ""
        self.token = ""
        self._log = Path(tempfile.mkstemp(prefix="cnb-sandbox-", suffix=".log")[1])

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> SandboxProcess:
        if self.deleted_share is None and self.estimated_completion:
            server = ["-m", "compliance_nb.sandbox", "--port", "0"]
        else:
            server = [str(Path(__file__).resolve())]
            if self.deleted_share is not None:
                server += ["--deleted", str(self.deleted_share)]
            if not self.estimated_completion:
                server += ["--no-estimated-completion"]
        cmd = [sys.executable, *server, "--delay", str(self.delay), *self.extra_args]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self._log, "wb") as log:
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            text = self._log.read_text(errors="replace")
            url, token = _URL_RE.search(text), _TOKEN_RE.search(text)
            if url and token:
                self.api_url, self.token = url.group(1).rstrip("/"), token.group(1)
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        tail = self._log.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"the sandbox did not start (command {cmd}); its output:\n{tail}")

    def stop(self) -> None:
        """Terminate the server (kill it after 5 s); safe to call twice."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._log.unlink(missing_ok=True)

    def rss(self) -> int | None:
        """The server's current resident memory in bytes, if it runs."""
        if self.process is None:
            return None
        try:
            import psutil

            return int(psutil.Process(self.process.pid).memory_info().rss)
        except Exception:
            return None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve_with_rates(argv: list[str] | None = None) -> int:
    """Serve a sandbox with the options above; print the URL and token lines."""
    import argparse

    from compliance_nb.sandbox import Sandbox

    parser = argparse.ArgumentParser(description="a sandbox with more IDs needing action")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--deleted", type=float, default=None, help="share marked deleted")
    parser.add_argument("--no-estimated-completion", action="store_true")
    args = parser.parse_args(argv)
    rates = {"tweets": {"deleted": args.deleted}} if args.deleted is not None else None
    sandbox = Sandbox(
        processing_delay=args.delay,
        rates=rates,
        estimated_completion=not args.no_estimated_completion,
    )
    sandbox.start()
    print(f"API URL: {sandbox.url}\nBearer token: {sandbox.bearer_token}", flush=True)
    sandbox.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(_serve_with_rates())
