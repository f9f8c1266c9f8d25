"""A separate process for the concurrency tests: one compliance run, or a burst of polls.

Run as ``python _concurrent_worker.py SPEC.json``; the spec says what to do, the answer
goes to ``spec["out"]`` as JSON. The sandbox runs in the test's process; this process
reaches it over loopback like any other client would.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any


def _check(spec: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    from compliance_nb.api.client import ComplianceClient
    from compliance_nb.frames.check import check_compliance

    client = ComplianceClient(
        bearer_token=spec["token"],
        base_url=spec["url"],
        rate_limit=spec.get("rate_limit", 150),
        rate_window=spec.get("rate_window", 900.0),
    )
    events: list[Any] = []
    df = pl.DataFrame({"id": spec["ids"]})
    out = check_compliance(
        df,
        kind=spec.get("kind", "tweets"),
        client=client,
        ledger_path=spec["ledger"],
        progress=events.append,
        on_conflict=spec.get("on_conflict", "wait"),
    )
    rows = out.select(
        "id",
        "compliance_action",
        "compliance_reason",
        "compliance_created_at",
        "compliance_redacted_at",
    ).rows()
    return {
        "rows": [[None if v is None else str(v) for v in row] for row in rows],
        "stages": [e.stage for e in events],
        "messages": [e.message for e in events if e.message],
        "jobs": sorted({e.job_id for e in events if e.job_id}),
    }


def _polls(spec: dict[str, Any]) -> dict[str, Any]:
    from compliance_nb.api.client import ComplianceClient

    client = ComplianceClient(
        bearer_token=spec["token"],
        base_url=spec["url"],
        rate_limit=spec["rate_limit"],
        rate_window=spec["rate_window"],
    )
    # start together: both processes wait for the same moment
    time.sleep(max(0.0, spec["start_at"] - time.time()))
    for _ in range(spec["n"]):
        client.get_job(spec["job_id"])
    return {"done": spec["n"]}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    try:
        answer = _polls(spec) if spec.get("mode") == "polls" else _check(spec)
    except BaseException as exc:  # reported to the test, which fails with it
        answer = {
            "error": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(),
        }
    with open(spec["out"], "w", encoding="utf-8") as f:
        json.dump(answer, f)


if __name__ == "__main__":
    main()
