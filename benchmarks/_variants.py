"""One benchmark variant in a fresh process: ``python benchmarks/_variants.py ...``.

``run.py`` starts this script once per (size, backend, variant) so that each peak RSS
belongs to one variant alone. The script loads the input frame, starts a
:class:`~_measure.Recorder`, runs the variant against the sandbox and writes a JSON
record to ``--out``. The bearer token comes in the ``BENCH_TOKEN`` environment variable.

Variants:

``product``  ``compliance_nb.frames.check.check_compliance`` with a progress callback that marks
             the stages from its ``ProgressEvent``\\ s.
``floor``    the least any client can do: the ID column written by polars, a streaming
             ``requests`` PUT of the file object, the job API polled every 0.1 s (0.25 s
             after 2 s), the results streamed to disk with ``iter_content``, ``pl.read_ndjson``,
             one row per ID (``unique``), a polars left join (pandas in -> pandas out).
``naive``    the getting-started recipe: pandas ``to_csv`` of the ID column, ``requests.put(
             data=open(...))``, ``requests.get(...).text``, ``json.loads`` per line into a
             pandas DataFrame, ``pandas.merge``. Same polling as ``floor``.

Stages: ``prepare``, ``create``, ``upload``, ``processing`` (upload finished -> status
``complete`` seen by polling), ``download``, ``parse``, ``join``, ``finish``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import polars as pl
import requests
from _data import frame_memory, load_frame
from _measure import Recorder

ID_COLUMN = "id"
#: Floor and naive polling: every FAST_POLL s for FAST_POLLS polls, then every SLOW_POLL s.
FAST_POLL, FAST_POLLS, SLOW_POLL = 0.1, 20, 0.25
JOB_TIMEOUT = 1800.0  # seconds; every wait in here is bounded


# -- the plain job API (floor and naive) ----------------------------------------------


def _create_job(session: requests.Session, api: str, token: str) -> dict[str, Any]:
    response = session.post(
        f"{api}/2/compliance/jobs",
        json={"type": "tweets"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["data"]


def _wait_complete(
    session: requests.Session, api: str, token: str, job_id: str, rec: Recorder
) -> dict[str, Any]:
    """Poll until ``complete``; count the polls in ``rec.notes``."""
    deadline = time.monotonic() + JOB_TIMEOUT
    polls = 0
    while time.monotonic() < deadline:
        response = session.get(
            f"{api}/2/compliance/jobs/{job_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        polls += 1
        if response.status_code == 429:
            reset = float(response.headers.get("x-rate-limit-reset", time.time() + 1))
            rec.notes["rate_limited"] = rec.notes.get("rate_limited", 0) + 1
            time.sleep(min(60.0, max(0.1, reset - time.time())))
            continue
        response.raise_for_status()
        job = response.json()["data"]
        if job["status"] == "complete":
            rec.notes["polls"] = polls
            rec.notes["poll_interval_last"] = FAST_POLL if polls <= FAST_POLLS else SLOW_POLL
            return job
        if job["status"] in ("failed", "expired"):
            raise RuntimeError(f"job {job_id} ended {job['status']}: {job.get('error')}")
        time.sleep(FAST_POLL if polls < FAST_POLLS else SLOW_POLL)
    raise TimeoutError(f"job {job_id} not complete after {JOB_TIMEOUT} s")


def _check_upload(response: requests.Response) -> None:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:200]}")


# -- the variants ---------------------------------------------------------------------


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _give_back_free_memory() -> None:
    """Return to the system what loading the frame freed but the allocators kept
    (pyarrow's pool; glibc's heap), so that the run cannot count it as already its own:
    the measured start is the interpreter, the libraries, the frame and what could not be
    given back. (polars' allocator offers no such call: what it keeps stays.)"""
    import contextlib
    import ctypes

    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def run_floor(frame: Any, backend: str, api: str, token: str, work: Path, rec: Recorder) -> Any:
    """The transfer floor (see the module docstring)."""
    rec.mark("prepare")
    left = pl.from_pandas(frame) if backend == "pandas" else frame
    ids_path = work / "ids.txt"
    # no de-duplication: the API answers each ID once, so the floor leaves that to it
    left.select(pl.col(ID_COLUMN).drop_nulls()).write_csv(ids_path, include_header=False)
    rec.mark("create")
    session = requests.Session()
    job = _create_job(session, api, token)
    rec.mark("upload")
    with open(ids_path, "rb") as body:
        _check_upload(
            requests.put(
                job["upload_url"], data=body, headers={"Content-Type": "text/plain"}, timeout=600
            )
        )
    rec.mark("processing")
    job = _wait_complete(session, api, token, job["id"], rec)
    rec.mark("download")
    results_path = work / "results.json"
    with requests.get(job["download_url"], stream=True, timeout=600) as response:
        response.raise_for_status()
        with open(results_path, "wb") as out:
            for chunk in response.iter_content(chunk_size=1 << 20):
                out.write(chunk)
    rec.notes["results_bytes"] = results_path.stat().st_size
    rec.mark("parse")
    if results_path.stat().st_size:
        results = pl.read_ndjson(results_path, schema={c: pl.String for c in _RESULT_FIELDS})
    else:
        results = pl.DataFrame(schema={c: pl.String for c in _RESULT_FIELDS})
    rec.notes["result_lines"] = results.height
    rec.mark("join")
    joined = left.join(
        results.unique(ID_COLUMN, keep="first"), on=ID_COLUMN, how="left", maintain_order="left"
    )
    flagged = int(joined.get_column("action").is_not_null().sum())
    out_frame = joined.to_pandas() if backend == "pandas" else joined
    rec.mark("finish")
    rec.notes["rows_out"] = len(out_frame)
    rec.notes["flagged_rows"] = flagged
    return out_frame


_RESULT_FIELDS = ("id", "action", "created_at", "redacted_at", "reason")


def run_naive(frame: Any, backend: str, api: str, token: str, work: Path, rec: Recorder) -> Any:
    """The recipe from the getting-started guide (see the module docstring)."""
    import pandas as pd

    rec.mark("prepare")
    pdf = frame.to_pandas() if backend == "polars" else frame
    ids_path = work / "ids.csv"
    pdf[[ID_COLUMN]].to_csv(ids_path, index=False, header=False)
    rec.mark("create")
    session = requests.Session()
    job = _create_job(session, api, token)
    rec.mark("upload")
    body = open(ids_path, "rb")  # noqa: SIM115 - the recipe as the guide writes it
    _check_upload(
        requests.put(job["upload_url"], data=body, headers={"Content-Type": "text/plain"})
    )
    rec.mark("processing")
    job = _wait_complete(session, api, token, job["id"], rec)
    rec.mark("download")
    text = requests.get(job["download_url"]).text
    rec.notes["results_bytes"] = len(text)
    rec.mark("parse")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    results = pd.DataFrame(records, columns=list(_RESULT_FIELDS))
    rec.notes["result_lines"] = len(results)
    rec.mark("join")
    merged = pd.merge(pdf, results, on=ID_COLUMN, how="left")
    rec.mark("finish")
    rec.notes["rows_out"] = len(merged)
    rec.notes["flagged_rows"] = int(merged["action"].notna().sum())
    return merged


#: ProgressEvent stage -> benchmark stage.
_EVENT_STAGES = {
    "creating": "create",
    "created": "create",
    "uploading": "upload",
    "uploaded": "processing",
    "processing": "processing",
    "downloading": "download",
    "downloaded": "join",
    "joined": "finish",
    "waiting": "rate_limit_wait",
    "retrying": "retry_wait",
}


def run_product(frame: Any, backend: str, api: str, token: str, work: Path, rec: Recorder) -> Any:
    """``check_compliance`` with stage marks from its progress events."""
    events: list[dict[str, Any]] = rec.notes.setdefault("events", [])
    t0 = time.perf_counter()

    def on_progress(event: Any) -> None:
        now = time.perf_counter()
        events.append(
            {
                "stage": event.stage,
                "t": round(now - t0, 4),
                "wait_seconds": event.wait_seconds,
                "elapsed_seconds": event.elapsed_seconds,
                "part": event.part,
                "parts": event.parts,
            }
        )
        if event.stage == "downloaded" and event.bytes_total is not None:
            rec.notes["results_bytes"] = rec.notes.get("results_bytes", 0) + event.bytes_total
        stage = _EVENT_STAGES.get(event.stage, event.stage)
        if stage != rec.stage:
            rec.mark(stage, now)

    client = ComplianceClient(bearer_token=token, base_url=api)
    rec.mark("prepare", t0)
    out_frame = check_compliance(frame, client=client, progress=on_progress, cache=False)
    rec.notes["rows_out"] = len(out_frame)
    compliant = out_frame["compliant"]
    rec.notes["flagged_rows"] = int((compliant == False).sum())  # noqa: E712 - frame column
    return out_frame


#: Product functions timed as stages of their own: (module, attribute, stage).
_INSTRUMENTED = (
    ("compliance_nb.jobs.results", "read_results", "parse"),
    ("compliance_nb.jobs.results", "read_results_compact", "parse"),
    # the engine parses while it downloads: what is left of the parsing after the download
    ("compliance_nb.jobs.results", "ResultsParser.finish", "parse"),
    ("compliance_nb.jobs.results", "collapse_results", "collapse"),
    ("compliance_nb.jobs.ledger", "Ledger.store_results", "store"),
)


def _instrument(rec: Recorder) -> None:
    """Mark a stage of its own while the product calls one of ``_INSTRUMENTED``.

    After the call the stage goes back to ``join`` (what follows is the join back onto
    the frame). Functions imported by name into other product modules are replaced
    there too. Missing names are skipped (the product may have moved them).
    """
    import importlib

    for module_name, attribute, stage in _INSTRUMENTED:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner_name, _, name = attribute.rpartition(".")
        owner = getattr(module, owner_name, None) if owner_name else module
        original = getattr(owner, name, None)
        if original is None:
            continue

        def timed(*args: Any, __original: Any = original, __stage: str = stage, **kw: Any) -> Any:
            rec.mark(__stage)
            try:
                return __original(*args, **kw)
            finally:
                rec.mark("join")

        setattr(owner, name, timed)
        if not owner_name:
            for other_name, other in list(sys.modules.items()):
                same = getattr(other, name, None) is original
                if other_name.startswith("compliance_nb") and same:
                    setattr(other, name, timed)


VARIANTS = {"product": run_product, "floor": run_floor, "naive": run_naive}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--backend", choices=("pandas", "polars"), required=True)
    parser.add_argument("--ids", required=True, help="Parquet file of the input frame")
    parser.add_argument("--api", required=True, help="sandbox API base URL")
    parser.add_argument("--work", required=True, help="scratch directory")
    parser.add_argument("--out", required=True, help="where to write the JSON record")
    parser.add_argument("--profile", default=None, help="write a pyinstrument profile here")
    args = parser.parse_args(argv)
    token = os.environ["BENCH_TOKEN"]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    product_path = None
    if args.variant == "product":
        global ComplianceClient, check_compliance
        os.environ["COMPLIANCE_NB_CACHE_DIR"] = str(work / "cache")
        import compliance_nb
        from compliance_nb.api.client import ComplianceClient
        from compliance_nb.frames.check import check_compliance

        product_path = str(Path(compliance_nb.__file__).parent)
    # libraries load before the measured part, for every variant alike
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    libraries_rss = _rss()
    frame = load_frame(args.ids, args.backend)
    record: dict[str, Any] = {
        "product_path": product_path if args.variant == "product" else None,
        "variant": args.variant,
        "backend": args.backend,
        "rows": len(frame),
        "frame_bytes": frame_memory(frame),
        "libraries_rss": libraries_rss,
    }
    gc.collect()
    record["loaded_rss"] = _rss()
    _give_back_free_memory()
    rec = Recorder()
    if args.variant == "product":
        _instrument(rec)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    rec.start()
    try:
        out_frame = VARIANTS[args.variant](frame, args.backend, args.api, token, work, rec)
        record["ok"] = True
    except Exception as exc:
        record["ok"] = False
        record["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    record.update(rec.finish())
    if record["ok"]:  # what the returned frame holds beyond the input frame
        record["added_bytes"] = frame_memory(out_frame) - record["frame_bytes"]
        record["output_type"] = f"{type(out_frame).__module__}.{type(out_frame).__name__}"
    if profiler is not None:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_text(unicode=False, color=False))
        Path(args.profile).with_suffix(".html").write_text(profiler.output_html())
    Path(args.out).write_text(json.dumps(record, indent=1))
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
