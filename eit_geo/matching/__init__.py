"""Find synergies: substitutions between an offer and a need, and mutualisation groups.

Substitution score (0 to 1), for an offer of quantity ``o`` and a need of quantity ``n`` at
``d`` km, the resource allowing ``max_km``::

    score = quality × proximity × fit ** FIT_EXPONENT
    proximity = PROXIMITY_AT_MAX ** (d / max_km)   (no limit: 1 / (1 + d / UNLIMITED_SCALE_KM))
    fit       = min(o, n) / max(o, n)      (1 when the offer covers the need exactly, or when
                                            either quantity is unknown: neutral)
    quality   = MATCH_QUALITY[match]       (× CONVERSION_FACTOR when a conversion step is needed)

A link scores 1 between neighbours of equal size with the same code, 0.71 at half the maximum
distance, half as much at the maximum distance (``PROXIMITY_AT_MAX`` = 0.5) or when one side is
four times the other (``FIT_EXPONENT`` = 0.5); beyond the maximum distance there is no link.
These settings are rows of ``data/scoring.csv``.

Candidates work on what is left: each existing synergy takes its declared quantity from its
offer and its need first; ``o`` and ``n`` are what remains (`_Used`), a flow with nothing left
is not matched, and a candidate's quantity is ``min(o, n)``. A flow without a resource code
(« à coder ») is not matched; one of a company without a position is not matched by distance.

Candidates are searched per group of rules sharing an input code, a unit, a distance and a
quality, with KD-trees: for each offer its best ``top_k`` needs, for each need its best ``top_k``
offers. The nearest neighbours are sought in a space where distance follows the score,
``(x / scale, y / scale, FIT_EXPONENT × ln quantity)`` with ``scale = max_km / ln(1 /
PROXIMITY_AT_MAX)``, where a partner ``rho`` away scores at most ``e^-rho``; the search widens
for a flow only while a partner not yet seen could still score better (up to the
``48 × top_k`` nearest: beyond, the best of those), so the ranking is exact in practice and its
cost grows with the candidates kept, not with the square of the companies. Partners within
reach are only counted (``more_for_offer``, ``more_for_need``).

`match_zone` ranks the substitutions and finds the mutualisation groups in one pass (what
``eit-geo match --out`` writes): the groups' neighbour graphs are pieces of work among the
search's, on the same KD-trees, and their table is made on the core the ranking leaves free.
"""

from eit_geo.matching.distances import MaxKm, parse_max_km, resolve_max_km
from eit_geo.matching.mutualisation import MUTUALISATION_COLUMNS, find_mutualisations
from eit_geo.matching.points import DEGREE_DIGITS
from eit_geo.matching.ranking import find_substitutions, match_zone, rank_links, rank_substitutions
from eit_geo.matching.rules import UnitMismatchWarning, substitution_table_frame
from eit_geo.matching.scores import (
    CONVERSION_FACTOR,
    FIT_EXPONENT,
    MATCH_QUALITY,
    MUTUALISATION_KM,
    PROXIMITY_AT_MAX,
    UNLIMITED_SCALE_KM,
)
from eit_geo.matching.tables import SUBSTITUTION_COLUMNS, RankedLinks, links_frame

__all__ = [
    "CONVERSION_FACTOR",
    "DEGREE_DIGITS",
    "FIT_EXPONENT",
    "MATCH_QUALITY",
    "MUTUALISATION_COLUMNS",
    "MUTUALISATION_KM",
    "PROXIMITY_AT_MAX",
    "SUBSTITUTION_COLUMNS",
    "UNLIMITED_SCALE_KM",
    "MaxKm",
    "RankedLinks",
    "UnitMismatchWarning",
    "find_mutualisations",
    "find_substitutions",
    "links_frame",
    "match_zone",
    "parse_max_km",
    "rank_links",
    "rank_substitutions",
    "resolve_max_km",
    "substitution_table_frame",
]
