"""How numbers, quantities, units and dates read in the user's language (babel, CLDR data).

French writes a decimal comma and a narrow no-break space between thousands (« 1 500,5 »,
« 2,6 km »); English « 1,500.5 » (``en_GB``: day before month, 24-hour clock). Counts are
whole numbers; a figure that rounds to zero is written « 0 », never « -0 » or « −0,000 »;
estimates read « ≈ ». Dates are shown in local time: the ``EIT_GEO_TIMEZONE`` setting
(an IANA name, ``Europe/Paris`` by default, `eit_geo.settings`), never in UTC.

Every page, table, chart, report, export and command line of eit-geo formats through this
module, so that one figure reads the same everywhere.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from typing import SupportsFloat
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.settings import DEFAULT_TIMEZONE, TIMEZONE_ENV, timezone_setting

__all__ = [
    "ESTIMATE",
    "LOCALES",
    "MISSING",
    "PAD",
    "aligned_numbers",
    "colon",
    "factor_unit",
    "format_amount",
    "format_count",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_exact",
    "format_figure",
    "format_headline",
    "format_km",
    "format_quantity",
    "format_score",
    "format_signed",
    "format_time",
    "format_year",
    "is_missing",
    "local_time",
    "locale_of",
    "plotly_separators",
    "source_text",
    "sources_in",
    "timezone",
    "unit_label",
]

LOCALES: dict[str, str] = {"fr": "fr_FR", "en": "en_GB"}
MISSING = "—"  # a value nobody gave
ESTIMATE = "≈"
PAD = " "  # pads numbers on the left: sorts before any digit, by code point and by collation

_WHOLE = 10  # figures from 10 up are shown without decimals
_SMALL_DECIMALS = 3  # below 1, three decimals (« 0,239 »)
_SIGNIFICANT = 3  # an estimate keeps three significant digits (« ≈ 12 300 »)
_SMALL_KM = 10.0  # one decimal below 10 km (« 2,6 km »), none above (« 168 km »)
_SCORE_DECIMALS = 2
_MILLION = 1_000_000  # a headline figure is shortened from a million up (« 2,7 M »)
# British English shortens to « 2.7m », read as metres next to « m³/yr »: « 2.7M » as CLDR's root
_COMPACT_LOCALES = {"en": "en"}


def locale_of(lang: str) -> str:
    """Return the babel locale of an interface language (``fr`` → ``fr_FR``, ``en`` → ``en_GB``)."""
    return LOCALES.get(lang, LOCALES[DEFAULT_LANGUAGE])


def is_missing(value: object) -> bool:
    """Tell whether a value is absent: None, NaN, NA or NaT (text is never missing)."""
    if value is None or isinstance(value, str):
        return value is None
    try:
        # pandas-stubs type isna's scalar form with pandas' scalars only; it takes any object
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _number(value: object) -> float | None:
    """Return a value as a float, None when it is missing (`is_missing`).

    Raises
    ------
    TypeError
        For a value that is neither missing, a number nor text (as ``float`` would).
    """
    if is_missing(value):
        return None
    if not isinstance(value, str | SupportsFloat):
        msg = f"not a number: {value!r}"
        raise TypeError(msg)
    return float(value)


def _pattern(decimals: int, *, signed: bool = False) -> str:
    body = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return f"+{body};-{body}" if signed else body


def _rounded(value: float, decimals: int) -> float:
    """Round as shown; a result of zero loses its sign (no « -0 »)."""
    number = round(float(value), decimals)
    return 0.0 if number == 0 else number


def format_decimal(value: object, lang: str = DEFAULT_LANGUAGE, *, decimals: int = 0) -> str:
    """Format a number with exactly ``decimals`` decimals: ``1 500,25`` / ``1,500.25``.

    A missing value gives ``—``; one that rounds to zero has no sign (``0,000``, not ``-0,000``).
    """
    number = _number(value)
    if number is None:
        return MISSING
    number = _rounded(number, decimals)
    return babel_numbers.format_decimal(number, _pattern(decimals), locale=locale_of(lang))


def format_count(value: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Format a count as a whole number: ``8``, ``1 025`` (never ``8,0``)."""
    return format_decimal(value, lang, decimals=0)


def _figure_decimals(number: float) -> int:
    size = abs(number)
    if size >= _WHOLE:
        return 0
    return 1 if size >= 1 else _SMALL_DECIMALS


def _significant(number: float, decimals: int) -> tuple[float, int]:
    digits = _SIGNIFICANT - 1 - math.floor(math.log10(abs(number)))
    return round(number, digits), min(decimals, max(0, digits))


def format_figure(value: object, lang: str = DEFAULT_LANGUAGE, *, estimate: bool = False) -> str:
    """Format an indicator for people: no decimals from 10 up, one from 1, three below.

    ``estimate`` keeps three significant digits and writes ``≈`` before (« ≈ 12 300 »).
    A missing value gives ``—``; a figure that rounds to zero reads ``0``.
    """
    number = _number(value)
    if number is None:
        return MISSING
    decimals = _figure_decimals(number)
    if estimate and number:
        number, decimals = _significant(number, decimals)
    if _rounded(number, decimals) == 0:
        return "0"
    text = format_decimal(number, lang, decimals=decimals)
    return f"{ESTIMATE} {text}" if estimate else text


def format_signed(
    value: object,
    lang: str = DEFAULT_LANGUAGE,
    *,
    decimals: int | None = None,
    estimate: bool = False,
) -> str:
    """Format a change with its sign: ``+1 200``, ``-3,5``; no change reads ``0``.

    ``decimals`` defaults to those `format_figure` would show. The minus is the ASCII
    hyphen-minus that CLDR gives French and English (and that ``st.metric`` reads as a fall).
    ``estimate`` keeps three significant digits and writes ``≈`` before (« ≈ +12 300 »).
    """
    number = _number(value)
    if number is None:
        return MISSING
    shown = _figure_decimals(number) if decimals is None else decimals
    if estimate and number:
        number, shown = _significant(number, shown)
    number = _rounded(number, shown)
    if number == 0:
        return "0"
    pattern = _pattern(shown, signed=True)
    text = babel_numbers.format_decimal(number, pattern, locale=locale_of(lang))
    return f"{ESTIMATE} {text}" if estimate else text


def format_headline(
    value: object, lang: str = DEFAULT_LANGUAGE, *, estimate: bool = False, signed: bool = False
) -> str:
    """Format a figure for a screen read from afar: millions shortened (« ≈ 2,7 M », « +1 M »).

    Below a million as `format_figure` (``signed``: as `format_signed`); ``estimate`` writes
    ``≈`` before.
    """
    number = _number(value)
    if number is None:
        return MISSING
    if abs(number) < _MILLION:
        if signed:
            return format_signed(number, lang, estimate=estimate)
        return format_figure(number, lang, estimate=estimate)
    locale = _COMPACT_LOCALES.get(lang, locale_of(lang))
    text = babel_numbers.format_compact_decimal(number, locale=locale, fraction_digits=1)
    text = f"+{text}" if signed and number > 0 else text
    return f"{ESTIMATE} {text}" if estimate else text


def format_exact(value: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Format a number with every digit it has, as a source gives it: ``0,0417``, ``3 600``."""
    number = _number(value)
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    if number.is_integer():
        return format_decimal(number, lang, decimals=0)
    return babel_numbers.format_decimal(number, locale=locale_of(lang), decimal_quantization=False)


def format_amount(value: object, lang: str = DEFAULT_LANGUAGE, *, max_decimals: int = 2) -> str:
    """Format a quantity as people typed it: up to two decimals, none when whole (``1 500,25``).

    A missing value gives ``—``; one that rounds to zero reads ``0``.
    """
    number = _number(value)
    if number is None:
        return MISSING
    number = _rounded(number, max_decimals)
    if number == 0:
        return "0"
    pattern = "#,##0." + "#" * max_decimals if max_decimals > 0 else "#,##0"
    return babel_numbers.format_decimal(number, pattern, locale=locale_of(lang))


def format_score(value: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Format a synergy score (0 to 1) with two decimals: ``0,80`` / ``0.80``."""
    number = _number(value)
    if number is None:
        return MISSING
    number = _rounded(number, _SCORE_DECIMALS)
    return babel_numbers.format_decimal(number, _pattern(_SCORE_DECIMALS), locale=locale_of(lang))


def format_year(value: object) -> str:
    """Format a year as written everywhere: ``2018`` (no thousands separator), or ``—``."""
    number = _number(value)
    return MISSING if number is None else str(int(number))


def unit_label(unit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a unit as users read it: ``t/yr`` → ``t/an`` in French (``data/i18n/units.toml``)."""
    return t(f"units.{unit.replace('/', '_')}", lang)


def format_quantity(value: object, unit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Format a yearly quantity with its unit: ``150 000 t/an``, ``12,5 MWh/yr``."""
    return f"{format_amount(value, lang)} {unit_label(unit, lang)}"


def format_km(km: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Format a distance: one decimal below 10 km (``2,6 km``), none above; none is no limit."""
    number = _number(km)
    if number is None:
        return t("map.no_limit", lang)
    decimals = 1 if number < _SMALL_KM else 0
    return f"{format_decimal(number, lang, decimals=decimals)} {unit_label('km', lang)}"


def aligned_numbers(
    values: Iterable[object], lang: str = DEFAULT_LANGUAGE, *, decimals: int
) -> list[str]:
    """Format a column of numbers as texts of one length, padded on the left with spaces.

    Shown right-aligned they read like numbers, and sorting the texts (as a spreadsheet or
    Streamlit's table does on a header click) orders them by value: with one number of
    decimals, the first place two texts differ is a space against a digit, or two digits.
    Missing values become empty texts. Meant for values of one sign (distances, scores,
    quantities).
    """
    texts = ["" if is_missing(v) else format_decimal(v, lang, decimals=decimals) for v in values]
    width = max((len(text) for text in texts), default=0)
    return [text.rjust(width, PAD) if text else "" for text in texts]


def plotly_separators(lang: str = DEFAULT_LANGUAGE) -> str:
    """Return plotly's ``separators`` (decimal mark, then thousands) for ``lang``."""
    locale = locale_of(lang)
    decimal = babel_numbers.get_decimal_symbol(locale)
    group = babel_numbers.get_group_symbol(locale)
    return decimal + group


# --------------------------------------------------------------------------- texts

_OUR_FILE = re.compile(
    r"\s*(?:[;,]\s*|\s(?:et|and|dans|in)\s+)?(?:voir |see )?"
    r"(?:[\w.-]+/)*[\w.-]+\.(?:md|csv|toml|publicodes)\b"
)
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;]?\s*\)")
_BRACKET_START = re.compile(r"\(\s*[,;]\s*")
_SECTION = re.compile(r"^\s*« How the factors combine »\s*[:;]?\s*")  # a section of our notes
_DANGLING = re.compile(r"\s+(?:de|from|in|dans)\s*$")
_LEADING_BRACKETS = re.compile(r"^\(([^()]*)\)")


def source_text(source: object) -> str:
    """Return a source as a reader cites it: the document, without our files' paths.

    The data files note where each row was copied from (« …, 2018 ; shared/reference/
    cases.md »); people read the document (publisher or author, title, year), not the file.
    """
    if is_missing(source):
        return ""
    text = _OUR_FILE.sub("", str(source))
    text = _BRACKET_START.sub("(", _EMPTY_BRACKETS.sub("", text))
    text = _SECTION.sub("", _DANGLING.sub("", text).strip(" ;,:"))
    # « (gaz naturel PCI) ; raisonnement » → « gaz naturel PCI ; raisonnement »
    text = _LEADING_BRACKETS.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip(" ;,:")


def colon(lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the colon between a label and its value: `` : `` in French, ``: `` in English."""
    return " : " if lang == "fr" else ": "


def semicolon(lang: str = DEFAULT_LANGUAGE) -> str:
    """Return the semicolon between parts of a sentence: `` ; `` in French, ``; `` in English."""
    return " ; " if lang == "fr" else "; "


def sources_in(table: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.Series:
    """Return a table's sources in ``lang``, as a reader cites them (`source_text`).

    The data files write each source in French (``source``, as copied from the reference notes)
    and in English (``source_en``); where ``source_<lang>`` is absent or empty (a user's own
    table), ``source`` is given.
    """
    sources = table["source"]
    if f"source_{lang}" in table:
        translated = table[f"source_{lang}"]
        sources = translated.where(translated.map(source_text).ne(""), sources)
    return sources.map(source_text)


def factor_unit(unit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Return a factor's unit as written for people: ``kgCO2e/kWh_PCI`` → ``kg CO₂e/kWh PCI``."""
    if unit in ("ratio", "fraction"):
        return t(f"units.{unit}", lang)
    text = unit.replace("_substituted", " " + t("units.substituted", lang))
    text = re.sub(r"^(k?g|t)(CO2e?)", r"\1 \2", text.replace("_", " "))
    return re.sub(r"m3\b", "m³", text).replace("CO2", "CO₂")


# --------------------------------------------------------------------------- dates


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        warnings.warn(
            f"{TIMEZONE_ENV}={name!r} is not a time zone name; dates use {DEFAULT_TIMEZONE}",
            stacklevel=3,
        )
        return ZoneInfo(DEFAULT_TIMEZONE)


def timezone() -> ZoneInfo:
    """Return the time zone dates are shown in: ``EIT_GEO_TIMEZONE``, else ``Europe/Paris``."""
    return _zone(timezone_setting())


def local_time(moment: object) -> datetime | None:
    """Return a moment in local time (`timezone`); a naive one is taken as UTC (how we store).

    None, NaT or an empty value give None.
    """
    if is_missing(moment) or moment == "":
        return None
    # pandas-stubs list the types Timestamp takes; it reads any moment pandas knows
    stamp = pd.Timestamp(moment)  # type: ignore[arg-type]
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.floor("us").tz_convert(timezone()).to_pydatetime()  # to the microsecond


def format_datetime(moment: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Format a moment in local time, date and minutes: ``4 juil. 2026, 17:05``; or ``—``."""
    local = local_time(moment)
    if local is None:
        return MISSING
    locale = locale_of(lang)
    day = babel_dates.format_date(local, "medium", locale=locale)
    hour = babel_dates.format_time(local, "short", locale=locale)
    pattern = babel_dates.get_datetime_format("medium", locale=locale)
    return str(pattern).replace("{1}", day).replace("{0}", hour)


def format_time(moment: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Format the hour of a moment in local time: ``17:05``; a number is a Unix time."""
    if isinstance(moment, (int, float)) and not is_missing(moment):
        moment = pd.Timestamp(moment, unit="s", tz="UTC")
    local = local_time(moment)
    if local is None:
        return MISSING
    return babel_dates.format_time(local, "short", locale=locale_of(lang))


def format_date(moment: object, lang: str = DEFAULT_LANGUAGE, *, style: str = "medium") -> str:
    """Format the day of a moment in local time: ``4 juil. 2026`` (``long``: ``4 juillet 2026``).

    A `datetime.date` is taken as it is (no time zone); a missing value gives ``—``.
    """
    if isinstance(moment, date) and not isinstance(moment, datetime):
        return babel_dates.format_date(moment, style, locale=locale_of(lang))
    local = local_time(moment)
    if local is None:
        return MISSING
    return babel_dates.format_date(local, style, locale=locale_of(lang))
