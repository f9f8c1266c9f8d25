"""The fault-injection suite's catalogue, shared helpers and docs generator.

Every fault and bad input the suite tries is one :class:`Case` in :data:`CASES`. The test
files parametrise over these cases and assert exactly what each case says the user sees
(``outcome``: ``"recovers"`` or an error class name; ``fragment``: text the error message
must contain; ``jobs``: how many jobs the sandbox must have created). The same list
renders the table in ``docs/reliability.md``; ``tests/faults/test_faults_docs.py`` fails when
the file is out of date. Regenerate it with::

    /work/venv/bin/python tests/_faults_helpers.py --write-docs

The same file is also the child process of the kill tests::

    python tests/_faults_helpers.py child IDS_FILE LEDGER_PATH KILL_AT

runs ``check_compliance`` for the IDs (one per line) with a client from the environment
(``X_BEARER_TOKEN``, ``COMPLIANCE_NB_API_URL``), prints ``AT <stage>`` and parks when the
first event of stage ``KILL_AT`` arrives, so the parent can SIGKILL it right there.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOC_PATH = REPO / "docs" / "reliability.md"

#: 40 distinct Tweet IDs above 2**53 (exact only as integers or text).
IDS = [1_800_000_000_000_000_001 + 104_729 * i for i in range(40)]
RESULT_COLUMNS = [
    "compliance_action",
    "compliance_reason",
    "compliance_created_at",
    "compliance_redacted_at",
]
_SIGNATURE = re.compile(r"(?:X-Goog-Signature|[?&]token)=([0-9A-Za-z%._~-]{8,})")
_UPLOAD_ID = re.compile(r"upload_id=([0-9A-Za-z%._~-]{8,})")


@dataclass(frozen=True)
class Case:
    """One fault or bad input and what the user sees.

    Attributes:
        id: the pytest id (unique).
        group: the table section.
        what: the fault or input, in words (the table's first column).
        sees: what the user sees (the table's second column).
        outcome: ``"recovers"`` (the right result) or the error class the user gets.
        fragment: text the error message must contain (empty: not checked).
        jobs: how many jobs the sandbox must have created in the end (None: not checked).
        faults: ``(route, fault, times, params)`` planned on the sandbox.
        bug: a product bug this case exposes (the test fails until it is fixed).
    """

    id: str
    group: str
    what: str
    sees: str
    outcome: str = "recovers"
    fragment: str = ""
    jobs: int | None = 1
    faults: tuple[tuple[str, str, int, dict[str, Any]], ...] = ()
    bug: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _f(route: str, fault: str, times: int = 1, **params: Any) -> tuple[str, str, int, dict]:
    return (route, fault, times, params)


_RETRY = "the right result; `retrying` progress events say what failed and when the next try is"
_NO_DUP = "; exactly one job"

CASES: list[Case] = []

# -- transient errors on every kind of call ---------------------------------------------
_TRANSIENT = (("500", "HTTP 500"), ("503", "HTTP 503"), ("drop", "dropped connection"))
_ROUTES = (
    (
        "create",
        "create job",
        _RETRY + "; the job is looked up by name before creating again" + _NO_DUP,
        (),
        {},
    ),
    ("get", "get job (polling)", _RETRY, (), {}),
    (
        "list",
        "list jobs (the look-up after a lost create answer)",
        _RETRY + "; the lost job is found, not duplicated" + _NO_DUP,
        (_f("create", "drop", processed=True),),
        {},
    ),
    ("upload", "plain upload (PUT)", _RETRY, (), {}),
    ("upload_start", "resumable upload, session start", _RETRY, (), {"resumable": True}),
    ("download", "download", _RETRY, (), {}),
)
for _route, _label, _sees, _before, _extra in _ROUTES:
    for _fault, _word in _TRANSIENT:
        CASES.append(
            Case(
                f"{_route}-{_fault}",
                "Transient errors",
                f"{_label}: {_word}, twice",
                _sees,
                faults=(*_before, _f(_route, _fault, 2)),
                extra=dict(_extra),
            )
        )
CASES += [
    Case(
        "create-lost-answer",
        "Transient errors",
        "create job: the job is created but the answer is lost",
        "the right result; a `reattached` event: the job was found by its name" + _NO_DUP,
        faults=(_f("create", "drop", processed=True),),
    ),
    Case(
        "upload-lost-answer",
        "Transient errors",
        "plain upload: stored, but the answer is lost",
        _RETRY + " (the second upload changes nothing)",
        faults=(_f("upload", "drop", processed=True),),
    ),
    Case(
        "upload-cut",
        "Transient errors",
        "plain upload: connection cut after 100 bytes",
        _RETRY + " (the whole file is sent again)",
        faults=(_f("upload", "drop", after_bytes=100),),
    ),
]
for _chunk in (1, 2, 3):
    for _fault, _params, _word in (
        ("503", {}, "HTTP 503"),
        ("drop", {}, "dropped connection"),
        ("drop", {"after_bytes": 300_000}, "connection cut after 300,000 bytes"),
    ):
        _tag = "cut" if _params else _fault
        CASES.append(
            Case(
                f"chunk{_chunk}-{_tag}",
                "Resumable upload chunks",
                f"chunk {_chunk} of 3 (256 KiB chunks): {_word}",
                "the right result; the client asks the session what it stored and resumes "
                "from there (`retrying` event)",
                faults=(_f("upload_chunk", _fault, 1, **_params),),
                extra={"chunk": _chunk},
            )
        )

# -- rate limits ---------------------------------------------------------------------------
CASES += [
    Case(
        "429-storm",
        "Rate limits",
        "429 storm: 2 x create and 2 x get answered 429 (reset 1-2 s ahead)",
        "the right result; `waiting` events count down to the reset; never more requests per "
        "window and route than the budget (checked with a 4-per-2-s budget)",
        faults=(
            _f("create", "429", 2, reset_after=0),
            _f("get", "429", 2, reset_after=0),
        ),
    ),
    *[
        Case(
            f"storage-429-{_route}",
            "Rate limits",
            f"{_label}: the storage service answers 429 SlowDown, twice",
            "the right result; `retrying` events (the storage service asks for retries with "
            "back-off on 408, 429 and 5xx)",
            faults=(_f(_route, "429", 2, reset_after=0),),
            bug="B3",
            extra={"resumable": _route != "upload" and _route != "download"},
        )
        for _route, _label in (
            ("upload", "plain upload"),
            ("upload_start", "resumable session start"),
            ("upload_chunk", "resumable chunk"),
            ("download", "download"),
        )
    ],
    Case(
        "budget",
        "Rate limits",
        "fast polling against a small budget (3 requests per 1 s per route, sandbox and client)",
        "the right result; `waiting` events; the sandbox never had to answer 429 and no window "
        "holds more than 3 requests of one route",
    ),
]

# -- upload window ---------------------------------------------------------------------------
CASES += [
    Case(
        "window-expired-at-create",
        "Upload window",
        "the upload window of the new job is over before the upload (`expire_upload` on create)",
        "the right result from a second job; a `retrying` event says the upload window of "
        "the first job closed and a new job is made",
        jobs=2,
        faults=(_f("create", "expire_upload"),),
        bug="B1",
    ),
    Case(
        "window-expired-at-upload",
        "Upload window",
        "the upload window closes while uploading (storage answers ExpiredToken)",
        "the right result from a second job; a `retrying` event says why",
        jobs=2,
        faults=(_f("upload", "expire_upload"),),
        bug="B1",
    ),
    Case(
        "window-always-closed",
        "Upload window",
        "every job's upload window is 1 ms long (no upload can ever succeed)",
        "UploadWindowExpiredError after the first job and two new ones; each recorded as "
        "expired in the ledger; no endless loop",
        outcome="UploadWindowExpiredError",
        fragment="upload window",
        jobs=3,
        bug="B1",
    ),
]

# -- jobs that end badly ------------------------------------------------------------------------
CASES += [
    Case(
        "job-failed",
        "Jobs that end badly",
        "the job fails while processing (error text 'Injected: bad batch 42')",
        "JobFailedError: 'Job <id> failed: Injected: bad batch 42. Create a new job to try "
        "again.'; nothing joined; the ledger says failed, with the error text",
        outcome="JobFailedError",
        fragment="failed: Injected: bad batch 42",
        faults=(_f("processing", "fail", error="Injected: bad batch 42"),),
    ),
    Case(
        "job-cancelled-elsewhere",
        "Jobs that end badly",
        "someone cancels the job (DELETE) while it is processing",
        "JobFailedError naming the job and 'Job cancelled by the client'; the ledger says failed",
        outcome="JobFailedError",
        fragment="Job cancelled by the client",
    ),
    Case(
        "job-expired-before-download",
        "Jobs that end badly",
        "the job's results expire before they are downloaded",
        "JobExpiredError naming the job: 'Job <id> expired before it completed ...'; nothing "
        "joined; the ledger says expired",
        outcome="JobExpiredError",
        fragment="expired",
    ),
]

# -- downloads and kernels ---------------------------------------------------------------------
CASES += [
    Case(
        "download-cut",
        "Interrupted downloads and kernels",
        "download (about 1.9 MB) cut off after 1,100,000 bytes",
        "the right result; the rest is fetched with a `Range` request (HTTP 206); a `retrying` "
        "event says the download was interrupted",
        faults=(_f("download", "drop", after_bytes=1_100_000),),
    ),
]
for _stage, _when, _jobs, _sees in (
    (
        "created",
        "right after the API created the job (before the ledger write)",
        1,
        "the second call finds the job by name and reattaches; one job",
    ),
    (
        "uploading",
        "during the upload",
        1,
        "the second call reattaches and uploads again (window still open); one job",
    ),
    ("processing", "while the job is processing", 1, "the second call reattaches and waits"),
    ("downloading", "during the download", 1, "the second call reattaches and downloads"),
    (
        "uploading+window",
        "during the upload, and the upload window closes before the second call",
        2,
        "the second call sees the job expired (ledger: expired) and creates a new one: two "
        "jobs, the only case that truly needs one",
    ),
):
    CASES.append(
        Case(
            f"kill-{_stage}",
            "Interrupted downloads and kernels",
            f"kernel killed (SIGKILL) {_when}, then `check_compliance` again",
            _sees + "; right result; the ledger passes `PRAGMA integrity_check`",
            jobs=_jobs,
            bug="B2" if _stage == "created" else "",
        )
    )

# -- malformed results ---------------------------------------------------------------------------
for _tag, _line, _frag in (
    ("truncated", '{"id":"1800000000000000001","action":"del', "not JSON"),
    ("id-number", '{"id":1800000000000000001,"action":"delete","reason":"deleted"}', "string"),
    ("id-letters", '{"id":"18x0","action":"delete","reason":"deleted"}', "is not an ID"),
    ("id-negative", '{"id":"-5","action":"delete","reason":"deleted"}', "is not an ID"),
    ("no-id", '{"action":"delete","reason":"deleted"}', "no 'id'"),
    (
        "bad-time",
        '{"id":"20","action":"delete","reason":"deleted","redacted_at":"yesterday"}',
        "not a timestamp",
    ),
    ("reason-number", '{"id":"20","action":"delete","reason":7}', "string"),
):
    CASES.append(
        Case(
            f"results-{_tag}",
            "Malformed results",
            f"results line 2 is `{_line}`",
            f"ResultsFormatError: 'Line 2 of <file> is not a valid result: ... {_frag} ...'; "
            "line_number=2; nothing joined, nothing stored",
            outcome="ResultsFormatError",
            fragment=_frag,
            jobs=None,
            extra={"line": _line},
        )
    )
CASES.append(
    Case(
        "results-corrupted-in-storage",
        "Malformed results",
        "the downloaded results file (from the sandbox) ends in a truncated line",
        "ResultsFormatError naming the last line; no rows dropped silently; the ledger keeps "
        "no results for the job",
        outcome="ResultsFormatError",
        fragment="not JSON",
    )
)

# -- bad inputs -----------------------------------------------------------------------------------
_INPUT_HINT = "; nothing sent, no job"
for _tag, _values, _outcome, _frag, _sees in (
    ("plus", ["+20", "21"], "InputError", "'+20'", "InputError naming '+20'"),
    ("inner-space", ["1 2", "21"], "InputError", "'1 2'", "InputError naming '1 2'"),
    ("exponent", ["1e18", "21"], "InputError", "'1e18'", "InputError naming '1e18'"),
    ("negative-text", ["-5", "21"], "InputError", "'-5'", "InputError naming '-5'"),
    ("negative-int", [-5, 21], "InputError", "-5", "InputError naming -5 (Python ints)"),
    ("zero", ["0", "21"], "InputError", "'0'", "InputError naming '0'"),
    (
        "20-digits",
        ["18000000000000000001", "21"],
        "InputError",
        "18000000000000000001",
        "InputError naming it (valid IDs are 1-19 digits, at most 2**63-1)",
    ),
    (
        "25-digits",
        ["1234567890123456789012345", "21"],
        "InputError",
        "1234567890123456789012345",
        "InputError naming it",
    ),
    (
        "above-2**63",
        ["9223372036854775808", "21"],
        "InputError",
        "9223372036854775808",
        "InputError naming it",
    ),
    ("empty-text", ["", "21"], "InputError", "''", "InputError naming ''"),
    (
        "bytes-column",
        [b"20", b"21"],
        "IDColumnTypeError",
        "bytes",
        "IDColumnTypeError: the column holds bytes; decode it to text first",
    ),
    (
        "bytes-mixed",
        [b"20", "21"],
        "IDColumnTypeError",
        "bytes",
        "IDColumnTypeError: the column holds bytes (also when mixed with text); decode it first",
    ),
    (
        "float-column",
        [1.8e18, 21.0],
        "IDColumnTypeError",
        "floating-point",
        "IDColumnTypeError: floats cannot hold IDs exactly; read the column as text",
    ),
    (
        "mixed-int-str",
        [1800000000000000001, "21", " 22 "],
        "recovers",
        "",
        "accepted (documented): text and Python ints mix in an object column; whitespace "
        "around text is stripped",
    ),
    (
        "leading-zero",
        ["007", "21"],
        "recovers",
        "",
        "accepted (documented): '007' is ID 7",
    ),
):
    _dtype = "float64" if all(isinstance(v, float) for v in _values) else "object"
    CASES.append(
        Case(
            f"input-{_tag}",
            "Bad inputs",
            f"ID column (pandas {_dtype}) {_values!r}",
            _sees + ("" if _outcome == "recovers" else _INPUT_HINT),
            outcome=_outcome,
            fragment=_frag,
            jobs=1 if _outcome == "recovers" else 0,
            extra={"values": _values},
        )
    )
CASES.append(
    Case(
        "input-50M-repeats",
        "Bad inputs",
        "50,000,000 rows of one repeated ID (polars Int64)",
        "the right result on every row; one ID uploaded (deduplicated before the upload); "
        "10-25 s and 6.5 GB peak memory here, mostly the six added columns of 50 M rows",
        extra={"rows": 50_000_000},
    )
)

BUGS = {
    "B1": "FIXED in `_engine._Part.create`/`resume` (now `jobs/part.py`, `PartRunner`) "
    "(reviewed diff in the fault suite's report): "
    "a job whose upload window closed before the upload was not replaced; "
    "UploadWindowExpiredError reached the user. Now the job is recorded as expired, a "
    "`retrying` event tells the user, and a new job is made (at most two new ones).",
    "B3": "FIXED in `_transfer.py` (now `api/uploads.py`, `api/downloads.py`) "
    "(reviewed diff in the fault suite's report): a 429 "
    "(SlowDown) or 408 from the storage service ended the run with UploadError/DownloadError; "
    "Google's retry strategy for Cloud Storage lists 408, 429 and 5xx as transient. Now they "
    "are retried like 5xx.",
    "B2": "FIXED in `jobs/part.py` and `jobs/turns.py`: a kill between the API's "
    "create answer and the ledger write left a job the next call could not recognise, and "
    "the next call raised ConflictError saying the job ran 'for other IDs' until its "
    "15-minute upload window ended. Jobs are now named after their IDs, and a refused "
    "creation looks for a running job of that name and finishes it (since issue 21 after a "
    "short grace in which its creator may still upload): one job, the right results "
    "(`test_a_job_created_but_never_recorded_is_found_by_its_name`).",
}


def cases(group: str) -> list[Case]:
    """The cases of one table section."""
    return [c for c in CASES if c.group == group]


def case(case_id: str) -> Case:
    return next(c for c in CASES if c.id == case_id)


# -- the report ------------------------------------------------------------------------------
_INTRO = """# Reliability: faults, bad inputs and what the user sees

Generated from `tests/_faults_helpers.py` (the list the fault tests parametrise over and
assert against); `tests/faults/test_faults_docs.py` fails when this file is out of date.
Regenerate with `python tests/_faults_helpers.py --write-docs`.

How the cases run (all against the sandbox on 127.0.0.1, with its fault injection):

- most go through `check_compliance` and compare the joined columns with
  `Sandbox.expected`; "one job" is checked with `Sandbox.created_job_ids`;
- chunk cases upload with `ComplianceClient.upload(chunk_size=256 KiB)` (three chunks), then
  download and `join_results`;
- kill cases run `check_compliance` in a separate process, SIGKILL it at the named point,
  then call `check_compliance` again with the same `COMPLIANCE_NB_CACHE_DIR`; one more test
  kills a process writing to the ledger at random moments (integrity_check after each kill);
- the sandbox has no fault that corrupts result lines: those cases write a results file and
  read it with `read_results` (what a run uses after its download) and `join_results`; one
  case truncates the sandbox's stored results file before a run downloads it.

The cases on transfers (uploads, resumable chunks, downloads, the upload window) run twice:
with signed storage URLs and with the API host's own upload and download routes of OpenAPI
v2.168 (`Sandbox(transfer_urls="api")`, which want the bearer token); there a 429 from
those routes waits for their `x-rate-limit-reset` (a `waiting` event) instead of a back-off
retry. Every test also checks that the bearer token never reached a storage URL
(`Sandbox.auth_leaks` is empty). The secrets checks (token and URL signatures in reprs,
errors, logs at DEBUG including urllib3, the progress widget, terminal lines, CLI output,
the ledger and its Parquet files, a saved notebook) are in `tests/api/test_security_secrets.py`.
"Bug" names a product bug below the table; the case's test fails while the bug is open.
"""


def render_doc() -> str:
    """The whole of ``docs/reliability.md``."""
    out = [_INTRO]
    for group in dict.fromkeys(c.group for c in CASES):
        out.append(f"\n## {group}\n")
        out.append("| fault or input | what the user sees | test id | bug |")
        out.append("|---|---|---|---|")
        for c in cases(group):
            what = c.what.replace("|", "\\|")
            sees = c.sees.replace("|", "\\|")
            out.append(f"| {what} | {sees} | `{c.id}` | {c.bug} |")
    out.append("\n## Known product bugs\n")
    for key, text in BUGS.items():
        out.append(f"- **{key}**: {text}")
    return "\n".join(out) + "\n"


# -- helpers for the tests ---------------------------------------------------------------------
def fast_sleep(seconds: float) -> None:
    """Back-off sleeps shortened to at most 20 ms (real time still passes for resets)."""
    time.sleep(min(seconds, 0.02))


def plan(sb: Any, c: Case) -> None:
    for route, fault, times, params in c.faults:
        sb.faults.add(route, fault, times=times, **params)


def expected_rows(sb: Any, ids: list[int], kind: str = "tweets") -> list[tuple[Any, ...]]:
    """The oracle's verdict per distinct ID, in first-seen order."""
    return sb.expected(ids, kind).select("action", "reason", "created_at", "redacted_at").rows()


def joined_rows(out: Any) -> list[tuple[Any, ...]]:
    """The added result columns of a polars or pandas result, as tuples (polars types)."""
    import polars as pl

    frame = out if isinstance(out, pl.DataFrame) else pl.from_pandas(out[RESULT_COLUMNS])
    return frame.select(RESULT_COLUMNS).rows()


def secrets_of(sb: Any, *extra: str) -> list[str]:
    """The bearer token and every signature / upload session ID the sandbox handed out."""
    found = {sb.bearer_token, *extra}
    for job_id in sb.created_job_ids:
        with sb._jobs.lock:
            job = sb._jobs._jobs[job_id]
            urls = [job.upload_url, job.download_url]
            urls += [f"upload_id={s}" for s in job.sessions]
        for url in urls:
            found.update(_SIGNATURE.findall(url))
            found.update(_UPLOAD_ID.findall(url))
    return sorted(s for s in found if s)


def leaked(text: str, secrets: list[str]) -> list[str]:
    """Which of ``secrets`` appear in ``text``."""
    return [s for s in secrets if s and s in text]


def ledger_integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of a ledger file (``"ok"`` when sound).

    Opened read-write, as the product opens it: a kill mid-transaction leaves a hot
    journal that the next connection rolls back (a read-only one cannot)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def max_in_window(times: list[float], window: float) -> int:
    """The most timestamps any interval of length ``window`` holds."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@contextlib.contextmanager
def timed_requests(sb: Any) -> Iterator[list[dict[str, Any]]]:
    """Add a ``t`` (monotonic seconds) to each request the sandbox logs."""
    original = sb._log_request

    def log(entry: dict[str, Any]) -> None:
        original({**entry, "t": time.monotonic()})

    sb._log_request = log
    try:
        yield sb.requests_log
    finally:
        sb._log_request = original


# -- the child process of the kill tests ----------------------------------------------------------
def _child(ids_file: str, ledger_path: str, kill_at: str) -> int:
    import polars as pl

    from compliance_nb import check_compliance
    from compliance_nb.api.client import ComplianceClient

    ids = Path(ids_file).read_text().split()
    parked = False
    ledger = None if ledger_path == "-" else ledger_path

    def progress(event: Any) -> None:
        nonlocal parked
        print(f"EVENT {event.stage} {event.job_id or '-'}", flush=True)
        if event.stage == kill_at and not parked:
            parked = True
            print(f"AT {event.stage} {event.job_id or '-'}", flush=True)
            time.sleep(120)  # the parent kills us here

    client = ComplianceClient(sleep=fast_sleep)
    out = check_compliance(
        pl.DataFrame({"id": ids}), client=client, ledger_path=ledger, progress=progress
    )
    print(f"DONE {out.height}", flush=True)
    return 0


def _ledger_churn(ledger_path: str) -> int:
    """Write to the ledger as fast as possible until killed (job records, statuses,
    results files), so a SIGKILL lands in the middle of a write."""
    from datetime import datetime, timedelta, timezone

    import polars as pl

    from compliance_nb.api.job import Job
    from compliance_nb.jobs.ledger import Ledger

    ledger = Ledger(ledger_path)
    results = pl.DataFrame(
        {"id": [str(i) for i in IDS], "action": "delete", "reason": "deleted"}
    ).with_columns(
        created_at=pl.lit(None, pl.Datetime("us", "UTC")),
        redacted_at=pl.lit(None, pl.Datetime("us", "UTC")),
    )
    now = datetime.now(timezone.utc)
    n = 0
    while True:
        n += 1
        job = Job(
            id=str(10**15 + n),
            type="tweets",
            status="created",
            created_at=now,
            upload_expires_at=now + timedelta(minutes=15),
            download_expires_at=now + timedelta(days=7),
            name=f"churn-{n}",
        )
        ledger.record_job(job, fingerprint=f"{n:064x}", kind="tweets", base_url="http://x")
        ledger.update_status(job.id, "in_progress")
        ledger.store_results(job.id, results)
        if n == 1:
            print("CHURNING", flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write-docs"]:
        DOC_PATH.write_text(render_doc(), encoding="utf-8")
        print(f"wrote {DOC_PATH}")
        return 0
    if argv[:1] == ["--check-docs"]:
        same = DOC_PATH.exists() and DOC_PATH.read_text(encoding="utf-8") == render_doc()
        print("up to date" if same else "out of date: run with --write-docs")
        return 0 if same else 1
    if argv[:1] == ["child"] and len(argv) == 4:
        return _child(*argv[1:])
    if argv[:1] == ["churn"] and len(argv) == 2:
        return _ledger_churn(argv[1])
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
