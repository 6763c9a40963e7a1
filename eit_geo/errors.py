"""The one error eit-geo raises on bad input, and the problem records it carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eit_geo.formatting import colon
from eit_geo.i18n import DEFAULT_LANGUAGE, t

__all__ = ["Problem", "ZoneError", "check_choice"]


def check_choice(name: str, value: object, choices: Sequence[object]) -> None:
    """Raise ValueError, naming the ``choices``, unless ``value`` is one of them.

    For a function's argument that takes one of a few words (a view, a colour, a scenario).
    """
    if value not in choices:
        msg = f"{name} {value!r} is not one of {', '.join(map(str, choices))}"
        raise ValueError(msg)


@dataclass(frozen=True)
class Problem:
    """One breach of the data contract.

    Attributes
    ----------
    file : name of the file (or layer) at fault
    row : 1-based row as a spreadsheet shows it (header = row 1), or None for the whole file
    column : the column at fault, or None
    value : the offending value as text, or None
    message : what is wrong, in the user's language
    lang : that language (``fr`` or ``en``), used by ``str()``; not compared
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    lang: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{t('validation.row', self.lang)} {self.row}")
        if self.column is not None:
            column = t("validation.quoted", self.lang, text=self.column)
            where.append(f"{t('validation.column', self.lang)} {column}")
        mark = colon(self.lang)
        text = f"{', '.join(where)}{mark}{self.message}"
        if self.value is not None:
            value = t("validation.quoted", self.lang, text=self.value)
            text += f" ({t('validation.value', self.lang)}{mark}{value})"
        return text


@dataclass
class ZoneError(ValueError):
    """A zone that breaks the data contract; ``problems`` lists every problem found."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        lang = self.problems[0].lang if self.problems else DEFAULT_LANGUAGE
        head = t("validation.summary", lang, count=len(self.problems))
        return "\n".join([head, *(f"- {p}" for p in self.problems)])
