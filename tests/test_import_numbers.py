"""Tests of eit_geo.import_numbers: a lone comma read as the rest of its file writes numbers."""

from __future__ import annotations

import pandas as pd

from eit_geo.import_numbers import read_commas


def test_each_file_decides_for_its_own_commas() -> None:
    quantity = pd.Series(["250,000", "1,200.5", "250,000", "12,5", "250,000", "300"])
    files = pd.Series(["en.csv", "en.csv", "fr.csv", "fr.csv", "?.csv", "?.csv"])
    read = read_commas(quantity, files)
    assert read.quantity.tolist() == ["250000", "1,200.5", "250,000", "12,5", "250,000", "300"]
    assert read.thousands.tolist() == [True, False, False, False, False, False]
    assert read.ambiguous.tolist() == [False, False, False, False, True, False]


def test_words_around_the_figure_stay() -> None:
    read = read_commas(pd.Series(["about 1,500 t", "12.5 GWh"]), pd.Series(["a", "a"]))
    assert read.quantity.tolist() == ["about 1500 t", "12.5 GWh"]


def test_french_thousands_with_a_dot_are_no_english_evidence() -> None:
    # « 250.000 » may be 250 thousand written with a dot: it does not make the file English
    read = read_commas(pd.Series(["250.000", "1,500"]), pd.Series(["f", "f"]))
    assert read.ambiguous.tolist() == [False, True]
    assert read.quantity.tolist() == ["250.000", "1,500"]
