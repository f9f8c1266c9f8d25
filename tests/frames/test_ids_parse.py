"""ID validation and normalisation (compliance_nb.frames.ids), without any server."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _check_helpers import CONSTRUCTORS, constructor  # noqa: F401 - fixture

from compliance_nb._dataframes import as_frame
from compliance_nb._exceptions import IDColumnTypeError, InputError
from compliance_nb.frames.ids import parse_id_parts, parse_ids
from compliance_nb.frames.native import column_parts, column_values
from compliance_nb.jobs.idset import fingerprint, unique_ids, write_id_file

BIG = [1_800_000_000_000_000_001, 2**63 - 1, 2**53 + 1, 20]


def _parse(df, errors="raise"):
    return parse_ids(column_values(as_frame(df), "id"), column="id", errors=errors)


def test_every_backend_gives_exact_uint64(constructor):  # noqa: F811
    parsed = _parse(constructor([*BIG, None, BIG[0]]))
    assert parsed.ids.dtype == pl.UInt64
    assert parsed.ids.to_list() == [*BIG, None, BIG[0]]
    assert parsed.n_null == 1
    assert parsed.n_invalid == 0


def test_every_backend_without_nulls(constructor):  # noqa: F811
    parsed = _parse(constructor(BIG))
    assert parsed.ids.to_list() == BIG
    assert parsed.n_null == 0


def test_unique_ids_sorted_distinct_non_null():
    ids = pl.Series([5, None, 2**63 - 1, 5, 1], dtype=pl.UInt64)
    assert unique_ids(ids).to_list() == [1, 5, 2**63 - 1]


@pytest.mark.parametrize(
    "bad",
    [
        "+20",
        "2 0",
        "1e18",
        "12345678901234567890",
        "00000000000000000020",  # 20 digits, although the number is small
        "+0020",
        "-5",
        "0",
        "",
        "20.0",
        "0x1f",
        "9223372036854775808",
        "٣",
    ],
)
def test_bad_text_is_an_input_error_with_examples(bad):
    df = pl.DataFrame({"id": ["20", bad, "21"]})
    with pytest.raises(InputError) as info:
        _parse(df)
    message = str(info.value)
    assert "1 value(s)" in message
    assert repr(bad) in message
    assert "errors='coerce'" in message


def test_surrounding_whitespace_and_leading_zeros_are_accepted():
    parsed = _parse(pd.DataFrame({"id": [" 20", "21\t", "\n0022 "]}))
    assert parsed.ids.to_list() == [20, 21, 22]


def test_nineteen_digits_with_leading_zeros_are_one_id():
    parsed = _parse(pl.DataFrame({"id": ["0000000000000000020", "9223372036854775807"]}))
    assert parsed.ids.to_list() == [20, 2**63 - 1]


def test_at_most_five_examples_and_the_full_count():
    df = pl.DataFrame({"id": [f"x{i}" for i in range(8)]})
    with pytest.raises(InputError) as info:
        _parse(df)
    message = str(info.value)
    assert "8 value(s)" in message
    assert "'x4'" in message and "'x5'" not in message


def test_negative_and_zero_integers_rejected():
    with pytest.raises(InputError, match="2 value"):
        _parse(pl.DataFrame({"id": [5, -1, 0]}))


def test_uint64_above_the_largest_snowflake_rejected():
    with pytest.raises(InputError, match="18446744073709551615"):
        _parse(pl.DataFrame({"id": pl.Series([2**64 - 1], dtype=pl.UInt64)}))


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"id": [1.0, 2.0]}),
        pd.DataFrame({"id": [1.0, np.nan]}),
        pl.DataFrame({"id": [1.0, None]}),
        pd.DataFrame({"id": pd.array([1.5], dtype="Float64")}),
    ],
)
def test_float_columns_explain_the_corruption_and_the_fix(df):
    with pytest.raises(IDColumnTypeError) as info:
        _parse(df, errors="coerce")  # coerce does not rescue a float column
    message = str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert "2**53" in message
    assert "pd.read_csv(path, dtype={'id': str})" in message
    assert "pl.read_csv(path, schema_overrides={'id': pl.String})" in message


@pytest.mark.parametrize(
    "df", [pl.DataFrame({"id": [True]}), pd.DataFrame({"id": pd.to_datetime(["2020-01-01"])})]
)
def test_other_column_types_refused(df):
    with pytest.raises(IDColumnTypeError):
        _parse(df)


def test_bytes_column_refused():
    with pytest.raises(IDColumnTypeError, match="bytes"):
        _parse(pd.DataFrame({"id": [b"20", b"21"]}))


def test_object_column_mixing_ints_and_text_reads_both_and_rejects_the_rest():
    df = pd.DataFrame({"id": pd.Series(["20", 21, b"22", 23.0, None], dtype=object)})
    with pytest.raises(InputError) as info:
        _parse(df)
    assert "2 value(s)" in str(info.value) and "b'22'" in str(info.value)
    with pytest.warns(UserWarning, match="2 row"):
        parsed = _parse(df, errors="coerce")
    assert parsed.ids.to_list() == [20, 21, None, None, None]
    assert (parsed.n_invalid, parsed.n_null) == (2, 1)


def test_coerce_nulls_invalid_values_and_warns_with_count():
    df = pl.DataFrame({"id": ["20", "abc", None, "-3"]})
    with pytest.warns(UserWarning, match="2 value"):
        parsed = _parse(df, errors="coerce")
    assert parsed.ids.to_list() == [20, None, None, None]
    assert parsed.n_invalid == 2


def test_unknown_errors_mode():
    with pytest.raises(InputError, match="coerce"):
        _parse(pl.DataFrame({"id": ["1"]}), errors="ignore")


def test_all_null_column_is_fine():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = _parse(pd.DataFrame({"id": [None, None]}))
    assert parsed.ids.to_list() == [None, None]
    assert parsed.ids.dtype == pl.UInt64


def test_id_file_is_one_decimal_id_per_line(tmp_path):
    path = tmp_path / "ids.txt"
    size = write_id_file(pl.Series([2**63 - 1, 20], dtype=pl.UInt64), path)
    assert path.read_bytes() == b"9223372036854775807\n20\n"
    assert size == len(b"9223372036854775807\n20\n")


def test_fingerprint_is_sha256_of_sorted_ids_kind_and_url():
    ids = pl.Series([3, 1, 3], dtype=pl.UInt64)
    digest = hashlib.sha256(b"tweets\nhttp://127.0.0.1:5\n")
    digest.update(np.array([1, 3], dtype="<u8").tobytes())
    assert fingerprint(ids, "tweets", "HTTP://127.0.0.1:5/") == digest.hexdigest()
    assert fingerprint(ids, "users", "http://127.0.0.1:5") != digest.hexdigest()
    assert fingerprint(ids, "tweets", "http://127.0.0.1:6") != digest.hexdigest()


def test_constructor_table_covers_the_required_dtypes():
    dtypes = {name: as_frame(fn([1, 2])).schema["id"] for name, fn in CONSTRUCTORS.items()}
    assert str(dtypes["polars-UInt64"]) == "UInt64"
    assert str(dtypes["pandas-string[pyarrow]"]) == "String"


def test_fingerprint_is_the_sha256_of_the_sorted_ids_across_hash_chunks():
    import hashlib

    import numpy as np

    from compliance_nb.jobs.idset import fingerprint

    rng = np.random.default_rng(7)
    raw = rng.integers(1, 2**63 - 1, size=2_500_000, dtype=np.int64).astype(np.uint64)
    ids = pl.Series("id", np.concatenate([raw, raw[:1000]]), dtype=pl.UInt64)  # with repeats
    expected = hashlib.sha256(b"tweets\nhttps://api.x.com\n")
    expected.update(np.unique(raw).astype("<u8").tobytes())
    assert fingerprint(ids, "tweets", "https://API.x.com/") == expected.hexdigest()


def test_ids_already_distinct_and_sorted_are_not_copied():
    from compliance_nb.jobs.idset import is_distinct_sorted, unique_ids

    ids = pl.Series("id", [5, 9, 1_800_000_000_000_000_001], dtype=pl.UInt64)
    assert is_distinct_sorted(ids)
    assert not is_distinct_sorted(pl.Series([5, 9, 9], dtype=pl.UInt64))
    assert not is_distinct_sorted(pl.Series([9, 5], dtype=pl.UInt64))
    same = unique_ids(ids)
    assert same.to_list() == ids.to_list()
    # the same buffer, not a copy
    assert (
        same.to_numpy().__array_interface__["data"][0]
        == ids.to_numpy().__array_interface__["data"][0]
    )
    assert unique_ids(pl.Series([9, 5, 9, None], dtype=pl.UInt64)).to_list() == [5, 9]


@pytest.mark.parametrize("bad_at", [1, 7])  # in the first half, in the second
def test_a_long_text_column_cast_in_two_halves_is_read_and_checked_whole(
    monkeypatch: pytest.MonkeyPatch, bad_at: int
) -> None:
    import compliance_nb.rules.ids as ids_module

    monkeypatch.setattr(ids_module, "_PARALLEL_CAST", 4)  # 10 values: two halves of 5
    values = [str(2**63 - 1 - i) for i in range(10)]
    parsed = parse_ids(pl.Series("id", values), column="id")
    assert parsed.ids.to_list() == [2**63 - 1 - i for i in range(10)]
    values[bad_at] = "12x"
    with pytest.raises(InputError, match="1 value"):
        parse_ids(pl.Series("id", values), column="id")
    with pytest.warns(UserWarning, match="1 row"):
        coerced = parse_ids(pl.Series("id", values), column="id", errors="coerce")
    assert coerced.ids.null_count() == 1 and coerced.ids[bad_at] is None


# -- a column parsed in parts (column_parts + parse_id_parts) ---------------------------------


def _parsed_in_parts(df, rows, errors="raise", known=False):
    parts = column_parts(as_frame(df), "id", rows=rows)
    return parse_id_parts(parts, column="id", errors=errors, rows=len(df) if known else None)


@pytest.mark.parametrize("known", [False, True], ids=["length-unknown", "length-given"])
@pytest.mark.parametrize("rows", [1, 2, 3, 100])
def test_parts_give_the_ids_of_the_whole_column(constructor, rows, known):  # noqa: F811
    values = [*BIG, None, BIG[0], 7, None]
    parsed = _parsed_in_parts(constructor(values), rows, known=known)
    assert parsed.ids.dtype == pl.UInt64
    assert parsed.ids.to_list() == values
    assert (parsed.n_null, parsed.n_invalid) == (2, 0)


def test_parts_of_a_pandas_column_are_arrow_slices_in_order():
    df = pd.DataFrame({"id": pd.array(["1", "2", None, "4", "5"], dtype="str")})
    parts = list(column_parts(as_frame(df), "id", rows=2))
    assert [p.to_list() for p in parts] == [["1", "2"], [None, "4"], ["5"]]
    assert all(p.name == "id" for p in parts)


def test_a_polars_column_is_one_part_and_not_copied():
    df = pl.DataFrame({"id": pl.Series(range(1, 6), dtype=pl.UInt64)})
    (part,) = column_parts(as_frame(df), "id", rows=2)
    assert np.shares_memory(part.to_numpy(), df.get_column("id").to_numpy())


def test_an_empty_column_is_one_empty_part_and_keeps_its_type():
    (part,) = column_parts(as_frame(pd.DataFrame({"id": pd.Series([], dtype="float64")})), "id")
    assert len(part) == 0
    with pytest.raises(IDColumnTypeError, match="floating-point"):
        _parsed_in_parts(pd.DataFrame({"id": pd.Series([], dtype="float64")}), 2)


def test_a_mixed_object_column_is_one_list_part():
    df = pd.DataFrame({"id": pd.Series(["20", 21, None], dtype=object)})
    (part,) = column_parts(as_frame(df), "id", rows=1)
    assert part == ["20", 21, None]
    assert _parsed_in_parts(df, 1).ids.to_list() == [20, 21, None]


def test_invalid_values_in_several_parts_are_counted_and_reported_once():
    values = ["20", "abc", "30", None, "-1", "40", "1e3", "x", "y", "z", "w", "50"]
    df = pd.DataFrame({"id": pd.array(values, dtype="str")})
    with pytest.raises(InputError) as info:
        _parsed_in_parts(df, 3)
    message = str(info.value)
    assert "7 value(s)" in message  # all parts counted, not the first part's one
    shown = "'abc': not decimal digits; '-1': not decimal digits; '1e3': not decimal digits"
    assert shown + "; 'x': not decimal digits; 'y': not decimal digits)" in message  # row order
    assert "'z'" not in message
    with pytest.warns(UserWarning, match="7 value") as caught:
        parsed = _parsed_in_parts(df, 3, errors="coerce")
    assert len(caught) == 1
    assert parsed.ids.to_list() == [20, None, 30, None, None, 40] + [None] * 5 + [50]
    assert (parsed.n_null, parsed.n_invalid) == (1, 7)
    assert parsed.invalid_examples == ("'abc'", "'-1'", "'1e3'", "'x'", "'y'")


def test_random_columns_parse_the_same_in_parts_as_whole():
    rng = np.random.default_rng(7)
    pool = ["1", "007", " 42 ", str(2**63 - 1), str(2**63), "0", "+5", "", "abc", None, "99"]
    for _ in range(30):
        n = int(rng.integers(0, 40))
        values = [pool[i] for i in rng.integers(0, len(pool), size=n)]
        df = pd.DataFrame({"id": pd.array(values, dtype="str")})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            whole = _parse(df, errors="coerce")
            parts = _parsed_in_parts(
                df, int(rng.integers(1, 8)), errors="coerce", known=bool(rng.integers(2))
            )
        assert parts.ids.to_list() == whole.ids.to_list()
        assert (parts.n_null, parts.n_invalid) == (whole.n_null, whole.n_invalid)
        assert parts.invalid_examples == whole.invalid_examples


def test_parts_that_do_not_add_up_to_the_given_length_are_refused():
    parts = [pl.Series(["1", "2"]), pl.Series(["3"])]
    with pytest.raises(ValueError, match="not rows=4"):
        parse_id_parts(parts, column="id", rows=4)
    with pytest.raises(ValueError, match="more than rows=2"):
        parse_id_parts(parts, column="id", rows=2)
