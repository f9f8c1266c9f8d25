"""The two passes of apply_compliance_jsonl, without the API: hand-made lines and verdicts."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from compliance_nb._exceptions import InputError
from compliance_nb.jsonl.apply import apply_compliance_jsonl
from compliance_nb.jsonl.rules import Verdicts, compliant_line
from compliance_nb.jsonl.scan import scan_ids
from compliance_nb.jsonl.summary import JsonlSummary
from compliance_nb.jsonl.write import write_compliant_copy

BIG = "1212092628029698049"  # above 2**53: a float would turn it into ...048
BIG_USER = "1212092628029698051"


def _write(path: Path, lines: list, *, compress: bool = False) -> Path:
    text = "".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


PAGE = {
    "data": [
        {
            "id": BIG,
            "text": "a reply",
            "author_id": "11",
            "in_reply_to_user_id": "99",  # bare reference: not checked
            "referenced_tweets": [{"type": "replied_to", "id": "30"}],
            "entities": {"mentions": [{"start": 0, "end": 3, "username": "x", "id": "98"}]},
        },
        {"id": "2", "text": "hi", "author_id": BIG_USER, "geo": {"place_id": "p1"}},
    ],
    "includes": {
        "tweets": [{"id": "30", "text": "original", "author_id": "13"}],
        "users": [{"id": "11", "username": "a"}, {"id": "14", "username": "d"}],
        "places": [{"id": "p1", "full_name": "Paris"}],
    },
    "meta": {"result_count": 2, "newest_id": BIG},
}

FLAT = {
    "id": "40",
    "text": "RT @b: original",
    "author_id": "15",
    "author": {"id": "15", "username": "e"},
    "in_reply_to_user": {"id": "16", "username": "f"},
    "referenced_tweets": [
        {
            "type": "quoted",
            "id": "41",
            "text": "quoted text",
            "author_id": "17",
            "author": {"id": "17", "username": "g", "pinned_tweet": {"id": "42", "text": "p"}},
        }
    ],
    "entities": {"mentions": [{"start": 3, "end": 5, "username": "b", "id": "18", "name": "Bee"}]},
}


def test_pass1_collects_every_tweet_and_user_id_exactly(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.jsonl", [PAGE, FLAT, {"meta": {"result_count": 0}}])
    scan = scan_ids(path)
    assert scan.tweet_ids.dtype == pl.UInt64 and scan.user_ids.dtype == pl.UInt64
    assert set(scan.tweet_ids.to_list()) == {int(BIG), 2, 30, 40, 41, 42}
    # authors, includes.users, inlined author / in_reply_to_user / merged mention;
    # not the bare in_reply_to_user_id 99 nor the plain mention ID 98
    assert set(scan.user_ids.to_list()) == {11, int(BIG_USER), 13, 14, 15, 16, 17, 18}
    assert scan.lines_read == 3
    assert scan.layouts == {"pages": 2, "tweets": 1}
    assert scan.tweet_ids.is_sorted() and scan.tweet_ids.n_unique() == len(scan.tweet_ids)


@pytest.mark.parametrize("name", ["c.jsonl.gz", "no_suffix.jsonl"])
def test_pass1_reads_gzip_by_its_magic_bytes(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, [PAGE], compress=True)
    assert int(BIG) in scan_ids(path).tweet_ids.to_list()


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ('{"data": [ {"id": "1"', "not valid JSON"),
        ("[1, 2]", "JSON list"),
        ('{"data": "nope"}', "'data'"),
        ('{"data": [{"id": "12a", "text": "x"}]}', "data[0].id"),
        ('{"data": [{"id": 1.5e3}]}', "data[0].id"),
        ('{"text": "no id"}', "neither"),
        ('{"id": "5", "referenced_tweets": [{"type": "quoted"}]}', "referenced_tweets[0]"),
        ('{"data": [], "includes": {"users": [{"username": "x"}]}}', "includes.users[0]"),
        ('{"id": 5, "id_str": "5", "text": "x", "user": {"id": 1}}', "API v1.1"),
    ],
)
def test_a_malformed_line_is_an_input_error_naming_its_line(
    tmp_path: Path, bad: str, words: str
) -> None:
    path = _write(tmp_path / "c.jsonl", [PAGE, "", bad, FLAT])
    with pytest.raises(InputError) as info:
        scan_ids(path)
    assert info.value.line_number == 3
    assert "line 3" in str(info.value) and words in str(info.value)
    assert "errors='skip'" in str(info.value)

    scan = scan_ids(path, errors="skip")
    assert list(scan.skipped) == [3] and words in scan.skipped[3]
    assert scan.lines_read == 3 and scan.blank_lines == 1
    assert 40 in scan.tweet_ids.to_list()  # the lines after it are read


def _verdicts(tweets: dict | None = None, users: dict | None = None, scrub=()) -> Verdicts:
    return Verdicts(tweets or {}, users or {}, frozenset(scrub))


def test_a_removed_tweet_leaves_data_and_result_count_follows() -> None:
    out = compliant_line(copy.deepcopy(PAGE), _verdicts({BIG: "deleted"}))
    assert [t["id"] for t in out["data"]] == ["2"]
    assert out["meta"]["result_count"] == 1
    assert out["meta"]["newest_id"] == BIG  # pagination markers stay
    assert out["includes"]["tweets"][0]["id"] == "30"


def test_a_tweet_goes_with_its_author_and_the_user_leaves_includes() -> None:
    out = compliant_line(copy.deepcopy(PAGE), _verdicts(users={"11": "suspended"}))
    assert [t["id"] for t in out["data"]] == ["2"]
    assert [u["id"] for u in out["includes"]["users"]] == ["14"]


def test_a_referenced_tweet_leaves_includes_but_the_reference_stays_as_id() -> None:
    out = compliant_line(copy.deepcopy(PAGE), _verdicts({"30": "protected"}))
    assert "tweets" not in out["includes"]
    assert out["data"][0]["referenced_tweets"] == [{"type": "replied_to", "id": "30"}]


def test_geo_scrub_drops_geo_and_the_place_nobody_refers_to() -> None:
    out = compliant_line(copy.deepcopy(PAGE), _verdicts(scrub=["2"]))
    assert [t["id"] for t in out["data"]] == [BIG, "2"]
    assert "geo" not in out["data"][1]
    assert "places" not in out["includes"]


def test_a_place_still_referred_to_by_another_tweet_stays() -> None:
    page = copy.deepcopy(PAGE)
    page["includes"]["tweets"][0]["geo"] = {"place_id": "p1"}
    out = compliant_line(page, _verdicts(scrub=["2"]))
    assert out["includes"]["places"] == [{"id": "p1", "full_name": "Paris"}]


def test_media_of_a_removed_tweet_is_dropped() -> None:
    page = {
        "data": [
            {"id": "1", "text": "a", "attachments": {"media_keys": ["3_1"]}},
            {"id": "2", "text": "b", "attachments": {"media_keys": ["3_2"]}},
        ],
        "includes": {"media": [{"media_key": "3_1"}, {"media_key": "3_2"}]},
    }
    out = compliant_line(page, _verdicts({"1": "deleted"}))
    assert out["includes"]["media"] == [{"media_key": "3_2"}]


def test_a_retweet_of_a_removed_tweet_is_removed_too() -> None:
    def ref(kind: str, id_: str) -> list[dict]:
        return [{"type": kind, "id": id_}]

    page = {
        "data": [
            {"id": "5", "text": "RT @x: gone", "referenced_tweets": ref("retweeted", "4")},
            {"id": "6", "text": "quote", "referenced_tweets": ref("quoted", "4")},
            {"id": "7", "text": "RT @y: by author", "referenced_tweets": ref("retweeted", "8")},
        ],
        "includes": {"tweets": [{"id": "8", "text": "by author", "author_id": "21"}]},
    }
    out = compliant_line(page, _verdicts({"4": "deleted"}, {"21": "deactivated"}))
    assert [t["id"] for t in out["data"]] == ["6"]  # a quote keeps its own text


def test_a_page_left_empty_is_dropped_and_a_meta_only_page_is_kept() -> None:
    page = {"data": [{"id": "1", "text": "a"}], "meta": {"result_count": 1}}
    assert compliant_line(page, _verdicts({"1": "deleted"})) is None
    single = {"data": {"id": "1", "text": "a"}}  # a lookup of one Tweet
    assert compliant_line(single, _verdicts({"1": "deleted"})) is None
    last = {"meta": {"result_count": 0}}
    assert compliant_line(copy.deepcopy(last), _verdicts({"1": "deleted"})) == last


def test_user_collections_in_data() -> None:
    page = {
        "data": [{"id": "1", "username": "a"}, {"id": "2", "username": "b"}],
        "includes": {"tweets": [{"id": "9", "text": "pinned", "author_id": "2"}]},
    }
    out = compliant_line(page, _verdicts(users={"2": "deleted"}))
    assert out == {"data": [{"id": "1", "username": "a"}]}


def test_flattened_tweet_inlined_copies_are_cut_back_to_ids() -> None:
    out = compliant_line(
        copy.deepcopy(FLAT), _verdicts({"42": "deleted"}, {"16": "protected", "18": "deleted"})
    )
    assert "in_reply_to_user" not in out
    assert out["entities"]["mentions"] == [{"start": 3, "end": 5, "username": "b", "id": "18"}]
    quoted = out["referenced_tweets"][0]
    assert quoted["text"] == "quoted text" and "pinned_tweet" not in quoted["author"]

    out = compliant_line(copy.deepcopy(FLAT), _verdicts(users={"17": "suspended"}))
    assert out["referenced_tweets"] == [{"type": "quoted", "id": "41"}]
    assert out["author"] == FLAT["author"]


def test_flattened_tweet_removed_by_its_author_object_and_scrubbed_inline() -> None:
    tweet = {"id": "1", "text": "x", "author": {"id": "3", "username": "c"}}
    assert compliant_line(tweet, _verdicts(users={"3": "deleted"})) is None
    inlined_geo = copy.deepcopy(FLAT)
    inlined_geo["referenced_tweets"][0]["geo"] = {"place_id": "p", "full_name": "Rome"}
    out = compliant_line(inlined_geo, _verdicts(scrub=["41"]))
    assert "geo" not in out["referenced_tweets"][0]


def test_verdicts_from_results_frames_with_uint64_ids_and_null_reasons() -> None:
    ids = pl.Series([int(BIG), 2, 3], dtype=pl.UInt64)
    tweets = pl.DataFrame({"id": ids, "reason": ["x_new", None, "geo_scrubbed"]})
    v = Verdicts.from_results(tweets, pl.DataFrame({"id": ["5"], "reason": ["scrub_geo"]}))
    assert dict(v.tweets_removed) == {BIG: "x_new", "2": "unknown"}
    assert set(v.tweets_scrubbed) == {"3"}
    assert dict(v.users_removed) == {}  # a user has no geo to scrub: nothing to do


def test_copy_keeps_unchanged_lines_byte_for_byte_and_drops_removed(tmp_path: Path) -> None:
    untouched = '{"id": "77",   "text": "spacing kept", "author_id": "12"}'
    src = _write(tmp_path / "c.jsonl", [PAGE, untouched, FLAT, ""])
    before = src.read_bytes()
    summary = write_compliant_copy(src, tmp_path / "out.jsonl", _verdicts({"40": "deleted"}))
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert lines[0] == json.dumps(PAGE)
    assert lines[1] == untouched
    assert len(lines) == 2
    assert summary.lines_written == 2 and summary.lines_dropped == 1
    assert summary.blank_lines == 1
    assert summary.tweets_removed == {"data": {"deleted": 1}}
    assert src.read_bytes() == before


def test_copy_is_gzip_when_the_destination_ends_with_gz(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.jsonl.gz", [PAGE, FLAT], compress=True)
    write_compliant_copy(src, tmp_path / "out.jsonl.gz", _verdicts({BIG: "deleted"}))
    lines = gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()).decode().splitlines()
    assert [json.loads(ln).get("id") for ln in lines] == [None, "40"]
    assert [t["id"] for t in json.loads(lines[0])["data"]] == ["2"]


def test_a_failed_copy_leaves_no_destination_and_no_temporary_file(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.jsonl", [PAGE, "{broken", FLAT])
    dest = tmp_path / "out" / "clean.jsonl"
    dest.parent.mkdir()
    with pytest.raises(InputError, match="line 2"):
        write_compliant_copy(src, dest, _verdicts())
    assert list(dest.parent.iterdir()) == []
    summary = write_compliant_copy(src, dest, _verdicts(), skip_lines={2})
    assert summary.lines_written == 2 and "broken" not in dest.read_text()


def test_bad_paths_and_arguments_are_refused_before_anything_happens(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.jsonl", [PAGE])
    unusable_client = object()  # any use of it would fail differently
    cases = [
        ((src, src), "is the source"),
        ((src, tmp_path / "." / "c.jsonl"), "is the source"),
        ((tmp_path / "missing.jsonl", tmp_path / "o.jsonl"), "not a file"),
        ((src, tmp_path / "nofolder" / "o.jsonl"), "does not exist"),
        ((src, tmp_path), "is a folder"),
    ]
    for (source, dest), words in cases:
        with pytest.raises(InputError, match=words):
            apply_compliance_jsonl(source, dest, client=unusable_client)
    with pytest.raises(InputError, match="errors must be"):
        apply_compliance_jsonl(src, tmp_path / "o.jsonl", client=unusable_client, errors="x")
    before = src.read_bytes()
    with pytest.raises(InputError, match="is the source"):
        write_compliant_copy(src, src, _verdicts({BIG: "deleted"}))
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_summary_reads_well_and_serialises() -> None:
    summary = JsonlSummary(
        source="in.jsonl",
        destination="out.jsonl",
        lines_read=10,
        lines_written=8,
        lines_dropped=1,
        lines_skipped=1,
        skipped={7: "not valid JSON"},
        layouts={"pages": 9},
        tweets_read=120,
        users_read=40,
        tweets_removed={"data": {"deleted": 5, "user_suspended": 2}, "includes": {"deleted": 1}},
        geo_scrubbed={"data": 3},
        jobs={"tweets": ["123"], "users": ["456"]},
    )
    text = str(summary)
    assert "in.jsonl -> out.jsonl" in text
    assert "deleted 5, user_suspended 2" in text
    assert "line 7: not valid JSON" in text and "SKIPPED" in text
    assert json.loads(json.dumps(summary.to_dict()))["skipped"] == {"7": "not valid JSON"}


ODD_BUT_VALID = [
    {"data": [{"id": "1", "text": "x", "geo": "nowhere"}], "includes": {"places": [{"id": ["p"]}]}},
    {"id": "1", "text": "x", "entities": {"mentions": {"a": 1}}},
    {"id": "1", "text": "x", "entities": "e"},
    {"id": "1", "text": "x", "attachments": {"media_keys": {"k": 1}}},
    {"id": "1", "text": "x", "author": {}},
    {"id": 5, "text": "integer IDs", "author_id": 7},
    {"data": {"id": "1", "text": "single"}, "includes": {}},
    {"errors": [{"detail": "Could not find tweet", "value": "9"}]},
    {"data": [], "meta": {"result_count": 0}},
    {"id": "1", "text": "x", "referenced_tweets": [{"type": "retweeted", "id": "2", "author": {}}]},
    {"data": [{"id": "1", "username": "u", "pinned_tweet": {}}]},
    {"data": [{"id": "9223372036854775807", "text": "largest ID there is"}]},
    {"data": [{"id": " 007", "text": "an ID written otherwise", "author_id": "0012"}]},
]  # fmt: skip


@pytest.mark.parametrize("line", ODD_BUT_VALID, ids=range(len(ODD_BUT_VALID)))
def test_every_line_pass1_accepts_is_handled_by_pass2(tmp_path: Path, line: dict) -> None:
    path = _write(tmp_path / "c.jsonl", [line])
    scan = scan_ids(path)
    tweets = [str(i) for i in scan.tweet_ids.to_list()]
    users = [str(i) for i in scan.user_ids.to_list()]
    everything = _verdicts(dict.fromkeys(tweets, "deleted"), dict.fromkeys(users, "deleted"))
    nothing_but_scrubs = _verdicts(scrub=tweets)
    for verdicts in (everything, nothing_but_scrubs):
        out = compliant_line(copy.deepcopy(line), verdicts)
        assert out is None or json.loads(json.dumps(out)) == out
    write_compliant_copy(path, tmp_path / "out.jsonl", everything)


def test_ids_follow_the_one_id_rule(tmp_path: Path) -> None:
    top = str(2**63 - 1)
    ok = _write(tmp_path / "ok.jsonl", [{"id": top, "text": "x", "author_id": BIG}])
    scan = scan_ids(ok)
    assert scan.tweet_ids.to_list() == [2**63 - 1] and scan.user_ids.to_list() == [int(BIG)]
    # written otherwise than the API does, but IDs all the same: checked as what they are
    odd = _write(tmp_path / "odd.jsonl", [{"id": "012", "text": "x", "author_id": " 7\n"}])
    scan = scan_ids(odd)
    assert scan.tweet_ids.to_list() == [12] and scan.user_ids.to_list() == [7]
    for bad_id, why in (
        (str(2**63), "above the largest ID"),
        ("-5", "not decimal digits"),
        ("１２", "not decimal digits"),
        ("0", "zero"),
        ("", "empty"),
        (1.5, "a float"),
    ):
        bad = _write(tmp_path / "bad.jsonl", [{"id": bad_id, "text": "x"}])
        with pytest.raises(InputError, match=rf"is not an ID \({why}"):
            scan_ids(bad)


def test_a_result_for_an_id_written_otherwise_still_removes_it(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.jsonl", [{"id": "0012", "text": "x", "author_id": " 7"}])
    summary = write_compliant_copy(src, tmp_path / "out.jsonl", _verdicts({"12": "deleted"}))
    assert (tmp_path / "out.jsonl").read_text() == ""
    assert summary.tweets_removed
    src = _write(tmp_path / "d.jsonl", [{"id": "13", "text": "x", "author_id": " 07"}])
    write_compliant_copy(src, tmp_path / "out2.jsonl", _verdicts(users={"7": "suspended"}))
    assert (tmp_path / "out2.jsonl").read_text() == ""


def test_tweets_whose_author_is_unknown_are_counted(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.jsonl", [{"id": "1", "text": "x"}, {"id": "2", "text": "y"}, FLAT])
    summary = write_compliant_copy(src, tmp_path / "out.jsonl", _verdicts({"2": "deleted"}))
    assert summary.tweets_without_author == 1  # "1"; "2" left, FLAT names its authors
    assert "no author_id" in str(summary)


def test_ids_collected_in_many_chunks_are_the_same_distinct_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compliance_nb.datasets import sample_collection
    from compliance_nb.jsonl import scan as _jsonl_scan

    path = sample_collection(tmp_path / "c.jsonl", n_lines=30, seed=5)
    whole = scan_ids(path)
    monkeypatch.setattr(_jsonl_scan, "_ID_CHUNK", 37)  # hundreds of chunks, merged as they go
    chunked = scan_ids(path)
    assert chunked.tweet_ids.to_list() == whole.tweet_ids.to_list()
    assert chunked.user_ids.to_list() == whole.user_ids.to_list()
    expected: set[int] = set()
    for line in path.read_text().splitlines():
        page = json.loads(line)
        for t in page["data"] + page["includes"].get("tweets", []):
            expected.add(int(t["id"]))
            expected.update(int(r["id"]) for r in t.get("referenced_tweets", []))
    assert set(whole.tweet_ids.to_list()) == expected
