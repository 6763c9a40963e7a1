"""Hostile text in the data stays text in every HTML the package builds (maps, report)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import pytest

from eit_geo import load_zone, store
from eit_geo.maps import build_map
from eit_geo.matching import find_mutualisations, find_substitutions
from eit_geo.report import build_report
from eit_geo.workshop import build_board, highlight_layer

if TYPE_CHECKING:
    from eit_geo.zone import Zone

HOSTILE = Path(__file__).parent / "data" / "zones" / "hostile"
RAW_MARKUP = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "<svg onload=alert(4)>",
    "<img src=y onerror=alert(11)>",
]


@pytest.fixture(scope="module")
def zone() -> Zone:
    return load_zone(HOSTILE)


def _assert_inert(document: str) -> None:
    for markup in RAW_MARKUP:
        assert markup not in document, markup
    assert "49 &amp;" not in document, "a {{ }} name was evaluated"
    assert "49 &" not in document, "a {{ }} name was evaluated"
    plain = re.sub(r"\b\d{1,2}:\d{2}\b", "", document.replace("4200", ""))  # not a time (19:42)
    assert not re.search(r"\b42\b", plain), "a {{ }} label was evaluated"


def test_map_keeps_hostile_names_as_text(zone: Zone) -> None:
    links = find_substitutions(zone, top_k=0)
    groups = find_mutualisations(zone)
    document = build_map(zone, zone.companies, links, groups).get_root().render()
    _assert_inert(document)
    assert "{{ 7*7 }}" not in document
    assert "\\u0026#123;\\u0026#123; 7*7" in document  # escaped, inside the layer's JSON


def test_highlight_label_is_escaped() -> None:
    fmap = folium.Map()
    link = {"from_lat": 48.85, "from_lon": 2.35, "to_lat": 48.86, "to_lon": 2.36}
    highlight_layer(link, label="zz{{ 7*7 }}zz <img src=x onerror=alert(1)>").add_to(fmap)
    document = fmap.get_root().render()
    assert "zz49zz" not in document
    assert "zz&#123;&#123; 7*7 &#125;&#125;zz" in document
    assert "<img src=x onerror=alert(1)>" not in document


def test_report_keeps_hostile_names_as_text(zone: Zone, tmp_path: Path) -> None:
    engine = store.open_store(f"sqlite:///{tmp_path / 'decisions.sqlite'}")
    key = store.zone_key(zone)
    candidates = find_substitutions(zone, top_k=0)
    chosen = str(candidates["candidate_id"].iloc[0])
    store.record_decision(
        engine,
        key,
        chosen,
        {"status": "retained", "comment": "<img src=x onerror=alert(1)> {{ 6*7 }}"},
        participant='"><script>alert(2)</script>',
    )
    board = build_board(candidates, store.get_decisions(engine, key), store.get_votes(engine, key))
    document = build_report(zone, board)
    _assert_inert(document)
    assert "&lt;img src=x onerror=alert(1)&gt;" in document
