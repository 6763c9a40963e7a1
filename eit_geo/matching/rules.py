"""Match rules: which output codes meet which input codes, with what quality and distance."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eit_geo.codes import ewc_parents, family_of, substitution_table
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.matching.distances import _resolve
from eit_geo.matching.scores import CONVERSION_FACTOR, MATCH_QUALITY

if TYPE_CHECKING:
    from types import FrameType

    from eit_geo.matching.points import _Points

__all__ = ["UnitMismatchWarning", "substitution_table_frame"]


def substitution_table_frame() -> pd.DataFrame:
    """Return the substitution table as ``output``, ``input``, ``conversion`` (no duplicates)."""
    table = substitution_table()
    conversion = table["conversion"].fillna("") if "conversion" in table else ""
    frame = pd.DataFrame(
        {"output": table["output"], "input": table["input"], "conversion": conversion}
    )
    return frame.drop_duplicates(["output", "input"]).reset_index(drop=True)


def _rules(output_codes: list[str], input_codes: set[str]) -> pd.DataFrame:
    """Return every (output code, input code) pair the contract allows, with match and quality."""
    substitutes = substitution_table_frame()
    by_output = substitutes.groupby("output")
    rows: list[tuple[str, str, str, str, float]] = []
    for code in output_codes:
        if code in input_codes:
            rows.append((code, code, "same_code", "", MATCH_QUALITY["same_code"]))
        sub, chapter = ewc_parents(code) or (None, None)
        if sub in input_codes:
            rows.append((code, sub, "ewc_chapter", "", MATCH_QUALITY["ewc_subchapter"]))
        if chapter in input_codes:
            rows.append((code, chapter, "ewc_chapter", "", MATCH_QUALITY["ewc_chapter"]))
        if code in by_output.groups:
            for target, conversion in by_output.get_group(code)[["input", "conversion"]].to_numpy():
                if target in input_codes and target != code:
                    quality = MATCH_QUALITY["substitution"]
                    quality *= CONVERSION_FACTOR if conversion else 1.0
                    rows.append((code, target, "substitution", conversion, quality))
    columns = ["resource", "input_resource", "match", "conversion", "quality"]
    return pd.DataFrame(rows, columns=columns).drop_duplicates(["resource", "input_resource"])


# --------------------------------------------------------------------------- prepared zone


def _rules_table(
    sides: tuple[dict[tuple[str, str], _Points], dict[tuple[str, str], _Points]],
    overrides: Mapping[str, float],
) -> pd.DataFrame:
    """Return the rules between the codes given and taken, with ``max_km`` and ``family``."""
    offers, needs = sides
    rules = _rules(sorted({code for code, _ in offers}), {code for code, _ in needs})
    km = [_resolve(code, overrides) for code in rules["resource"]]
    return rules.assign(
        max_km=[np.nan if v is None else v for v in km], family=rules["resource"].map(family_of)
    ).reset_index(drop=True)


def _units_by_code(side: dict[tuple[str, str], _Points]) -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for code, unit in side:
        units.setdefault(code, set()).add(unit)
    return units


def _unit_mismatches(
    rules: pd.DataFrame,
    sides: tuple[dict[tuple[str, str], _Points], dict[tuple[str, str], _Points]],
) -> int:
    """Count the rules whose codes are given and taken, but never in the same unit."""
    units_out, units_in = (_units_by_code(side) for side in sides)
    return sum(
        not units_out[given] & units_in[taken]
        for given, taken in zip(rules["resource"], rules["input_resource"], strict=True)
    )


class UnitMismatchWarning(UserWarning):
    """Codes that match, given and taken in different units: those pairs are not matched."""

    def __init__(self, count: int, lang: str = DEFAULT_LANGUAGE) -> None:
        super().__init__(t("engine.unit_mismatch", lang, count=count))
        self.count = count


def _warn_caller(message: Warning) -> None:
    """Warn, pointing at the first caller outside this package (whichever entry point it used)."""
    package = __name__.rpartition(".")[0]
    frame: FrameType | None = sys._getframe(0)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(package + "."):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, stacklevel=level)
