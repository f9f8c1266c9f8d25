"""datasets.sample_collection: realistic raw API collections, deterministic."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from compliance_nb._exceptions import InputError
from compliance_nb.datasets import sample_collection

EPOCH_MS = 1288834974657


def _lines(path: Path) -> list[dict]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.decode().splitlines()]


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    a = sample_collection(tmp_path / "a.jsonl", n_lines=8, seed=2)
    b = sample_collection(tmp_path / "b.jsonl", n_lines=8, seed=2)
    c = sample_collection(tmp_path / "c.jsonl", n_lines=8, seed=3)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    z = sample_collection(tmp_path / "a.jsonl.gz", n_lines=8, seed=2, gzip=True)
    assert z.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(z.read_bytes()) == a.read_bytes()


def test_pages_hold_data_includes_and_consistent_meta(tmp_path: Path) -> None:
    pages = _lines(sample_collection(tmp_path / "p.jsonl", n_lines=30, seed=1, page_size=25))
    assert len(pages) == 30
    kinds: Counter[str] = Counter()
    for page in pages:
        data, includes, meta = page["data"], page["includes"], page["meta"]
        assert len(data) == meta["result_count"] == 25
        assert meta["newest_id"] == data[0]["id"] and meta["oldest_id"] == data[-1]["id"]
        tweets = {t["id"]: t for t in [*data, *includes.get("tweets", [])]}
        users = {u["id"] for u in includes["users"]}
        places = {p["id"] for p in includes.get("places", [])}
        media = {m["media_key"] for m in includes.get("media", [])}
        for t in tweets.values():
            assert t["author_id"] in users
            assert t.get("in_reply_to_user_id", t["author_id"]) in users
            for m in t.get("entities", {}).get("mentions", []):
                assert m["id"] in users
                assert t["text"][m["start"] : m["end"]] == "@" + m["username"]
            if "geo" in t:
                assert t["geo"]["place_id"] in places
            for key in t.get("attachments", {}).get("media_keys", []):
                assert key in media
            ms = (int(t["id"]) >> 22) + EPOCH_MS
            created = datetime.fromisoformat(t["created_at"].replace("Z", "+00:00"))
            if int(t["id"]) > 29_700_859_247:
                assert round(created.timestamp() * 1000) == ms
        for t in data:
            for ref in t.get("referenced_tweets", []):
                kinds[ref["type"]] += 1
                assert ref["id"] in tweets  # every referenced Tweet is in the page
                assert int(ref["id"]) < int(t["id"])  # Tweets reference older Tweets
        assert "next_token" in meta or page is pages[-1]
    total = sum(len(p["data"]) for p in pages)
    assert 0.12 < kinds["replied_to"] / total < 0.28
    assert 0.17 < kinds["retweeted"] / total < 0.33
    assert 0.05 < kinds["quoted"] / total < 0.16
    assert any("places" in p["includes"] for p in pages)


def test_tweets_layout_inlines_the_expansions(tmp_path: Path) -> None:
    tweets = _lines(sample_collection(tmp_path / "t.jsonl", n_lines=400, layout="tweets"))
    assert len(tweets) == 400
    assert all("data" not in t and t["author"]["id"] == t["author_id"] for t in tweets)
    refs = [r for t in tweets for r in t.get("referenced_tweets", [])]
    assert refs and all(r["text"] and r["author"]["id"] == r["author_id"] for r in refs)
    replies = [t for t in tweets if "in_reply_to_user_id" in t]
    assert replies and all(t["in_reply_to_user"]["id"] == t["in_reply_to_user_id"] for t in replies)
    geo = [t for t in tweets if "geo" in t]
    assert geo and all(t["geo"]["id"] == t["geo"]["place_id"] for t in geo)
    mentions = [m for t in tweets for m in t.get("entities", {}).get("mentions", [])]
    assert mentions and all("name" in m for m in mentions)  # user fields merged in
    ids = [t["id"] for t in tweets]
    assert 0 < len(ids) - len(set(ids)) < 0.06 * len(ids)  # a few Tweets collected twice


@pytest.mark.parametrize(
    "kwargs", [{"n_lines": -1}, {"seed": -1}, {"layout": "flat"}, {"page_size": 0}]
)
def test_bad_arguments_are_input_errors(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(InputError):
        sample_collection(tmp_path / "x.jsonl", **kwargs)
    assert not (tmp_path / "x.jsonl").exists()
