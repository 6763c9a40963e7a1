"""Property-based tests: any bytes, any table shape, any values give a Zone or a ZoneError.

The suite runs a few thousand cases in all; set ``EIT_GEO_FUZZ_EXAMPLES`` for a longer run, e.g.
``EIT_GEO_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/test_fuzz_loading.py``.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eit_geo import Zone, ZoneError, load_zone

EXAMPLES = int(os.environ.get("EIT_GEO_FUZZ_EXAMPLES", "600"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID_COMPANIES = "id,name,lat,lon\na,Alpha,48.85,2.35\nb,Beta,48.86,2.36\n"
VALID_FLOWS = (
    "company_id,direction,resource,quantity,unit\n"
    "a,output,steam,10,MWh/yr\n"
    "b,input,steam,5,MWh/yr\n"
)

COMPANY_HEADERS = ["id", "identifiant", "name", "nom", "lat", "lon", "sector", "effectif", "x", ""]
FLOW_HEADERS = [
    "company_id",
    "entreprise",
    "direction",
    "sens",
    "resource",
    "ressource",
    "quantity",
    "quantité",
    "unit",
    "unité",
    "label",
    "",
]
CELL_VALUES = st.one_of(
    st.sampled_from(
        [
            "a",
            "b",
            "c",
            "",
            " ",
            "output",
            "input",
            "sortie",
            "entrée",
            "besoin",
            "steam",
            "10 01 02",
            "100102",
            "10",
            "10 01",
            "16 01 07*",
            "gypsum",
            "t/an",
            "m³/an",
            "MWh/yr",
            "1,5",
            "1 234,5",
            "-3",
            "0",
            "nan",
            "inf",
            "1e308",
            "1e999",
            "48.85",
            "91",
            "-181",
            "2.35",
            "<script>alert(1)</script>",
            '"',
            ";",
            "\u00a0",
            "é",
            "1900",
            "3000",
        ]
    ),
    st.text(max_size=12),
)


def _assert_zone_or_error(source: Path) -> None:
    try:
        zone = load_zone(source)
    except ZoneError as error:
        problems = error.problems
    else:
        problems = None
    if problems is not None:
        assert problems, "a ZoneError must carry at least one problem"
        assert all(p.message and p.file for p in problems)
        return
    assert isinstance(zone, Zone)
    assert zone.companies.crs.to_epsg() == 4326
    assert set(zone.flows["company_id"]) <= set(zone.companies["id"])
    assert (zone.flows["quantity"] > 0).all()


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _csv(rows: list[list[str]], separator: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator).writerows(rows)
    return buffer.getvalue()


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(["companies.csv", "flows.csv"]))
def test_any_bytes_in_a_csv_table(tmp_path: Path, data: bytes, name: str) -> None:
    files = {"companies.csv": VALID_COMPANIES.encode(), "flows.csv": VALID_FLOWS.encode()}
    files[name] = data
    _assert_zone_or_error(_write(tmp_path / "zone", files))


@FUZZ
@given(
    data=st.binary(max_size=1500),
    suffix=st.sampled_from([".gpkg", ".xlsx", ".zip", ".geojson", ".parquet", ".json"]),
)
def test_any_bytes_in_a_binary_format(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"companies{suffix}"
    path.write_bytes(data)
    _assert_zone_or_error(path)
    _assert_zone_or_error(_write(tmp_path / "zone", {f"companies{suffix}": data}))


@st.composite
def tables(draw: st.DrawFn, headers: list[str]) -> list[list[str]]:
    columns = draw(st.lists(st.sampled_from(headers), min_size=0, max_size=7))
    width = len(columns)
    rows = draw(
        st.lists(
            st.lists(CELL_VALUES, min_size=max(width - 1, 0), max_size=width + 1),
            max_size=6,
        )
    )
    return [columns, *rows]


@FUZZ
@given(
    companies=tables(COMPANY_HEADERS),
    flows=tables(FLOW_HEADERS),
    separator=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_any_table_shape_and_values(
    tmp_path: Path,
    companies: list[list[str]],
    flows: list[list[str]],
    separator: str,
    encoding: str,
) -> None:
    files = {
        "companies.csv": _csv(companies, separator).encode(encoding, errors="replace"),
        "flows.csv": _csv(flows, separator).encode(encoding, errors="replace"),
    }
    _assert_zone_or_error(_write(tmp_path / "zone", files))


@FUZZ
@given(
    flows=tables(FLOW_HEADERS),
    synergy_rows=st.lists(st.lists(CELL_VALUES, min_size=5, max_size=6), max_size=5),
)
def test_any_values_in_a_zip_of_tables(
    tmp_path: Path, flows: list[list[str]], synergy_rows: list[list[str]]
) -> None:
    synergies = [["from_id", "to_id", "resource", "quantity", "unit", "since"], *synergy_rows]
    archive = tmp_path / "zone.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("zone/companies.csv", VALID_COMPANIES)
        bundle.writestr("zone/flows.csv", _csv(flows, ";"))
        bundle.writestr("zone/synergies.csv", _csv(synergies, ","))
    _assert_zone_or_error(archive)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"id,name,lat,lon\n",
        b"\xff\xfe\x00\x00garbage",
        b"id;name;lat;lon\n" + b"a;b;1;2\n" * 3 + b'"unterminated',
    ],
)
def test_known_hostile_files(tmp_path: Path, content: bytes) -> None:
    files = {"companies.csv": content, "flows.csv": VALID_FLOWS.encode()}
    with pytest.raises(ZoneError):
        load_zone(_write(tmp_path / "zone", files))
