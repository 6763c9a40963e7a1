"""The Kalundborg example as it runs today: a stopped exchange takes its offer with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from eit_geo import indicators, network_years
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from eit_geo.zone import Zone

ASH = ("asnaes", "output", "10 01 02")


@pytest.fixture(scope="module")
def kalundborg() -> Zone:
    return load_zone(example_path("kalundborg"))


def _is_ash(zone: Zone) -> list[bool]:
    flows = zone.flows
    keys = zip(flows["company_id"], flows["direction"], flows["resource"], strict=True)
    return [key == ASH for key in keys]


def test_every_stopped_exchange_ends_its_offer_the_same_year(kalundborg: Zone) -> None:
    """A supplier whose only exchange of a resource stopped no longer offers it."""
    flows = kalundborg.flows
    stopped = kalundborg.synergies.dropna(subset=["until"])
    assert len(stopped) == 1  # the coal fly ash to Aalborg Portland, until 2019
    for synergy in stopped.itertuples():
        offer = flows[
            (flows["company_id"] == synergy.from_id)
            & (flows["direction"] == "output")
            & (flows["resource"] == synergy.resource)
        ]
        assert offer["closed"].tolist() == [synergy.until]


def test_the_coal_fly_ash_is_offered_until_2019_only(kalundborg: Zone) -> None:
    assert sum(_is_ash(network_years.network_at(kalundborg, 2018))) == 1
    assert sum(_is_ash(network_years.network_at(kalundborg, 2019))) == 0
    now = network_years.running_now(kalundborg)
    assert len(now.flows) == len(kalundborg.flows) - 1
    assert not any(_is_ash(now))
    # with no distance limit, today's leads hold no fly ash from Asnæs to anyone
    leads = find_substitutions(now, max_km=10_000, top_k=0)
    ash = (leads["from_id"] == "asnaes") & (leads["resource"] == "10 01 02")
    assert not ash.any()


def test_the_readme_figures_of_today_stay(kalundborg: Zone) -> None:
    """README: ≈ 145,000 t CO2 avoided and 451,000 t diverted by the 19 synergies running."""
    totals = indicators.existing_scenario(kalundborg).totals
    assert round(totals["co2_avoided_t"], -3) == 145_000
    assert totals["tonnes_diverted"] == 451_000
