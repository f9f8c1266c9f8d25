"""Shared fixtures. Every test runs with no bearer token in the environment and with the
ledger in a temporary folder, so nothing a developer has set up leaks in or gets changed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

_TOKEN_VARS = ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN", "BEARER_TOKEN")


@pytest.fixture(autouse=True, scope="session")
def _isolated_session_env(tmp_path_factory: pytest.TempPathFactory):
    """The same isolation for module- and session-scoped fixtures, which are set up before
    the per-test one below: nothing a test runs may write to the user's own cache."""
    with pytest.MonkeyPatch.context() as mp:
        for var in (*_TOKEN_VARS, "COMPLIANCE_NB_API_URL", "COMPLIANCE_NB_SANDBOX"):
            mp.delenv(var, raising=False)
        mp.setenv("COMPLIANCE_NB_CACHE_DIR", str(tmp_path_factory.mktemp("session-cache")))
        yield


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    for var in (*_TOKEN_VARS, "COMPLIANCE_NB_API_URL", "COMPLIANCE_NB_SANDBOX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COMPLIANCE_NB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("MPLBACKEND", "Agg")


#: The two shapes of upload and download URLs X may hand out: signed storage URLs (the
#: documented ones) and the API host's own routes (OpenAPI v2.168). See ``Sandbox``.
TRANSFER_URL_MODES = ("storage", "api")


@pytest.fixture(params=TRANSFER_URL_MODES)
def transfer_urls(request: pytest.FixtureRequest) -> str:
    """Each shape of the jobs' upload and download URLs in turn (``Sandbox(transfer_urls=)``)."""
    return str(request.param)


@pytest.fixture
def sandbox() -> Iterator[object]:
    """A running sandbox with no processing delay, fresh for each test."""
    from compliance_nb.sandbox import Sandbox

    with Sandbox(processing_delay=0) as sb:
        yield sb


def pytest_report_header(config: pytest.Config) -> str:
    return f"compliance_nb tests; chromium: {os.path.exists('/usr/bin/chromium')}"


@pytest.fixture
def parts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ``PartRunner`` the job engine makes during the test (to look at its folder)."""
    from compliance_nb.jobs.part import PartRunner

    made: list[Any] = []
    original = PartRunner.__init__

    def init(self: Any, *args: Any, **kw: Any) -> None:
        original(self, *args, **kw)
        made.append(self)

    monkeypatch.setattr(PartRunner, "__init__", init)
    return made
