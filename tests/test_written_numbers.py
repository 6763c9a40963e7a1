"""Numbers as people write them: one set of rules, read one by one or a column at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eit_geo.distinct import map_distinct
from eit_geo.written_numbers import parse_number, parse_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", 12.5),
        ("12,5", 12.5),
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),
        ("1\u202f234\u202f567", 1234567.0),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1'234.5", 1234.5),
        ("1,250,000", 1250000.0),  # a mark written twice alone: thousands
        ("1.250.000", 1250000.0),
        ("1e3", 1000.0),
        ("-3", -3.0),
        ("abc", None),
        ("", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_numbers(text: str, expected: float | None) -> None:
    [parsed] = parse_numbers(pd.Series([text])).to_list()
    if expected is None:
        assert np.isnan(parsed)
    else:
        assert parsed == expected


def test_a_column_mixing_writings_reads_each_as_written() -> None:
    """A spreadsheet column of French and English writings, over the one-by-one threshold."""
    column = pd.Series(
        ["12.5", "12,5", "1 234,5", "1,234.5", "1.234,5", "n.c.", "", "4e2", "-0,5", "80"] * 3,
        index=range(2, 32),
    )
    read = parse_numbers(column)
    assert list(read.index) == list(column.index)
    expected = [12.5, 12.5, 1234.5, 1234.5, 1234.5, None, None, 400.0, -0.5, 80.0] * 3
    assert [None if np.isnan(v) else v for v in read] == expected
    assert [parse_number(text) for text in column[:10]][:5] == expected[:5]


def test_map_distinct_works_once_per_distinct_value() -> None:
    seen: list[object] = []

    def code(value: object) -> str:
        seen.append(value)
        return f"<{value}>"

    values = pd.Series(["steam", "gypsum", "steam", None, "steam", None], index=[5, 6, 7, 8, 9, 10])
    mapped = map_distinct(values, code)
    assert mapped.tolist() == ["<steam>", "<gypsum>", "<steam>", "<nan>", "<steam>", "<nan>"]
    assert list(mapped.index) == [5, 6, 7, 8, 9, 10]
    assert seen[:2] == ["steam", "gypsum"]
    assert len(seen) == 3  # a missing value is worked out once too
    assert pd.isna(seen[2])


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789 .,'\u00a0\u202f-+eE_xinfa٣", max_size=12),
            st.from_regex(r"-?\d{1,3}([ .,]\d{3})*([.,]\d{1,3})?", fullmatch=True),
            st.floats(allow_nan=True, allow_infinity=True).map(str),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_few_numbers_parse_as_many_do(texts: list[str]) -> None:
    """The one-by-one reading of a few values (quantities) agrees with the vectorised one."""
    few = parse_numbers(pd.Series(texts))
    many = parse_numbers(pd.Series(texts * 9)).iloc[: len(texts)]  # over 8: vectorised
    assert few.equals(many.reset_index(drop=True)) or np.allclose(
        few, many, equal_nan=True, rtol=0, atol=0
    ), list(zip(texts, few, many, strict=True))
