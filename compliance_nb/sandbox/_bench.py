"""Quick local speed check of the sandbox's processing (not a test).

``python -m compliance_nb.sandbox._bench [N] [--http]`` writes N snowflake Tweet IDs to a
file, then times reading them (``read_id_file``) and writing the results
(``Oracle.write_results``). With ``--http`` it also times the whole job through the
server: create, upload, wait for ``complete``, download.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from ._oracle import Oracle, read_id_file


def _write_ids(path: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(10**18, 2 * 10**18, size=n, dtype=np.uint64)
    pl.DataFrame({"id": ids}).write_csv(path, include_header=False)


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv and argv[0].isdigit() else 10_000_000
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "ids.txt"
        _write_ids(source, n)
        t0 = time.perf_counter()
        ids, n_lines = read_id_file(source)
        t1 = time.perf_counter()
        lines = Oracle(seed=0).write_results(ids, "tweets", Path(folder) / "results.jsonl")
        t2 = time.perf_counter()
        print(f"{n_lines:,} lines: read {t1 - t0:.2f} s, results ({lines:,} lines) {t2 - t1:.2f} s")
        if "--http" in argv:
            _http(source)
    return 0


def _http(source: Path) -> None:
    import requests

    from ._server import Sandbox

    with Sandbox(processing_delay=0) as sb:
        auth = {"Authorization": f"Bearer {sb.bearer_token}"}
        t0 = time.perf_counter()
        job = requests.post(f"{sb.url}/2/compliance/jobs", json={"type": "tweets"}, headers=auth)
        data = job.json()["data"]
        with open(source, "rb") as handle:
            requests.put(data["upload_url"], data=handle, headers={"Content-Type": "text/plain"})
        t1 = time.perf_counter()
        while True:
            status = requests.get(f"{sb.url}/2/compliance/jobs/{data['id']}", headers=auth)
            if status.json()["data"]["status"] != "in_progress":
                break
            time.sleep(0.1)
        t2 = time.perf_counter()
        size = 0
        with requests.get(data["download_url"], stream=True) as response:
            for piece in response.iter_content(1 << 20):
                size += len(piece)
        t3 = time.perf_counter()
        print(
            f"http: upload {t1 - t0:.2f} s, processing {t2 - t1:.2f} s, "
            f"download {size:,} B {t3 - t2:.2f} s"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
