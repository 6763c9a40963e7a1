"""Recognise SIRET numbers as real files write them, including those a spreadsheet spoiled."""

from __future__ import annotations

import re

__all__ = ["SIRET_DIGITS", "read_siret"]

SIRET_DIGITS = 14
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?e\+?\d+$", re.IGNORECASE)
_BLANKS = re.compile(r"[\s\u00a0\u202f.\-]")


def read_siret(value: object) -> tuple[str, str]:
    """Read a SIRET number.

    Parameters
    ----------
    value
        The cell as read: text, or a number a spreadsheet stored.

    Returns
    -------
    tuple of str
        ``(siret, status)``: the 14 digits and ``"ok"``; ``""`` and ``"spoiled"`` for a number
        a spreadsheet wrote in scientific notation (``4,12346E+13``: digits lost); ``""`` and
        ``"empty"``; ``""`` and ``"other"`` for anything else (a SIREN, a free identifier).
    """
    text = "" if value is None else str(value).strip()
    if not text or text.lower() == "nan":
        return "", "empty"
    if _SCIENTIFIC.match(text.replace(" ", "")):
        return "", "spoiled"
    text = re.sub(r"[.,]0+$", "", text)  # 41234567800012.0, a number read as a float
    digits = _BLANKS.sub("", text)
    if digits.isdigit() and len(digits) == SIRET_DIGITS:
        return digits, "ok"
    if digits.isdigit() and len(digits) == SIRET_DIGITS - 1 and _luhn("0" + digits):
        return "0" + digits, "ok"  # the leading zero a spreadsheet drops
    return "", "other"


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        number = int(char) * (2 if position % 2 else 1)
        total += number - 9 if number > 9 else number  # noqa: PLR2004
    return total % 10 == 0
