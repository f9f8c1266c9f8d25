"""apply_compliance_jsonl end to end against the sandbox, checked against its oracle.

The checks below restate the rules independently: an object must leave the copy exactly
when the oracle flags it (or its author, or, for a retweet, the retweeted Tweet), kept
objects are the input's objects (minus geo for scrubbed Tweets, minus inlined copies of
removed objects), and nothing left in ``includes`` refers to something removed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance_nb._events import CancelToken
from compliance_nb._exceptions import InputError, JobCancelledError
from compliance_nb.datasets import sample_collection
from compliance_nb.jsonl.apply import apply_compliance_jsonl
from compliance_nb.sandbox import Sandbox

SCRUB = {"scrub_geo", "geo_scrubbed"}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    # more geo scrubs than the default rates, so that every run has some
    with Sandbox(processing_delay=0, rates={"tweets": {"scrub_geo": 0.3}}) as box:
        yield box


def _read(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Oracle:
    """The sandbox's verdicts for every ID in a collection, and the rules restated."""

    def __init__(self, sb: Sandbox, lines: list[dict[str, Any]]) -> None:
        tweet_ids: set[str] = set()
        user_ids: set[str] = set()

        def walk(value: Any) -> None:  # every "id" of a Tweet-like or user-like object
            if isinstance(value, dict):
                if "id" in value and "text" in value:
                    tweet_ids.add(value["id"])
                    if "author_id" in value:
                        user_ids.add(value["author_id"])
                if "id" in value and "username" in value:
                    user_ids.add(value["id"])
                if value.get("type") in ("quoted", "replied_to", "retweeted"):
                    tweet_ids.add(value["id"])
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(lines)
        self.tweets = self._flags(sb, tweet_ids, "tweets")
        self.users = self._flags(sb, user_ids, "users")

    @staticmethod
    def _flags(sb: Sandbox, ids: set[str], kind: str) -> dict[str, str]:
        frame = sb.expected(sorted(ids, key=int), kind).drop_nulls("reason")
        return dict(zip(frame["id"].to_list(), frame["reason"].to_list(), strict=True))

    def tweet_gone(self, tweet: dict[str, Any], authors: dict[str, str]) -> bool:
        if self.tweets.get(tweet["id"], "") not in ("", *SCRUB):
            return True
        author = tweet.get("author_id") or authors.get(tweet["id"])
        if author in self.users:
            return True
        for ref in tweet.get("referenced_tweets", []):
            if ref["type"] == "retweeted" and self.tweet_gone(ref, authors):
                return True
        return False

    def scrubbed(self, tweet: dict[str, Any]) -> bool:
        return self.tweets.get(tweet["id"]) in SCRUB


def _check_tweet(
    oracle: Oracle, before: dict[str, Any], after: dict[str, Any], authors: dict[str, str]
) -> None:
    """A kept Tweet: geo gone iff scrubbed; inlined copies of removed objects cut to IDs."""
    assert after["id"] == before["id"]
    if oracle.scrubbed(before):
        assert "geo" not in after
    else:
        assert after.get("geo") == before.get("geo")
    for ref_in, ref_out in zip(
        before.get("referenced_tweets", []), after.get("referenced_tweets", []), strict=True
    ):
        if len(ref_in) > 2 and oracle.tweet_gone(ref_in, authors):
            assert ref_out == {"type": ref_in["type"], "id": ref_in["id"]}
        elif len(ref_in) > 2:
            _check_tweet(oracle, ref_in, ref_out, authors)
        else:
            assert ref_out == ref_in
    if "in_reply_to_user" in before:
        gone = before["in_reply_to_user"]["id"] in oracle.users
        assert ("in_reply_to_user" in after) is not gone
    for m_in, m_out in zip(
        before.get("entities", {}).get("mentions", []),
        after.get("entities", {}).get("mentions", []),
        strict=True,
    ):
        if m_in["id"] in oracle.users:
            assert set(m_out) == {"start", "end", "username", "id"}
        else:
            assert m_out == m_in
    untouched = {"geo", "referenced_tweets", "in_reply_to_user", "entities", "author"}
    assert {k: v for k, v in after.items() if k not in untouched} == {
        k: v for k, v in before.items() if k not in untouched
    }


def _check_page(oracle: Oracle, before: dict[str, Any], after: dict[str, Any] | None) -> None:
    includes_in = before.get("includes", {})
    authors = {t["id"]: t["author_id"] for t in includes_in.get("tweets", [])}
    kept = [t for t in before["data"] if not oracle.tweet_gone(t, authors)]
    if not kept:
        assert after is None
        return
    assert after is not None
    assert [t["id"] for t in after["data"]] == [t["id"] for t in kept]
    assert after["meta"]["result_count"] == len(after["data"])
    for t_in, t_out in zip(kept, after["data"], strict=True):
        _check_tweet(oracle, t_in, t_out, authors)
    includes = after.get("includes", {})
    kept_included = [t for t in includes_in.get("tweets", []) if not oracle.tweet_gone(t, authors)]
    assert [t["id"] for t in includes.get("tweets", [])] == [t["id"] for t in kept_included]
    kept_users = [u for u in includes_in.get("users", []) if u["id"] not in oracle.users]
    assert includes.get("users", []) == kept_users
    remaining = after["data"] + includes.get("tweets", [])
    places = {t["geo"]["place_id"] for t in remaining if "geo" in t}
    assert {p["id"] for p in includes.get("places", [])} == places
    media = {k for t in remaining for k in t.get("attachments", {}).get("media_keys", [])}
    assert {m["media_key"] for m in includes.get("media", [])} == media


def _check_flat(oracle: Oracle, before: dict[str, Any], after: dict[str, Any] | None) -> None:
    if oracle.tweet_gone(before, {}):
        assert after is None
        return
    assert after is not None
    assert after["author"] == before["author"]
    _check_tweet(oracle, before, after, {})


def _check_copy(sb: Sandbox, src: Path, dest: Path, layout: str, summary: Any) -> None:
    lines_in, lines_out = _read(src), _read(dest)
    oracle = Oracle(sb, lines_in)
    assert oracle.tweets and oracle.users  # the run had something to do
    out = iter(lines_out)
    dropped = 0
    for before in lines_in:
        is_page = "data" in before
        assert is_page is (layout == "pages")
        gone = (
            not [t for t in before["data"] if not oracle.tweet_gone(t, _authors(before))]
            if is_page
            else oracle.tweet_gone(before, {})
        )
        after = None if gone else next(out)
        dropped += gone
        (_check_page if is_page else _check_flat)(oracle, before, after)
    assert next(out, None) is None  # no extra lines
    assert summary.lines_read == len(lines_in)
    assert summary.lines_written == len(lines_out)
    assert summary.lines_dropped == dropped
    assert summary.layouts == {layout: len(lines_in)}


def _authors(page: dict[str, Any]) -> dict[str, str]:
    return {t["id"]: t["author_id"] for t in page.get("includes", {}).get("tweets", [])}


@pytest.mark.parametrize(
    ("layout", "n_lines", "source_name", "dest_name"),
    [
        ("pages", 15, "raw.jsonl", "clean.jsonl"),
        ("tweets", 250, "raw.jsonl.gz", "clean.jsonl.gz"),
        ("pages", 10, "raw.jsonl.gz", "clean.jsonl"),
    ],
)
def test_compliant_copy_matches_the_oracle(
    sb: Sandbox, tmp_path: Path, layout: str, n_lines: int, source_name: str, dest_name: str
) -> None:
    src = sample_collection(
        tmp_path / source_name,
        n_lines=n_lines,
        seed=n_lines,
        layout=layout,  # type: ignore[arg-type]
        gzip=source_name.endswith(".gz"),
    )
    digest = _sha(src)
    dest = tmp_path / dest_name
    summary = apply_compliance_jsonl(src, dest, client=sb.client(), progress=False)
    assert _sha(src) == digest
    assert (dest.read_bytes()[:2] == b"\x1f\x8b") is dest_name.endswith(".gz")
    _check_copy(sb, src, dest, layout, summary)
    assert summary.geo_scrubbed  # the rates make some
    assert summary.tweets_without_author == 0  # every generated Tweet names its author
    assert summary.tweets_removed.get("data")
    assert sorted(summary.jobs) == ["tweets", "users"]
    assert str(summary).startswith("Compliant copy:")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({source_name, dest_name})


def test_a_second_run_reuses_stored_results_and_writes_the_same_copy(
    sb: Sandbox, tmp_path: Path
) -> None:
    src = sample_collection(tmp_path / "raw.jsonl", n_lines=5, seed=3)
    events: list = []
    first = apply_compliance_jsonl(
        src, tmp_path / "a.jsonl", client=sb.client(), progress=events.append
    )
    job_events = [e for e in events if e.stage not in ("reading", "writing")]
    assert {e.kind for e in job_events} == {"tweets", "users"}  # both jobs, reported
    jobs = sb.jobs_created
    second = apply_compliance_jsonl(src, tmp_path / "b.jsonl", client=sb.client(), progress=False)
    assert sb.jobs_created == jobs
    assert sorted(second.from_cache) == ["tweets", "users"]
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert first.tweets_removed == second.tweets_removed


def test_a_malformed_line_stops_before_any_job_or_file(sb: Sandbox, tmp_path: Path) -> None:
    src = sample_collection(tmp_path / "raw.jsonl", n_lines=6, seed=4)
    lines = src.read_text().splitlines()
    lines.insert(3, '{"data": [{"id": "123", "text": "cut off"')
    src.write_text("\n".join(lines) + "\n")
    jobs = sb.jobs_created
    with pytest.raises(InputError) as info:
        apply_compliance_jsonl(src, tmp_path / "clean.jsonl", client=sb.client(), progress=False)
    assert info.value.line_number == 4 and "line 4" in str(info.value)
    assert sb.jobs_created == jobs
    assert not (tmp_path / "clean.jsonl").exists()

    digest = _sha(src)
    summary = apply_compliance_jsonl(
        src, tmp_path / "clean.jsonl", client=sb.client(), progress=False, errors="skip"
    )
    assert summary.lines_skipped == 1 and list(summary.skipped) == [4]
    assert summary.lines_read == 7
    assert summary.lines_written + summary.lines_dropped + summary.lines_skipped == 7
    assert "cut off" not in (tmp_path / "clean.jsonl").read_text()
    assert "SKIPPED" in str(summary) and "line 4" in str(summary)
    assert _sha(src) == digest


def test_an_empty_collection_gives_an_empty_copy_without_jobs(sb: Sandbox, tmp_path: Path) -> None:
    src = tmp_path / "empty.jsonl"
    src.write_text("\n\n")
    jobs = sb.jobs_created
    summary = apply_compliance_jsonl(
        src, tmp_path / "out.jsonl", client=sb.client(), progress=False
    )
    assert sb.jobs_created == jobs
    assert (tmp_path / "out.jsonl").read_bytes() == b""
    assert summary.lines_read == 0 and summary.lines_written == 0


def test_a_cancelled_token_stops_before_any_job_or_file(sb: Sandbox, tmp_path: Path) -> None:
    src = sample_collection(tmp_path / "raw.jsonl", n_lines=6, seed=5)
    token = CancelToken()
    token.cancel()
    jobs = sb.jobs_created
    with pytest.raises(JobCancelledError):
        apply_compliance_jsonl(
            src, tmp_path / "clean.jsonl", client=sb.client(), progress=False, cancel=token
        )
    assert sb.jobs_created == jobs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.jsonl"]


def test_cancelling_while_the_copy_is_written_leaves_no_file(sb: Sandbox, tmp_path: Path) -> None:
    src = sample_collection(tmp_path / "raw.jsonl", n_lines=3000, seed=6)
    assert src.stat().st_size > 3 << 20  # several of the passes' one-megabyte checks
    digest = _sha(src)
    token = CancelToken()
    stages: list[str] = []

    def on_event(event: Any) -> None:
        stages.append(event.stage)
        if event.stage == "writing":  # pass 2 has begun: the jobs are done
            token.cancel()

    with pytest.raises(JobCancelledError):
        apply_compliance_jsonl(
            src, tmp_path / "clean.jsonl", client=sb.client(), progress=on_event, cancel=token
        )
    assert "reading" in stages and "writing" in stages
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.jsonl"]  # no copy, no .part
    assert _sha(src) == digest
