"""Maximum exchange distances: ``--max-km`` values and the one order in which settings apply."""

from __future__ import annotations

import math
from collections.abc import Mapping

from eit_geo.codes import (
    FAMILIES,
    default_max_km,
    ewc_parents,
    family_of,
    fold_text,
    normalise_code,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.matching.scores import MUTUALISATION_KM

__all__ = ["ALL_RESOURCES", "MaxKm", "parse_max_km", "resolve_max_km"]

MaxKm = float | Mapping[str, float] | None
ALL_RESOURCES = "*"


def parse_max_km(values: list[str], *, lang: str = DEFAULT_LANGUAGE) -> dict[str, float]:
    """Parse ``--max-km`` values: ``KM`` for every resource, or ``CODE_OR_FAMILY=KM``.

    Parameters
    ----------
    values
        Strings such as ``"50"``, ``"material=300"``, ``"steam=5"``, ``"10 01=80"``; ``inf``
        means no limit. Later values win.
    lang
        Language of the error message.

    Returns
    -------
    dict
        ``{key: km}`` with canonical codes or family names, ``"*"`` for a bare number.

    Raises
    ------
    ValueError
        Naming every value that is not understood.
    """
    parsed: dict[str, float] = {}
    errors: list[str] = []
    for value in values:
        key, equals, number = value.rpartition("=")
        km = _positive_km(number)
        name = _max_km_key(key) if equals else ALL_RESOURCES
        if km is None:
            errors.append(t("engine.bad_km", lang, value=value))
        elif name is None:
            errors.append(t("engine.bad_key", lang, value=value, families=", ".join(FAMILIES)))
        else:
            parsed[name] = km
    if errors:
        raise ValueError("\n".join(errors))
    return parsed


def _positive_km(text: str) -> float | None:
    try:
        km = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return km if km > 0 and not math.isnan(km) else None


def _max_km_key(key: str) -> str | None:
    if key.strip() == ALL_RESOURCES:
        return ALL_RESOURCES
    folded = fold_text(key)
    if folded in FAMILIES:
        return folded
    return normalise_code(key)


def _overrides(max_km: MaxKm) -> dict[str, float]:
    if max_km is None:
        return {}
    if isinstance(max_km, int | float):
        return {ALL_RESOURCES: float(max_km)}
    return parse_max_km([f"{key}={km}" for key, km in max_km.items()])


def resolve_max_km(code: str, max_km: MaxKm = None) -> float | None:
    """Return the maximum exchange distance of an output code in km (None: no limit).

    The most specific setting wins: the code, its EWC sub-chapter, its chapter, its family, a
    value for every resource (``"*"``), then the defaults of ``data/resources.csv`` and
    ``data/families.csv`` (``codes.default_max_km``). An infinite value means no limit.
    """
    overrides = _overrides(max_km)
    return _resolve(code, overrides)


def _resolve(code: str, overrides: Mapping[str, float]) -> float | None:
    """Return the substitution distance of ``code`` in km (`resolve_max_km`), None: no limit."""
    km = _overridden(code, overrides)
    if km is None:
        return default_max_km(code)
    return None if math.isinf(km) else km


def _link_km(code: str, overrides: Mapping[str, float]) -> float:
    """Return the distance between neighbours of a mutualisation group of ``code``, in km.

    A setting for the code wins (in the order of `resolve_max_km`); else `MUTUALISATION_KM`, or
    less when the resource travels less far.
    """
    km = _overridden(code, overrides)
    if km is not None:
        return km
    limit = default_max_km(code)
    return MUTUALISATION_KM if limit is None else min(MUTUALISATION_KM, limit)


def _overridden(code: str, overrides: Mapping[str, float]) -> float | None:
    """Return the most specific setting of ``overrides`` for ``code``, None when none applies.

    The one order of precedence: the code, its EWC sub-chapter, its chapter, its family, then
    a value for every resource (``"*"``).
    """
    for key in (code, *ewc_parents(code), family_of(code), ALL_RESOURCES):
        if key in overrides:
            return overrides[key]
    return None
