"""Scores: the settings of ``data/scoring.csv`` and the score of offer-need pairs.

The formula is described in the package docstring (`eit_geo.matching`).
"""

from __future__ import annotations

import math

import numpy as np

from eit_geo.datafiles import read_values

__all__ = [
    "CONVERSION_FACTOR",
    "FIT_EXPONENT",
    "GROUP_BUFFER_M",
    "MATCH_QUALITY",
    "MUTUALISATION_KM",
    "PROXIMITY_AT_MAX",
    "UNLIMITED_SCALE_KM",
]

_SCORING = read_values("scoring.csv")  # documented in data/README.md
FIT_EXPONENT = _SCORING["fit_exponent"]
MATCH_QUALITY: dict[str, float] = {
    key.removeprefix("quality_"): value
    for key, value in _SCORING.items()
    if key.startswith("quality_")
}
CONVERSION_FACTOR = _SCORING["conversion_factor"]
UNLIMITED_SCALE_KM = _SCORING["unlimited_scale_km"]
PROXIMITY_AT_MAX = _SCORING["proximity_at_max"]
if not 0.0 < PROXIMITY_AT_MAX <= 1.0:  # a setting of data/scoring.csv
    msg = f"proximity_at_max = {PROXIMITY_AT_MAX}: expected a number in ]0, 1]"
    raise ValueError(msg)
_DECAY = -math.log(PROXIMITY_AT_MAX)  # proximity = exp(-_DECAY × d / max_km)
MUTUALISATION_KM = _SCORING["mutualisation_km"]
GROUP_BUFFER_M = _SCORING["group_buffer_m"]


def _proximity(distance_m: np.ndarray, radius_m: float) -> np.ndarray:
    """Return ``PROXIMITY_AT_MAX ** (d / max)``, 0 beyond (no limit: ``1 / (1 + d / …)``)."""
    if math.isinf(radius_m):
        return 1.0 / (1.0 + distance_m / (UNLIMITED_SCALE_KM * 1000.0))
    near = np.exp(-_DECAY * (distance_m / radius_m))
    return np.where(distance_m <= radius_m * (1 + 1e-9), near, 0.0)


def _score(distance_m: np.ndarray, q_a: np.ndarray, q_b: np.ndarray, radius_m: float) -> np.ndarray:
    """Return the score of pairs for quality 1 (module docstring); an unknown quantity fits."""
    fit = np.minimum(q_a, q_b) / np.maximum(q_a, q_b)
    return _proximity(distance_m, radius_m) * np.where(np.isnan(fit), 1.0, fit**FIT_EXPONENT)
