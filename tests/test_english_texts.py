"""English screens use English quotation marks (“ ”), never the French « »."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from importing_files import write_cci_csv

from eit_geo.datafiles import data_path
from eit_geo.i18n import translations
from eit_geo.importing import run_import

if TYPE_CHECKING:
    from pathlib import Path

FRENCH_QUOTES = ("«", "»")


def test_no_english_text_uses_french_quotes() -> None:
    french = {
        key: entry["en"]
        for key, entry in translations().items()
        if any(mark in entry["en"] for mark in FRENCH_QUOTES)
    }
    assert french == {}
    assert translations()["app.upload_ok"]["en"] == (
        "Zone “{name}” loaded: {companies} companies, {flows} flows."
    )
    assert "« {name} »" in translations()["app.upload_ok"]["fr"]  # French keeps its own


def test_no_english_column_of_the_data_files_uses_french_quotes() -> None:
    """The ``*_en`` columns (labels, sources, meanings) are what an English screen shows."""
    found = {}
    for path in sorted(data_path().glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in (c for c in table.columns if c.endswith("_en")):
            quoted = table[column].str.contains("«|»")
            if quoted.any():
                found[f"{path.name}:{column}"] = table.loc[quoted, column].tolist()
    assert found == {}


def test_an_english_import_report_quotes_in_english(tmp_path: Path) -> None:
    """The chamber-of-commerce table: free texts coded, the sawmill's two sectors quoted."""
    source = write_cci_csv(tmp_path / "inventaire-cci.csv")
    code, report = run_import([source], tmp_path / "zone.gpkg", lang="en")
    assert code == 0, report
    assert "sector (NACE) differs between rows, “16.10A” / “16.24Z” (first value kept)" in report
    assert "“laitier de haut fourneau” → 10 02 02" in report
    assert not any(mark in report for mark in FRENCH_QUOTES), report
    code, french = run_import([source], tmp_path / "zone.gpkg", lang="fr")
    assert "« 16.10A » / « 16.24Z »" in french
