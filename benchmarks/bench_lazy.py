"""Benchmark: a Parquet archive of N Tweet IDs through ``check_compliance`` on lazy frames.

Not a test. Run it by hand::

    python benchmarks/bench_lazy.py                   # 100M rows, polars then Dask
    python benchmarks/bench_lazy.py --rows 30000000   # smaller
    python benchmarks/bench_lazy.py --engines polars

What it does:

1. writes a Parquet file of ``--rows`` rows (in chunks, with polars; never whole in
   memory): ``id`` (Int64, snowflake-sized, about 5% repeated), ``text`` (about 40
   characters), ``geo`` (text, mostly null), ``created_at`` (UTC datetime). It reports the
   file size and the size the table would take in memory (polars ``estimated_size``);
2. starts the sandbox as a separate process with zero processing delay
   (``python -m compliance_nb.sandbox --port 0 --delay 0``; see ``_sandbox.py``);
3. for each engine, in a child process of its own (so the peaks do not mix):
   ``check_compliance`` on ``pl.scan_parquet`` (streaming engine) or
   ``dd.read_parquet``, then ``apply_compliance`` on the (lazy) result written to
   Parquet by the engine. Every run has its own ledger and ``cache=False``, so each does
   the whole job cycle (split over jobs of ``--max-ids-per-job`` IDs).
   psutil samples the child's RSS every 5 ms (``_measure.Recorder``): peak per stage;
   ``check_compliance`` is also cut into sub-stages by its progress events;
4. for reference, each engine once more (``<engine>-copy``): the same Parquet read and
   written by the engine with no compliance step (its own peak memory and time).

The result goes to ``benchmarks/results/lazy.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BASE_ID = 1_500_000_000_000_000_000
CHUNK_ROWS = 5_000_000


def write_parquet(path: Path, rows: int, seed: int = 7) -> dict[str, Any]:
    """Write the archive in chunks; return its sizes. About 5% of rows repeat an ID."""
    import numpy as np
    import polars as pl
    import pyarrow.parquet as pq

    distinct = max(1, int(rows * 0.95))
    step = 2_654_435_761 % distinct or 1
    while np.gcd(step, distinct) != 1:  # a full cycle: every residue once
        step += 1
    rng = np.random.default_rng(seed)
    writer = None
    mem = 0
    start = time.perf_counter()
    for lo in range(0, rows, CHUNK_ROWS):
        i = np.arange(lo, min(rows, lo + CHUNK_ROWS), dtype=np.int64)
        slot = (i.astype(object) * step % distinct).astype(np.int64)  # exact, no overflow
        ids = BASE_ID + slot * 4096 + (slot % 4096)
        n = len(i)
        words = rng.integers(0, 1_000_000, n)
        chunk = pl.DataFrame(
            {
                "id": ids,
                "text": pl.Series(words).cast(pl.String).str.pad_start(8, "x")
                + " lorem ipsum dolor sit amet, consectetur",
                "geo": pl.select(
                    pl.when(pl.Series(words % 50 == 0)).then(pl.lit("52.5,13.4"))
                ).to_series(),
                "created_at": pl.Series(
                    (1_600_000_000_000_000 + i * 1000).astype("datetime64[us]")
                ).dt.replace_time_zone("UTC"),
            }
        )
        mem += chunk.estimated_size()
        table = chunk.to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=1_000_000)
    assert writer is not None
    writer.close()
    return {
        "rows": rows,
        "distinct_ids": min(rows, distinct),
        "parquet_bytes": path.stat().st_size,
        "in_memory_bytes": mem,
        "write_seconds": round(time.perf_counter() - start, 1),
    }


def child(engine: str, parquet: Path, url: str, token: str, workdir: Path, per_job: int) -> None:
    """One engine's run, in its own process; prints one JSON line with the measurements.

    ``check_compliance`` is cut into three sub-stages by its own progress events (a public
    callback, no patching): ``distinct_ids`` (until the first job event), ``jobs`` (until
    the ``joined`` event) and ``lookup`` (the results made a frame of the engine). The
    engine name ``<engine>-copy`` runs the reference instead: the same read and write by
    the engine without compliance (what the engine alone needs)."""
    from _measure import Recorder

    rec = Recorder()
    rec.start()
    out_path = workdir / f"compliant-{engine}.parquet"
    if engine.endswith("-copy"):
        rec.mark("copy")
        if engine == "polars-copy":
            import polars as pl

            pl.scan_parquet(parquet).sink_parquet(out_path, engine="streaming")
        else:
            import dask
            import dask.dataframe as dd

            dask.config.set(scheduler="threads", num_workers=2)
            dd.read_parquet(parquet, blocksize="64MiB").to_parquet(out_path, write_index=False)
        result = rec.finish()
        print("RESULT " + json.dumps(result), flush=True)
        return

    from compliance_nb import ComplianceClient, apply_compliance, check_compliance

    def on_event(event: Any) -> None:
        if event.stage == "joined":
            rec.mark("check_compliance:lookup")
        elif rec.stage == "check_compliance:distinct_ids":
            rec.mark("check_compliance:jobs")

    client = ComplianceClient(token, base_url=url)
    kw = {
        "client": client,
        "progress": on_event,
        "cache": False,
        "ledger_path": workdir / f"ledger-{engine}.sqlite3",
        "max_ids_per_job": per_job,
    }
    rec.mark("check_compliance:distinct_ids")
    if engine == "polars":
        import polars as pl

        checked = check_compliance(pl.scan_parquet(parquet), **kw)
        rec.mark("apply_and_write")
        apply_compliance(checked).sink_parquet(out_path, engine="streaming")
        rec.mark("count_rows_out")
        rows_out = pl.scan_parquet(out_path).select(pl.len()).collect().item()
    else:
        import dask
        import dask.dataframe as dd

        dask.config.set(scheduler="threads", num_workers=2)
        checked = check_compliance(dd.read_parquet(parquet, blocksize="64MiB"), **kw)
        rec.mark("apply_and_write")
        apply_compliance(checked).to_parquet(out_path, write_index=False)
        rec.mark("count_rows_out")
        rows_out = len(dd.read_parquet(out_path))
    result = _with_check_total(rec.finish())
    result["rows_out"] = int(rows_out)
    print("RESULT " + json.dumps(result), flush=True)


def _with_check_total(result: dict[str, Any]) -> dict[str, Any]:
    """Add ``check_compliance`` (the sum of its sub-stages' times, the max of their peaks)."""
    subs = [k for k in result["stages"] if k.startswith("check_compliance:")]
    for key, combine in (("stages", sum), ("stage_cpu_seconds", sum), ("stage_peak_rss", max)):
        values = [result[key][k] for k in subs if k in result[key]]
        if values:
            result[key] = {"check_compliance": combine(values), **result[key]}
    return result


def run_engine(engine: str, parquet: Path, sandbox: Any, workdir: Path, per_job: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        engine,
        "--parquet",
        str(parquet),
        "--workdir",
        str(workdir),
        "--max-ids-per-job",
        str(per_job),
    ]
    env = dict(os.environ, CNB_URL=sandbox.api_url, CNB_TOKEN=sandbox.token)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"{engine} run failed:\n{proc.stderr[-4000:]}")
    result = json.loads(line[len("RESULT ") :])
    result["process_wall_seconds"] = round(wall, 1)
    result["sandbox_rss_after"] = sandbox.rss()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--engines", default="polars,dask")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the engines' plain copy runs"
    )
    parser.add_argument("--max-ids-per-job", type=int, default=25_000_000)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--out", default=str(HERE / "results" / "lazy.json"))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--parquet", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(
            args.child,
            Path(args.parquet),
            os.environ["CNB_URL"],
            os.environ["CNB_TOKEN"],
            Path(args.workdir),
            args.max_ids_per_job,
        )
        return 0

    from _sandbox import SandboxProcess

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="cnb-bench-lazy-"))
    workdir.mkdir(parents=True, exist_ok=True)
    parquet = workdir / f"ids-{args.rows}.parquet"
    sidecar = parquet.with_suffix(".json")
    if parquet.exists() and sidecar.exists():  # same rows, same generator: reuse it
        data = json.loads(sidecar.read_text())
    else:
        print(f"writing {args.rows:,} rows to {parquet} ...", flush=True)
        data = write_parquet(parquet, args.rows)
        sidecar.write_text(json.dumps(data))
    print(json.dumps(data), flush=True)
    report: dict[str, Any] = {
        "benchmark": "lazy",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "memory_bytes": _total_memory(),
        },
        "data": data,
        "max_ids_per_job": args.max_ids_per_job,
        "engines": {},
    }
    with SandboxProcess(delay=0) as sandbox:
        engines = args.engines.split(",")
        if not args.no_reference:
            engines += [f"{e}-copy" for e in engines]
        for engine in engines:
            print(f"running {engine} ...", flush=True)
            result = run_engine(engine, parquet, sandbox, workdir, args.max_ids_per_job)
            result["peak_rss_share_of_in_memory_table"] = round(
                result["peak_rss"] / data["in_memory_bytes"], 3
            )
            report["engines"][engine] = result
            print(json.dumps({engine: result}), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


def _total_memory() -> int:
    import psutil

    return int(psutil.virtual_memory().total)


if __name__ == "__main__":
    raise SystemExit(main())
