"""Tests of eit_geo.siret: SIRET numbers as spreadsheets keep or spoil them."""

from __future__ import annotations

import pytest

from eit_geo.siret import read_siret


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("41234567800012", ("41234567800012", "ok")),
        ("412 345 678 00012", ("41234567800012", "ok")),
        ("41234567800012.0", ("41234567800012", "ok")),
        (41234567800012, ("41234567800012", "ok")),
        ("4,12346E+13", ("", "spoiled")),
        ("4.12346e13", ("", "spoiled")),
        ("", ("", "empty")),
        (None, ("", "empty")),
        ("412345678", ("", "other")),
        ("ACME-01", ("", "other")),
        ("5220169600011", ("05220169600011", "ok")),  # leading zero dropped, Luhn-valid
        ("5220169600016", ("", "other")),
    ],
)
def test_read_siret(value: object, expected: tuple[str, str]) -> None:
    assert read_siret(value) == expected
