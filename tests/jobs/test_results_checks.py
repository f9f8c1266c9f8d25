"""The checks of the results readers: which IDs pass, and values that are not strings are
named by their line whichever pre-check (compact JSON or JSON with blanks) sees them."""

from __future__ import annotations

import random
import re
from pathlib import Path

import polars as pl
import pytest

import compliance_nb.jobs.results as results_module
from compliance_nb._exceptions import ResultsFormatError
from compliance_nb.jobs.results import _has_bad_id, read_results, read_results_compact

READERS = [read_results, read_results_compact]
GOOD = '{"id":"%s","action":"delete","reason":"deleted","created_at":"2019-10-29T17:02:47.000Z"}'


def _is_decimal_id(text: str | None) -> bool:
    """The rule, written plainly: 1 to 19 ASCII digits, from 1 to 2**63 - 1."""
    return (
        text is not None
        and re.fullmatch(r"[0-9]{1,19}", text) is not None
        and 1 <= int(text) <= 2**63 - 1
    )


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_id_check_follows_the_rule_on_random_text() -> None:
    # _has_bad_id leans on polars' UInt64 cast taking exactly an optional "+" and ASCII
    # digits; this holds polars (and any later change) to the plain rule
    rng = random.Random(7)
    alphabet = "0123456789+- _.eEx\t\n٣５"
    edge = ["", "+", "+5", "-0", " 5", "5 ", "007", "00000000000000000001",
            "000000000000000000001", "18446744073709551615", "18446744073709551616",
            "99999999999999999999", "1e3", "0x10", "1_000", None]  # fmt: skip
    texts: list[str | None] = list(edge)
    for _ in range(20_000):
        digits_only = rng.random() < 0.5
        texts.append(
            "".join(
                rng.choice("0123456789" if digits_only else alphabet)
                for _ in range(rng.randrange(0, 23))
            )
        )
    ids = pl.Series(texts, dtype=pl.String)
    numbers = ids.cast(pl.UInt64, strict=False)
    # what _has_bad_id assumes of the cast, row by row, on every sample ...
    passes = (
        numbers.is_not_null()
        & ~ids.str.starts_with("+")
        & (ids.str.len_bytes() <= 19)
        & numbers.is_between(1, 2**63 - 1)
    )
    assert passes.fill_null(False).to_list() == [_is_decimal_id(t) for t in texts]
    # ... and _has_bad_id itself on a share of them, one ID at a time
    for text, number in list(zip(texts, numbers.to_list(), strict=True))[:1500]:
        one = pl.Series([text], dtype=pl.String)
        bad = _has_bad_id(one, pl.Series([number], dtype=pl.UInt64))
        assert bad is not _is_decimal_id(text), repr(text)
    assert _has_bad_id(ids, numbers)  # a column with any bad ID is bad


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("ident", ["007", "0000000000000000001", "9223372036854775807"])
def test_ids_with_leading_zeros_and_the_largest_pass(tmp_path, reader, ident) -> None:
    out = reader(_write(tmp_path, [GOOD % "1", GOOD % ident]))
    assert out["id"].cast(pl.String).to_list()[1] == (
        ident if reader is read_results else str(int(ident))
    )


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "ident", ["+5", " 5", "5 ", "00000000000000000001", "-0", "1e3", "0", "9223372036854775808"]
)
def test_ids_that_only_look_numeric_name_their_line(tmp_path, reader, ident) -> None:
    with pytest.raises(ResultsFormatError) as info:
        reader(_write(tmp_path, [GOOD % "1", GOOD % "2", GOOD % ident, GOOD % "4"]))
    assert info.value.line_number == 3
    assert f"'id' {ident!r} is not an ID (" in str(info.value)


NOT_STRINGS = [
    '{"id":5,"reason":"deleted"}',
    '{"id":5.0}',
    '{"id":-0}',
    '{"id":"5","reason":7}',
    '{"id":"5","action":true}',
    '{"id":"5","reason":{"a":1}}',
    '{"id":"5","action":[1]}',
    '{"id":"5","created_at":20191029}',
    # a repeated key: json (the line-by-line check) keeps the last value, polars the first
    '{"id":"5","created_at":"2019-10-29T17:02:47.000Z","created_at":5}',
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("blanks", [False, True], ids=["compact", "blanks"])
@pytest.mark.parametrize("bad", NOT_STRINGS)
def test_a_value_that_is_not_a_string_names_its_line(
    tmp_path, monkeypatch, reader, blanks, bad
) -> None:
    monkeypatch.setattr(results_module, "READ_BLOCK", 300)  # several blocks
    lines = [GOOD % n for n in range(1, 12)]
    # a blank in the block (here in the bad line itself) switches to the other pre-check
    lines[9] = bad[:-1] + " }" if blanks else bad
    with pytest.raises(ResultsFormatError) as info:
        reader(_write(tmp_path, lines))
    assert info.value.line_number == 10
    assert "should be a string" in str(info.value)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "bad", ['{"id" : 5}', '{"id":"5","reason" : 7}', '{"id":"5","action"\t:\t1}']
)
def test_blanks_before_the_colon_hide_no_wrong_type(tmp_path, reader, bad) -> None:
    with pytest.raises(ResultsFormatError) as info:
        reader(_write(tmp_path, [GOOD % "1", bad, GOOD % "3"]))
    assert info.value.line_number == 2
    assert "should be a string" in str(info.value)


@pytest.mark.parametrize("reader", READERS)
def test_suspect_looking_text_that_is_fine_still_reads(tmp_path, reader) -> None:
    lines = [
        GOOD % "1",
        '{"id":"2","reason":"\\"id\\":5","extra":{"id":7,"n":[1,2]}}',  # hits, all fine
        '{"id": "3", "action": "delete", "reason": null}',
        GOOD % "4",
    ]
    out = reader(_write(tmp_path, lines))
    assert out["id"].cast(pl.String).to_list() == ["1", "2", "3", "4"]
    assert out["reason"].cast(pl.String).to_list() == ["deleted", '"id":5', None, "deleted"]
