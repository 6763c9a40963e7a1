"""Quantities and units as inventories write them → the contract's t/yr, m3/yr or MWh/yr.

A quantity may hold its unit (« 80 t », « environ 200 000 t », « 1,2 Mt », « 3 500 m3/j »),
written the French way (thousands with spaces, decimal comma). Masses, volumes and energies of
any size per any period are converted with pint: the spellings are in
``data/quantity_spellings.csv``, the operating assumption of each period (hours per year…) in
``data/quantity_periods.csv``, and the only conversions across kinds (hydrogen in tonnes to
MWh, water in tonnes to m³…) in ``data/quantity_factors.csv``, each with its source. Whatever
is assumed makes the quantity an ``estimate`` and is said in its ``note``; what cannot be read
or converted is ``unknown``, never guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eit_geo.codes import family_of, normalise_code, unicode_bare
from eit_geo.datafiles import read_table
from eit_geo.formatting import factor_unit, format_exact, sources_in
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.written_numbers import parse_number, parse_numbers

if TYPE_CHECKING:
    import pint

__all__ = ["STATUSES", "Quantity", "has_period", "parse_quantities", "parse_quantity"]

STATUSES: tuple[str, ...] = ("published", "estimate", "unknown")
_TARGET = {"mass": ("tonne", "t/yr"), "volume": ("meter**3", "m3/yr"), "energy": ("MWh", "MWh/yr")}
_BLANKS = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
_NUMBER = re.compile(
    r"^(?P<number>[-+]?\d+(?:[.,]\d+)?[eE][-+]?\d+|[-+]?\d(?:[\d .,']*\d)?)\s*(?P<rest>.*)$",
    re.DOTALL,
)
_DIGITS = r"\d(?:[\d .,']*\d)?"  # a number with its blanks, dots, commas or apostrophes
_RANGE = re.compile(
    rf"^(?P<low>{_DIGITS})\s*(?:-|–|—|à|a|to)\s*(?P<high>{_DIGITS})\s*(?P<rest>.*)$"
)
_EMPTY_BRACKETS = re.compile(r"[(\[]\s*[)\]]")
_PER = re.compile(r"\s*(?:/|\bpar\b|\bper\b|\bp\.)\s*", re.IGNORECASE)
_INVERSE = re.compile(r"^(?P<dimension>.*?)[\s.·]+(?P<period>[^\s.·]+)\s*-\s*1$")


@dataclass(frozen=True)
class Quantity:
    """A quantity in a contract unit, with how sure it is.

    Attributes
    ----------
    value
        In ``t/yr``, ``m3/yr`` or ``MWh/yr``; None when unknown.
    unit
        ``t/yr``, ``m3/yr`` or ``MWh/yr``; None when unknown.
    status
        ``published`` (given as such), ``estimate`` (approximate, or converted under an
        assumption) or ``unknown``.
    note
        The assumptions made or why the quantity is unknown, in the language asked; None when
        the quantity was read as given.
    """

    value: float | None
    unit: str | None
    status: str
    note: str | None


@dataclass(frozen=True)
class _Conversion:
    """How a unit text turns a number into a contract quantity (None multiplier: it cannot)."""

    multiplier: float | None
    unit: str | None
    estimate: bool
    notes: tuple[str, ...]


# --------------------------------------------------------------------------- public


def parse_quantity(
    quantity: object,
    unit: object = None,
    *,
    resource: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> Quantity:
    """Read a quantity and its unit as an inventory writes them, in a contract unit.

    Parameters
    ----------
    quantity
        A number or a text: ``"80 t"``, ``"environ 200 000"``, ``"~500"``, ``"1,2 Mt"``,
        ``"3 500 m3/j"``; blank when unknown.
    unit
        The unit column, if any (``"t/an"``, ``"kg/j"``, ``"MWh"``, ``"m³/mois"``). A unit
        written in ``quantity`` wins over it, unless it only lacks the period the column gives.
    resource
        The resource code, when known: an energy resource needs an energy (a mass is converted
        only through a factor of ``data/quantity_factors.csv``), a water one a volume.
    lang
        Language of the note (``fr`` or ``en``).

    Returns
    -------
    Quantity
        Status ``unknown`` (value None) when blank, unreadable, without a unit or impossible to
        convert without a sourced factor; ``estimate`` when an assumption was made.
    """
    return _parse(_cell(quantity), _cell(unit), resource or "", lang)


def parse_quantities(
    frame: pd.DataFrame,
    *,
    quantity: str = "quantity",
    unit: str = "unit",
    resource: str | None = "resource",
    lang: str = DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """Read a table's quantities and units at once (as `parse_quantity`, row by row).

    Plain numbers are read in one vectorised pass; each distinct unit (with its resource) and
    each distinct quantity text holding words is worked out once.

    Parameters
    ----------
    frame
        The rows; ``resource`` may be None or a missing column (no family check).
    quantity, unit, resource
        Column names.
    lang
        Language of the notes.

    Returns
    -------
    pandas.DataFrame
        ``value``, ``unit``, ``status``, ``note``, on ``frame``'s index.
    """
    index = frame.index
    raw = frame[quantity] if quantity in frame else pd.Series(None, index=index, dtype=object)
    units = _column_text(frame, unit)
    resources = (
        _column_text(frame, resource)
        if resource is not None and resource in frame
        else pd.Series("", index=index)
    )
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        numbers = raw.astype(float)
    else:
        given = raw.notna()
        numbers = parse_numbers(raw.where(given, "").astype(str)).where(given)
    plain = numbers.notna().to_numpy()
    value = pd.Series(math.nan, index=index)
    found_unit = pd.Series(None, index=index, dtype=object)
    status = pd.Series("unknown", index=index, dtype=object)
    note = pd.Series(None, index=index, dtype=object)
    if plain.any():
        keys = pd.MultiIndex.from_arrays([units[plain], resources[plain]])
        distinct = keys.unique()
        found = [_conversion(u, r, lang) for u, r in distinct]
        position = distinct.get_indexer(keys)
        multiplier = pd.array([c.multiplier for c in found], dtype=float).to_numpy(
            na_value=math.nan
        )[position]
        values = numbers[plain].to_numpy() * multiplier
        good = pd.notna(values) & (values > 0) & (values < math.inf)
        rows = index[plain]
        value.loc[rows[good]] = values[good]
        found_unit.loc[rows] = pd.Series([c.unit for c in found]).to_numpy()[position]
        estimate = pd.Series([c.estimate for c in found]).to_numpy()[position]
        status.loc[rows] = (
            pd.Series(estimate).map({True: "estimate", False: "published"}).to_numpy()
        )
        texts = pd.Series(["; ".join(c.notes) or None for c in found], dtype=object)
        note.loc[rows] = texts.to_numpy()[position]
        known = pd.Series([c.multiplier is not None for c in found]).to_numpy()[position]
        bad = rows[known & ~good]
        for row in bad:  # zero or negative numbers: rare, said row by row
            note.at[row] = t("quantities.not_positive", lang, text=_cell(raw.at[row]))
        status.loc[rows[~good]] = "unknown"
        found_unit.loc[rows[~good]] = None
    rest = index[~plain]
    if len(rest):
        texts = raw.loc[rest].map(_cell)
        written = list(zip(texts, units.loc[rest], resources.loc[rest], strict=True))
        parsed = {key: _parse(*key, lang) for key in set(written)}
        value.loc[rest] = np.array([_or_nan(parsed[key].value) for key in written])
        found_unit.loc[rest] = [parsed[key].unit for key in written]
        status.loc[rest] = np.array([parsed[key].status for key in written], dtype=object)
        note.loc[rest] = [parsed[key].note for key in written]
    return pd.DataFrame(
        {"value": value.astype(float), "unit": found_unit, "status": status, "note": note}
    )


# --------------------------------------------------------------------------- reading


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return repr(float(value))
    return _BLANKS.sub(" ", str(value)).strip()


def _column_text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as stripped text, each distinct value cleaned once."""
    if column not in frame:
        return pd.Series("", index=frame.index)
    values = frame[column].astype(object)
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    cleaned = pd.Series([_cell(v) for v in distinct] + [""], dtype=object)
    return pd.Series(cleaned.to_numpy()[codes], index=frame.index, dtype=object)


def _bare(text: str) -> str:
    return _flat(text).strip()


@cache
def _spellings(kind: str) -> dict[str, str]:
    table = read_table("quantity_spellings.csv")
    rows = table[table["kind"] == kind]
    return dict(zip(rows["spelling"], rows["meaning"], strict=True))


@cache
def _bare_spellings(kind: str) -> dict[str, str]:
    return {_bare(spelling): meaning for spelling, meaning in _spellings(kind).items()}


@cache
def _approximate_words() -> tuple[str, ...]:
    """Approximation markers, longest first, as bare text."""
    return tuple(sorted({_bare(w) for w in _spellings("approximate")}, key=len, reverse=True))


@lru_cache(maxsize=131072)
def _parse(text: str, unit: str, resource: str, lang: str) -> Quantity:
    if not text:
        return _unknown("quantities.blank", lang)
    bare = _bare(text).strip(" .")
    if bare in _bare_spellings("unknown"):
        return _unknown("quantities.not_known", lang, text=text)
    number_text, approximate = _strip_approximation(text)
    notes: list[str] = []
    estimate = bool(approximate)
    if approximate:
        notes.append(t("quantities.approximate", lang, text=text))
    ranged = _RANGE.match(number_text)
    if ranged:
        low, high = _number(ranged["low"]), _number(ranged["high"])
        if low is None or high is None:
            return _unknown("quantities.not_number", lang, text=text)
        number, rest = (low + high) / 2, ranged["rest"]
        estimate = True
        notes.append(t("quantities.range", lang, low=ranged["low"], high=ranged["high"]))
    else:
        found = _NUMBER.match(number_text)
        read = _number(found["number"]) if found else None
        if found is None or read is None:
            return _unknown("quantities.not_number", lang, text=text)
        number = read
        rest = found["rest"]
    if number <= 0:
        return _unknown("quantities.not_positive", lang, text=text)
    written = rest.strip().removeprefix("(").removesuffix(")").strip()  # « 80 (t/an) »
    conversion = _choose_unit(written, unit, resource, lang, number_text=number_text)
    value = number * (conversion.multiplier or math.nan)
    return _finish(value, conversion, tuple(notes), lang, estimate=estimate)


def _strip_approximation(text: str) -> tuple[str, bool]:
    """Remove the approximation words of a quantity (« environ », « ~ », « > »…).

    The rest keeps its spelling: the case of a unit matters (``Mt``, ``MT``).
    """
    flat = _flat(text)
    same = len(flat) == len(text)
    spans: list[tuple[int, int]] = []
    for word in _approximate_words():
        pattern = re.escape(word)
        if word[0].isalnum():
            pattern = rf"(?<!\w){pattern}(?!\w)"
        for found in re.finditer(pattern, flat):
            spans.append(found.span())
            flat = flat[: found.start()] + " " * len(word) + flat[found.end() :]
    if not spans:
        return text, False
    kept = list(text if same else flat)
    for start, end in spans:
        kept[start:end] = " " * (end - start)
    rest = _EMPTY_BRACKETS.sub(" ", "".join(kept))  # « 300 MWh (estimation) »
    return _BLANKS.sub(" ", rest).strip(), True


def _flat(text: str) -> str:
    """Lower case without accents, one character for one where the text allows it."""
    return unicode_bare(text.lower())


def _number(text: str) -> float | None:
    value = parse_number(text)
    return None if math.isnan(value) else value


def _choose_unit(
    written: str, column: str, resource: str, lang: str, *, number_text: str
) -> _Conversion:
    """Pick the unit written in the quantity or the unit column and work out its conversion."""
    if not written and not column:
        return _Conversion(None, None, False, (t("quantities.no_unit", lang, text=number_text),))
    if not written:
        return _conversion(column, resource, lang)
    mine = _conversion(written, resource, lang)
    if not column:
        return mine
    theirs = _conversion(column, resource, lang)
    if _split(written)[1] == "" and _split(column)[1] != "" and mine.unit == theirs.unit:
        return theirs  # « 80 t » in a « t/an » column
    if theirs.unit is not None and mine.unit != theirs.unit:
        note = t("quantities.conflict", lang, written=written, column=column)
        return _Conversion(mine.multiplier, mine.unit, mine.estimate, (*mine.notes, note))
    return mine


def _finish(
    value: float,
    conversion: _Conversion,
    approximate: tuple[str, ...],
    lang: str,
    *,
    estimate: bool = False,
) -> Quantity:
    notes = (*approximate, *conversion.notes)
    note = "; ".join(notes) or None
    if conversion.multiplier is None or conversion.unit is None:
        return Quantity(None, None, "unknown", note)
    if not math.isfinite(value) or value <= 0:
        return _unknown("quantities.not_positive", lang, text=f"{value:g}")
    status = "estimate" if estimate or conversion.estimate else "published"
    return Quantity(float(f"{value:.12g}"), conversion.unit, status, note)


def _unknown(key: str, lang: str, **values: object) -> Quantity:
    return Quantity(None, None, "unknown", t(key, lang, **values))


# --------------------------------------------------------------------------- units


def has_period(unit: str) -> bool:
    """Tell whether a unit text says its period (``t/an``, ``tpa``, ``MWh par mois``)."""
    return bool(_split(unit)[1]) or _bare(unit) in _bare_spellings("whole")


def _split(unit: str) -> tuple[str, str]:
    """Split a unit into its dimension and its period: ``t/an`` → ``("t", "an")``."""
    whole = _bare_spellings("whole").get(_bare(unit))
    if whole is not None:
        unit = whole
    parts = _PER.split(unit, maxsplit=1)
    if len(parts) == 2:  # noqa: PLR2004
        return parts[0].strip(), parts[1].strip(" .")
    inverse = _INVERSE.match(unit)
    if inverse and _bare(inverse["period"]) in _bare_spellings("period"):
        return inverse["dimension"].strip(), inverse["period"]
    return unit.strip(), ""


@lru_cache(maxsize=4096)
def _conversion(unit: str, resource: str, lang: str) -> _Conversion:
    """Work out how a unit text (with the resource's family) converts to a contract unit."""
    if not unit:
        return _Conversion(None, None, False, (t("quantities.no_unit", lang, text=""),))
    dimension_text, period_text = _split(unit)
    dimension_text, dry = _without_dry_matter(dimension_text)
    quantity = _pint_quantity(dimension_text)
    period = _bare_spellings("period").get(_bare(period_text)) if period_text else None
    if quantity is None or (period_text and period is None):
        return _Conversion(None, None, False, (t("quantities.unknown_unit", lang, unit=unit),))
    kind = _kind(quantity)
    if kind is None:
        return _Conversion(None, None, False, (t("quantities.unknown_unit", lang, unit=unit),))
    if dry and kind != "mass":
        return _Conversion(None, None, False, (t("quantities.unknown_unit", lang, unit=unit),))
    notes: list[str] = [t("quantities.dry_matter", lang, unit=unit)] if dry else []
    estimate = dry
    if kind == "power":
        if period is not None:
            return _Conversion(None, None, False, (t("quantities.unknown_unit", lang, unit=unit),))
        hours, assumption = _period("hour", lang)
        multiplier = float(quantity.to("MW").magnitude) * hours
        shown = format_exact(hours, lang)
        notes.append(
            t("quantities.power", lang, unit=dimension_text, hours=shown, assumption=assumption)
        )
        kind, estimate = "energy", True
    else:
        multiplier = float(quantity.to(_TARGET[kind][0]).magnitude)
        if period is None:
            notes.append(t("quantities.no_period", lang, unit=unit))
            estimate = True
        elif period != "year":
            per_year, assumption = _period(period, lang)
            multiplier *= per_year
            name = t(f"quantities.period_{period}", lang)
            shown = format_exact(per_year, lang)
            notes.append(
                t("quantities.period", lang, period=name, factor=shown, assumption=assumption)
            )
            estimate = True
    conversion = _Conversion(multiplier, _TARGET[kind][1], estimate, tuple(notes))
    return _for_family(conversion, kind, unit, resource, lang)


def _without_dry_matter(text: str) -> tuple[str, bool]:
    """Take the dry-matter mark off a mass unit: ``t MS`` → ``("t", True)``.

    Sludge and digestate are often counted in tonnes of dry matter (« t MS », « tMS »); the
    spellings are the ``dry`` rows of ``data/quantity_spellings.csv``, each with what is left.
    """
    bare = f" {_bare(text)} "
    for spelling, rest in _dry_spellings():
        if f" {spelling} " in bare:
            return " ".join(bare.replace(f" {spelling} ", f" {rest} ").split()), True
    return text, False


@cache
def _dry_spellings() -> tuple[tuple[str, str], ...]:
    """Return the dry-matter spellings as bare text with what replaces them, longest first."""
    rows = {_bare(spelling): _bare(rest) for spelling, rest in _spellings("dry").items()}
    return tuple(sorted(rows.items(), key=lambda row: len(row[0]), reverse=True))


def _for_family(
    conversion: _Conversion, kind: str, unit: str, resource: str, lang: str
) -> _Conversion:
    """Convert across kinds when the resource's family needs it, only by a sourced factor."""
    code = normalise_code(resource) if resource else None
    if code is None or conversion.multiplier is None:
        return conversion
    family = family_of(code)
    needed = {"energy": "energy", "water": "volume"}.get(family)
    if needed is None or needed == kind:
        return conversion
    row = _factor(code, family, kind)
    if row is None:
        name = t(f"families.{family}", lang)
        note = t("quantities.no_factor", lang, unit=unit, resource=code, family=name)
        return _Conversion(None, None, False, (*conversion.notes, note))
    note = t(
        "quantities.factor",
        lang,
        description=row[f"description_{lang}" if lang == "en" else "description_fr"],
        value=format_exact(row["factor"], lang),
        factor_unit=factor_unit(str(row["factor_unit"]), lang),
        source=sources_in(row.to_frame().T, lang).iloc[0],
    )
    return _Conversion(
        conversion.multiplier * float(row["factor"]),
        row["to_unit"],
        True,
        (*conversion.notes, note),
    )


def _factor(code: str, family: str, kind: str) -> pd.Series | None:
    table = read_table("quantity_factors.csv")
    for key in (code, family):
        rows = table[(table["applies_to"] == key) & (table["from_dimension"] == kind)]
        if not rows.empty:
            return rows.iloc[0]
    return None


def _period(period: str, lang: str) -> tuple[float, str]:
    table = read_table("quantity_periods.csv").set_index("period")
    column = "assumption_en" if lang == "en" else "assumption_fr"
    return float(str(table.at[period, "per_year"])), str(table.at[period, column])  # text table


@cache
def _registry() -> pint.UnitRegistry:
    import pint  # noqa: PLC0415 - pint takes ~1 s to load: only when a unit is read

    return pint.UnitRegistry()


def _pint_quantity(text: str) -> pint.Quantity | None:
    """Return ``1 <unit>`` as a pint quantity, or None when the unit is not known."""
    if not text:
        return None
    expression = _spellings("unit").get(text) or _bare_spellings("unit").get(_bare(text))
    if expression is None:
        words = [w for w in _bare(text).split() if w not in _bare_spellings("qualifier")]
        if words and len(words) < len(_bare(text).split()):
            expression = _bare_spellings("unit").get(" ".join(words))
    registry = _registry()
    try:
        return registry.Quantity(1, expression or text)
    except Exception:  # pint raises many kinds of errors on an unknown unit
        return None


def _kind(quantity: pint.Quantity) -> str | None:
    registry = _registry()
    for kind, unit in (("mass", "kg"), ("volume", "m**3"), ("energy", "J"), ("power", "W")):
        if quantity.dimensionality == registry.Quantity(1, unit).dimensionality:
            return kind
    return None
