"""The job engine on its own, against a real sandbox: the IDs split into parts, the ledger's
results reused, and results handed to a consumer as they are read."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import compliance_nb.jobs.results as results_module
from compliance_nb._events import ProgressEvent
from compliance_nb._exceptions import InputError
from compliance_nb.jobs.collapse import collapse_results
from compliance_nb.jobs.counts import summarise
from compliance_nb.jobs.engine import run_compliance_ids, run_kinds
from compliance_nb.jobs.ledger import Ledger

COLUMNS = ["id", "action", "reason", "created_at", "redacted_at"]
# 1,000 distinct Tweet IDs, given out of order and with repeats
DISTINCT = [1_800_000_000_000_000_001 + 104_729 * i for i in range(1_000)]
IDS = pl.Series([*DISTINCT[::-1], *DISTINCT[:100]], dtype=pl.UInt64)


def comparable(results: pl.DataFrame) -> pl.DataFrame:
    """Results as the sandbox gives its verdicts: one row per ID, text labels, sorted."""
    return (
        results.select(COLUMNS)
        .with_columns(pl.col("id").cast(pl.UInt64), pl.col("action", "reason").cast(pl.String))
        .sort("id")
    )


def expected(sandbox: Any, ids: pl.Series, kind: str) -> pl.DataFrame:
    """The sandbox's verdict for the IDs that need action."""
    return comparable(sandbox.expected(ids, kind).filter(pl.col("action").is_not_null()))


class Recorder:
    """A results consumer that records what the engine hands it, and when."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lines: list[pl.DataFrame] = []  # blocks of lines, as folded
        self.added: list[pl.DataFrame] = []  # stored results, as added
        self.given: list[pl.Series] = []  # the IDs each results() call was for
        self.fold_threads: set[int] = set()
        self._lock = threading.Lock()

    def begin(self) -> None:
        self.calls.append("begin")

    def prepare(self, block: pl.DataFrame) -> pl.DataFrame:
        with self._lock:
            self.calls.append("prepare")
        return block.with_columns(pl.lit(True).alias("prepared"))

    def fold(self, prepared: pl.DataFrame) -> None:
        self.calls.append("fold")
        self.fold_threads.add(threading.get_ident())
        self.lines.append(prepared)

    def add(self, block: pl.DataFrame) -> None:
        self.calls.append("add")
        self.added.append(block)

    def results(self, ids: pl.Series) -> pl.DataFrame:
        self.calls.append("results")
        self.given.append(ids)
        lines = pl.concat(self.lines).filter(pl.col("id").is_in(ids.implode()))
        return collapse_results(lines.select(COLUMNS))

    def folded(self) -> pl.DataFrame:
        """Every folded line, collapsed: what the engine would have returned."""
        assert all(block["prepared"].all() for block in self.lines)  # prepare's output
        return comparable(collapse_results(pl.concat(self.lines).select(COLUMNS)))


def test_the_ids_are_split_into_parts_whose_results_cover_each_id_once(
    sandbox: Any, tmp_path: Path
) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    res = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=ledger, max_ids_per_job=300, name="audit"
    )
    # 1,000 distinct IDs in parts of at most 300: four jobs, one after another
    assert sandbox.jobs_created == 4
    assert [job.id for job in res.jobs] == sandbox.created_job_ids
    assert [job.name for job in res.jobs] == [f"audit ({i}/4)" for i in range(1, 5)]
    assert not res.from_cache and res.n_checked == 1_000
    # each part's job was given its own IDs: together, each distinct ID once
    records = sorted(ledger.all(), key=lambda r: r.part)
    assert [(r.part, r.parts, r.n_ids) for r in records] == [
        (1, 4, 300),
        (2, 4, 300),
        (3, 4, 300),
        (4, 4, 100),
    ]
    states = [sandbox.job_state(job.id) for job in res.jobs]
    assert [(s["n_ids"], s["uploads"]) for s in states] == [(300, 1), (300, 1), (300, 1), (100, 1)]
    stored = [ledger.load_results(r)["id"].cast(pl.UInt64) for r in records]
    for earlier, later in itertools.pairwise(stored):
        assert earlier.max() < later.min()  # parts of the sorted IDs, disjoint
    # the results: the sandbox's verdict, one row per ID that needs action
    assert res.results.schema["id"] == pl.UInt64
    assert res.results["id"].n_unique() == res.results.height
    assert comparable(res.results).equals(expected(sandbox, IDS, "tweets"))
    assert 0 < res.results.height < 1_000
    # the counts add up to the IDs checked
    counts = res.counts
    assert counts["checked"] == 1_000
    assert counts["available"] == 1_000 - res.results.height
    assert sum(n for key, n in counts.items() if key != "checked") == 1_000
    assert counts == summarise(expected(sandbox, IDS, "tweets"), 1_000)


def test_a_second_run_reuses_the_ledgers_results_and_creates_no_job(
    sandbox: Any, tmp_path: Path
) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    first = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=ledger, max_ids_per_job=400
    )
    assert sandbox.jobs_created == 3
    events: list[ProgressEvent] = []
    again = run_compliance_ids(
        IDS.reverse(),
        "tweets",
        client=sandbox.client(),
        ledger=ledger,
        max_ids_per_job=400,
        progress=events.append,
    )
    assert sandbox.jobs_created == 3  # no request for a new job
    assert again.from_cache
    assert [job.id for job in again.jobs] == [job.id for job in first.jobs]
    assert [(e.stage, e.part, e.parts) for e in events] == [
        ("cached", 1, 3),
        ("cached", 2, 3),
        ("cached", 3, 3),
    ]
    assert again.results.equals(first.results)
    assert again.counts == first.counts
    # what makes it reuse them: cache=True and results younger than max_age
    fresh = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=ledger, max_ids_per_job=400, cache=False
    )
    assert sandbox.jobs_created == 6 and not fresh.from_cache
    run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=ledger, max_ids_per_job=400, max_age=0
    )
    assert sandbox.jobs_created == 9


def test_a_consumer_gets_each_parts_lines_as_they_are_read(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the download's bytes fed 256 bytes at a time, parsed in blocks of 1 kB: several a part
    feed = results_module.ResultsParser.feed

    def in_slices(self: results_module.ResultsParser, data: bytes) -> None:
        for start in range(0, len(data), 256):
            feed(self, data[start : start + 256])

    monkeypatch.setattr(results_module.ResultsParser, "feed", in_slices)
    monkeypatch.setattr(results_module, "READ_BLOCK", 1_024)
    ledger = Ledger(tmp_path / "l.sqlite3")
    sink = Recorder()
    res = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=ledger, max_ids_per_job=400, sink=sink
    )
    assert sandbox.jobs_created == 3
    # per part: begin, then its blocks prepared and folded, then its collapsed results
    parts = "".join(c[0] for c in sink.calls).split("r")
    assert len(parts) == 4 and parts[-1] == ""
    for calls in parts[:-1]:
        assert calls[0] == "b" and "a" not in calls
        assert calls.count("p") == calls.count("f") > 1
    assert len(sink.fold_threads) == 1
    # each results() call was for one part's IDs: together, every distinct ID once
    assert [len(ids) for ids in sink.given] == [400, 400, 200]
    assert pl.concat(sink.given).sort().equals(IDS.unique().sort())
    # the lines it was handed hold the sandbox's verdicts; the engine kept none of them
    assert sink.folded().equals(expected(sandbox, IDS, "tweets"))
    assert res.results.height == 0
    assert res.counts == summarise(expected(sandbox, IDS, "tweets"), 1_000)
    # what the consumer's results() gave back is what the ledger keeps for each part
    stored = pl.concat([ledger.load_results(r) for r in ledger.all()])
    assert comparable(stored).equals(sink.folded())


def test_stored_results_are_added_to_a_consumer_without_a_job(sandbox: Any, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    first = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=ledger, max_ids_per_job=400
    )
    sink = Recorder()
    again = run_compliance_ids(
        IDS, "tweets", client=sandbox.client(), ledger=ledger, max_ids_per_job=400, sink=sink
    )
    assert sandbox.jobs_created == 3 and again.from_cache
    assert set(sink.calls) == {"add"}  # nothing downloaded, nothing to begin or fold
    assert comparable(pl.concat(sink.added)).equals(expected(sandbox, IDS, "tweets"))
    assert again.results.height == 0 and again.counts == first.counts


def test_run_kinds_runs_each_kind_into_its_own_consumer(sandbox: Any, tmp_path: Path) -> None:
    users = pl.Series([2_244_994_945 + 7 * i for i in range(500)], dtype=pl.UInt64)
    sinks = {"tweets": Recorder(), "users": Recorder()}
    events: list[ProgressEvent] = []
    res = run_kinds(
        {"tweets": IDS, "users": users},
        client=sandbox.client(),
        ledger=Ledger(tmp_path / "l.sqlite3"),
        max_ids_per_job=600,
        sinks=sinks,
        progress=events.append,
    )
    assert sandbox.jobs_created == 3  # two parts of Tweets, one of users
    assert {kind: len(r.jobs) for kind, r in res.items()} == {"tweets": 2, "users": 1}
    assert {job.type for job in res["users"].jobs} == {"users"}
    for kind, ids in (("tweets", IDS), ("users", users)):
        assert sinks[kind].folded().equals(expected(sandbox, ids, kind))
        assert res[kind].counts == summarise(expected(sandbox, ids, kind), ids.n_unique())
    assert {e.kind for e in events} == {"tweets", "users"}


def test_run_kinds_without_consumers_returns_each_kinds_results(
    sandbox: Any, tmp_path: Path
) -> None:
    users = pl.Series([2_244_994_945 + 7 * i for i in range(500)], dtype=pl.UInt64)
    res = run_kinds(
        {"tweets": IDS, "users": users},
        client=sandbox.client(),
        ledger=Ledger(tmp_path / "l.sqlite3"),
    )
    assert sandbox.jobs_created == 2
    assert comparable(res["tweets"].results).equals(expected(sandbox, IDS, "tweets"))
    assert comparable(res["users"].results).equals(expected(sandbox, users, "users"))


@pytest.mark.parametrize(
    ("option", "value"),
    [("max_ids_per_job", 0), ("resumable_threshold", -1), ("max_age", "a week")],
)
def test_bad_options_are_refused_before_any_request(
    sandbox: Any, tmp_path: Path, option: str, value: Any
) -> None:
    with pytest.raises(InputError, match=option):
        run_compliance_ids(
            IDS,
            "tweets",
            client=sandbox.client(),
            ledger=Ledger(tmp_path / "l.sqlite3"),
            **{option: value},
        )
    assert sandbox.jobs_created == 0 and sandbox.requests_log == []
