"""The request budget kept in the cache folder, shared by every client of one App."""

from __future__ import annotations

import json
import os
import stat
import time

from compliance_nb.api.client import ComplianceClient
from compliance_nb.api.ratelimit import RateBudget
from compliance_nb.api.sharedbudget import BUDGET_FILE, SharedRateBudget, app_key

ROUTE = "GET /2/compliance/jobs/:id"
TOKEN = "AAAA-shared-budget-token-1234567890"


def test_clients_of_one_app_share_the_budget_and_other_apps_do_not(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_NB_CACHE_DIR", str(tmp_path))
    one = ComplianceClient(bearer_token=TOKEN, base_url="http://127.0.0.1:1", rate_limit=3)
    two = ComplianceClient(bearer_token=TOKEN, base_url="http://127.0.0.1:1", rate_limit=3)
    other = ComplianceClient(bearer_token="AAAA-another-app", base_url="http://127.0.0.1:1")
    for _ in range(3):
        one._api.budget.acquire(ROUTE, lambda s: None)
    assert two._api.budget.used(ROUTE) == 3
    assert two._api.budget.delay(ROUTE) > 800  # full until the oldest ages out (900 s)
    assert other._api.budget.used(ROUTE) == 0


def test_the_file_holds_no_token_and_only_its_owner_reads_it(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_NB_CACHE_DIR", str(tmp_path))
    client = ComplianceClient(bearer_token=TOKEN, base_url="http://127.0.0.1:1")
    client._api.budget.acquire(ROUTE, lambda s: None)
    path = tmp_path / BUDGET_FILE
    assert TOKEN not in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_damaged_file_starts_afresh_and_aged_out_apps_go(tmp_path):
    path = tmp_path / BUDGET_FILE
    path.write_text('{"half a fi')
    budget = SharedRateBudget(path, app_key("u", TOKEN), limit=2, window=60)
    assert budget.acquire(ROUTE, lambda s: None) == 0.0
    stale = {"sent": {ROUTE: [time.time() - 1000]}, "blocked": {}, "expires": time.time() - 940}
    data = json.loads(path.read_text())
    data["stale-app"] = stale
    path.write_text(json.dumps(data))
    budget.acquire(ROUTE, lambda s: None)
    data = json.loads(path.read_text())
    assert "stale-app" not in data and list(data) == [app_key("u", TOKEN)]
    assert len(data[app_key("u", TOKEN)]["sent"][ROUTE]) == 2


def test_a_client_with_its_own_clock_keeps_its_own_budget(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_NB_CACHE_DIR", str(tmp_path))
    client = ComplianceClient(bearer_token=TOKEN, base_url="http://x.test", clock=time.time)
    assert type(client._api.budget) is RateBudget
    assert not (tmp_path / BUDGET_FILE).exists()
