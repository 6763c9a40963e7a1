"""Tests of ``eit-geo match``: options, output formats and clear refusals."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from eit_geo.cli import main

DATA = Path(__file__).parent / "data"
RULES = str(DATA / "engine-rules")


def test_summary_without_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "kalundborg"]) == 0
    out = capsys.readouterr().out
    assert (
        "5 candidat(s) de substitution, 19 synergie(s) existante(s)" in out
    )  # fly ash: until 2019
    assert "fournisseur" in out
    assert "Groupes de mutualisation" in out


def test_summary_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", RULES, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "8 substitution candidate(s), 0 existing synergy(ies)" in out
    assert "supplier" in out


def test_csv(tmp_path: Path) -> None:
    target = tmp_path / "links.csv"
    assert main(["match", "kalundborg", "--out", str(target), "--allocate"]) == 0
    table = pd.read_csv(target, dtype={"members": str})
    for column in ("kind", "from_id", "to_id", "resource", "input_resource", "quantity", "unit",
                   "distance_km", "score", "members", "status", "allocated_quantity"):  # fmt: skip
        assert column in table.columns
    assert set(table["kind"]) == {"substitution", "mutualisation"}
    groups = table[table["kind"] == "mutualisation"]
    assert groups["members"].notna().all()
    assert groups["from_id"].isna().all()
    assert (table.loc[table["kind"] == "substitution", "members"].isna()).all()


def test_geojson(tmp_path: Path) -> None:
    target = tmp_path / "links.geojson"
    assert main(["match", RULES, "--out", str(target)]) == 0
    frame = gpd.read_file(target)
    assert frame.crs.to_epsg() == 4326
    assert (frame.loc[frame["kind"] == "substitution"].geom_type == "LineString").all()
    assert len(frame[frame["kind"] == "substitution"]) == 8


def test_geopackage(tmp_path: Path) -> None:
    target = tmp_path / "links.gpkg"
    assert main(["match", RULES, "--out", str(target), "--top", "0"]) == 0
    layers = dict(pyogrio.list_layers(target))
    assert layers == {"substitutions": "LineString", "mutualisations": "Polygon"}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--max-km", "material=300"], {"steam", "hot_water", "10 01 05", "gypsum", "10 01", "10"}),
        (["--max-km", "0.05"], set()),
        (["--max-km", "0.05", "--max-km", "steam=5"], {"steam", "hot_water"}),
    ],
)
def test_max_km_options(tmp_path: Path, options: list[str], expected: set[str]) -> None:
    target = tmp_path / "links.csv"
    assert main(["match", RULES, "--out", str(target), *options]) == 0
    table = pd.read_csv(target)
    found = table.loc[table["kind"] == "substitution", "input_resource"]
    assert set(found) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--max-km", "steem=5"], "steem=5"),
        (["--max-km", "material=-3"], "material=-3"),
        (["--max-km", "loin"], "loin"),
        (["--top", "-1"], "--top"),
        (["--top", "dix"], "dix"),
        (["--out", "links.txt"], "links.txt"),
    ],
)
def test_bad_options_exit_2(
    capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    assert main(["match", RULES, *options]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_bad_zone_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "companies.csv").write_text("id,name,lat,lon\na,A,45,3\n", encoding="utf-8")
    (tmp_path / "flows.csv").write_text(
        "company_id,direction,resource,quantity,unit\nzz,output,steam,-1,MWh/yr\n",
        encoding="utf-8",
    )
    assert main(["match", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "flows.csv" in error
    assert "company_id" in error


def test_summary_with_allocation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "kalundborg", "--allocate"]) == 0
    out = capsys.readouterr().out
    assert "Allocation optimale" in out
    assert "existante" in out


@pytest.mark.parametrize("options", [[], ["--allocate"]])
def test_unwritable_out_says_so(options: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    out = "/proc/no-such-dir/links.csv"
    assert main(["match", RULES, "--out", out, *options]) == 1
    error = capsys.readouterr().err
    assert f"Écriture impossible / cannot write {out}" in error
    assert "Traceback" not in error


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("fr", "1 paire(s) de codes compatibles ont des unités différentes : non appariées"),
        ("en", "1 pair(s) of matching codes have different units: not matched"),
    ],
)
def test_unit_mismatch_is_said_plainly_in_the_chosen_language(
    lang: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["match", str(DATA / "engine-units"), "--lang", lang]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [said]  # a line for the user, no file, line or warning class


@pytest.mark.parametrize(
    ("suffix", "allocated"),
    [(".csv", False), (".csv", True), (".geojson", False), (".gpkg", True)],
)
def test_existing_synergy_keeps_its_declared_quantity_in_every_output(
    tmp_path: Path, suffix: str, *, allocated: bool
) -> None:
    # Dunkerque: the steelworks' 131,000 MWh of heat go 105,000 to Dunkerque, 26,000 to
    # Grande-Synthe; the first was shown as 131,000 (its flows' least) in the files.
    target = tmp_path / f"links{suffix}"
    options = ["--allocate"] if allocated else []
    assert main(["match", "dunkerque", "--out", str(target), *options]) == 0
    if suffix == ".gpkg":
        table = pyogrio.read_dataframe(target, layer="substitutions")
    else:
        table = pd.read_csv(target) if suffix == ".csv" else gpd.read_file(target)
    rows = table.set_index("candidate_id")
    heat = rows.loc["amdk>dh_dunkerque:hot_water>hot_water"]
    assert heat["quantity"] == heat["existing_quantity"] == 105_000
    if allocated:
        assert heat["allocated_quantity"] == 105_000
    lead = rows.loc["uve>dh_dunkerque:hot_water>hot_water"]
    assert (lead["quantity"], lead["need_used"], lead["need_used_by"]) == (30_000, 105_000, "amdk")


def test_summary_shows_declared_quantities(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "dunkerque", "--top", "0"]) == 0
    out = capsys.readouterr().out
    assert "105 000" in out or "105\u202f000" in out
    assert "131 000" not in out
    assert "131\u202f000" not in out


def test_a_stopped_synergy_is_not_given_to_the_engine_as_existing(tmp_path: Path) -> None:
    # Kalundborg's coal fly ash to Aalborg Portland stopped in 2019: 19 synergies run this year
    target = tmp_path / "links.csv"
    assert main(["match", "kalundborg", "--out", str(target)]) == 0
    table = pd.read_csv(target)
    existing = table[table["existing_quantity"].notna()]
    assert len(existing) == 19
    assert not existing["candidate_id"].str.startswith("asnaes>aalborgportland:").any()
