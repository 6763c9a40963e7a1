"""The one error eit-geo raises on bad input, and the problem records it carries."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Problem", "ZoneError"]


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
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column is not None:
            where.append(f"colonne « {self.column} »")
        text = f"{', '.join(where)} : {self.message}"
        if self.value is not None:
            text += f" (valeur : « {self.value} »)"
        return text


@dataclass
class ZoneError(ValueError):
    """A zone that breaks the data contract; ``problems`` lists every problem found."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{count} problème(s) dans la zone :" if count != 1 else "1 problème dans la zone :"
        return "\n".join([head, *(f"- {p}" for p in self.problems)])
