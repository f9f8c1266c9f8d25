"""Unit tests of read_results and collapse_results."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import polars as pl
import pytest
from _results_helpers import ORDER as _ORDER
from _results_helpers import collapse_by_hand as _collapse_by_hand

from compliance_nb import ResultsFormatError
from compliance_nb.jobs.collapse import collapse_results
from compliance_nb.jobs.results import RESULTS_SCHEMA, read_results

UTC = timezone.utc


def write(tmp_path, text: str | bytes):
    path = tmp_path / "results.jsonl"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def line(id_, reason="deleted", created="2019-10-29T17:02:47.000Z", redacted=None, **kw):
    parts = [f'"id":"{id_}"', '"action":"delete"', f'"reason":"{reason}"']
    if created is not None:
        parts.append(f'"created_at":"{created}"')
    if redacted is not None:
        parts.append(f'"redacted_at":"{redacted}"')
    parts.extend(f'"{k}":{v}' for k, v in kw.items())
    return "{" + ",".join(parts) + "}"


def test_schema_and_both_timestamp_forms(tmp_path):
    text = "\n".join(
        [
            line("1265324480517361664", redacted="2020-07-29T17:02:47.000Z"),
            line("9223372036854775807", "suspended", created="2013-03-26T02:46:15+00:00"),
            line("20", "scrub_geo", created="2017-09-10T20:06:37.421Z"),
        ]
    )
    df = read_results(write(tmp_path, text + "\n"))
    assert df.schema == pl.Schema(RESULTS_SCHEMA)
    assert df["id"].to_list() == ["1265324480517361664", "9223372036854775807", "20"]
    assert df["created_at"].to_list() == [
        datetime(2019, 10, 29, 17, 2, 47, tzinfo=UTC),
        datetime(2013, 3, 26, 2, 46, 15, tzinfo=UTC),
        datetime(2017, 9, 10, 20, 6, 37, 421000, tzinfo=UTC),
    ]
    assert df["redacted_at"].to_list()[0] == datetime(2020, 7, 29, 17, 2, 47, tzinfo=UTC)
    assert df["redacted_at"].null_count() == 2


def test_empty_file_blank_lines_and_no_trailing_newline(tmp_path):
    empty = read_results(write(tmp_path, ""))
    assert empty.height == 0 and empty.schema == pl.Schema(RESULTS_SCHEMA)
    assert read_results(write(tmp_path, "\n\n")).height == 0
    df = read_results(write(tmp_path, "\n" + line("1") + "\n\n   \n" + line("2")))
    assert df["id"].to_list() == ["1", "2"]


def test_unknown_reasons_actions_and_extra_fields_are_kept_or_ignored(tmp_path):
    text = line("1", "edited", extra='{"a":1}').replace('"delete"', '"flag"')
    df = read_results(write(tmp_path, text))
    assert df.row(0)[:3] == ("1", "flag", "edited")
    assert df.columns == list(RESULTS_SCHEMA)


def test_missing_optional_fields_are_null(tmp_path):
    df = read_results(write(tmp_path, '{"id":"5"}\n'))
    assert df.row(0) == ("5", None, None, None, None)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("not json", "not JSON"),
        ('{"reason":"deleted"}', "no 'id'"),
        ('{"id":""}', "no 'id'"),
        ('{"id":"12a"}', "is not an ID (not decimal digits)"),
        ('{"id":"9223372036854775808"}', "is not an ID (above the largest ID"),
        ('{"id":1265324480517361664}', "should be a string"),
        ('{"id":"5","reason":7}', "should be a string"),
        ('{"id":"5","created_at":"yesterday"}', "not a timestamp"),
        ("[1,2]", "not a JSON object"),
    ],
)
def test_a_malformed_line_names_its_line_number(tmp_path, bad, words):
    text = line("1") + "\n\n" + line("2") + "\n" + bad + "\n" + line("3") + "\n"
    with pytest.raises(ResultsFormatError) as info:
        read_results(write(tmp_path, text))
    assert info.value.line_number == 4  # blank line 2 still counts
    assert "Line 4" in str(info.value) and words in str(info.value)


def test_an_int_id_among_string_ids_is_not_silently_converted(tmp_path):
    text = line("1") + "\n" + '{"id":2,"reason":"deleted"}\n'
    with pytest.raises(ResultsFormatError) as info:
        read_results(write(tmp_path, text))
    assert info.value.line_number == 2


def test_a_quoted_key_inside_a_string_value_is_fine(tmp_path):
    df = read_results(write(tmp_path, '{"id":"1","reason":"\\"id\\": 5"}\n'))
    assert df["reason"].to_list() == ['"id": 5']


# -- collapse_results ------------------------------------------------
def frame(rows):
    return pl.DataFrame(
        rows, schema=["id", "action", "reason", "created_at", "redacted_at"], orient="row"
    ).cast(RESULTS_SCHEMA)


def dt(day: int) -> datetime:
    return datetime(2020, 1, day, tzinfo=UTC)


def test_the_most_severe_reason_wins():
    order = ["deleted", "suspended", "deactivated", "protected", "bounced", "weird", "scrub_geo"]
    for i, winner in enumerate(order[:-1]):
        weaker = [*order[i + 1 :], "geo_scrubbed"]
        rows = [("1", "delete", r, None, dt(1)) for r in weaker] + [
            ("1", "delete", winner, None, dt(5))
        ]
        assert collapse_results(frame(rows))["reason"].to_list() == [winner]
    # the two geo names rank the same: the earlier redaction decides
    rows = [("1", "delete", "scrub_geo", None, dt(4)), ("1", "delete", "geo_scrubbed", None, dt(2))]
    assert collapse_results(frame(rows))["reason"].to_list() == ["geo_scrubbed"]


def test_earliest_redaction_wins_and_missing_counts_as_latest():
    rows = [
        ("1", "delete", "deleted", None, None),
        ("1", "delete", "deleted", None, dt(9)),
        ("1", "delete", "deleted", None, dt(3)),
        ("1", "delete", "scrub_geo", None, dt(1)),
    ]
    out = collapse_results(frame(rows))
    assert out.row(0)[2:] == ("deleted", None, dt(3))


def test_created_at_is_the_earliest_seen_for_the_id():
    rows = [
        ("1", "delete", "deleted", dt(7), dt(9)),
        ("1", "delete", "scrub_geo", dt(2), dt(1)),
        ("1", "delete", "deleted", None, dt(8)),
    ]
    out = collapse_results(frame(rows))
    assert out.row(0) == ("1", "delete", "deleted", dt(2), dt(8))


def test_one_row_per_id_in_first_seen_order():
    rows = [
        ("3", "delete", "scrub_geo", None, None),
        ("1", "delete", "deleted", None, None),
        ("3", "delete", "deleted", None, None),
        ("2", "delete", "protected", None, None),
    ]
    out = collapse_results(frame(rows))
    assert out["id"].to_list() == ["3", "1", "2"]
    assert out["reason"].to_list() == ["deleted", "deleted", "protected"]
    assert out.schema == pl.Schema(RESULTS_SCHEMA)


def test_collapse_of_an_empty_frame():
    out = collapse_results(pl.DataFrame(schema=RESULTS_SCHEMA))
    assert out.height == 0 and out.schema == pl.Schema(RESULTS_SCHEMA)


def test_a_missing_reason_ranks_as_unknown():
    rows = [("1", "delete", "scrub_geo", None, dt(1)), ("1", "delete", None, None, dt(2))]
    assert collapse_results(frame(rows))["reason"].to_list() == [None]
    rows = [("1", "delete", "bounced", None, dt(3)), ("1", "delete", None, None, dt(2))]
    assert collapse_results(frame(rows))["reason"].to_list() == ["bounced"]


# the rule of docs/architecture.md, written out line by line as a reference
@pytest.mark.parametrize("seed", range(6))
def test_collapse_agrees_with_the_rule_applied_by_hand(seed: int) -> None:
    rng = random.Random(seed)
    reasons = [*_ORDER, "geo_scrubbed", "weird"]
    days = [None, *range(1, 28)]

    def day() -> datetime | None:
        d = rng.choice(days)
        return None if d is None else dt(d)

    rows = [
        (
            str(rng.randrange(1, 400)),  # about half the IDs have several lines
            rng.choice(["delete", "other"]),  # the chosen line's action is kept
            rng.choice(reasons),
            day(),
            day(),
        )
        for _ in range(600)
    ]
    assert collapse_results(frame(rows)).rows() == _collapse_by_hand(rows)
