"""Offer-need pairs as arrays (what the search finds and the ranking orders)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np


@dataclass
class _Pairs:
    """Offer-need pairs as arrays: flow rows, metres, rule index, and best-of flags.

    ``by_offer`` / ``by_need``: the pair is among the best of its offer / need within its
    search group; ``score``: its score (module docstring).
    """

    offer: np.ndarray
    need: np.ndarray
    metres: np.ndarray
    rule: np.ndarray
    by_offer: np.ndarray
    by_need: np.ndarray
    score: np.ndarray

    @classmethod
    def empty(cls) -> _Pairs:
        none = np.empty(0, dtype=np.int32)
        flag = np.empty(0, dtype=bool)
        return cls(none, none, np.empty(0), none, flag, flag, np.empty(0))

    @classmethod
    def concat(
        cls,
        parts: list[_Pairs],
        *,
        consume: bool = False,
        order: np.ndarray | None = None,
        threads: int = 1,
    ) -> _Pairs:
        """Join ``parts``, then take the rows at ``order`` if given.

        With ``consume``, the parts are emptied column by column, so that only the columns being
        joined are held more than once (millions of pairs). Without ``order``, ``threads``
        columns are joined at a time, one per thread (NumPy's copies free the GIL); with it, a
        column and its ordered copy at a time.
        """
        if not parts:
            return cls.empty()

        def join(name: str) -> np.ndarray:
            column = np.concatenate([vars(part)[name] for part in parts])
            for part in parts if consume else ():
                setattr(part, name, column[:0].copy())
            return column if order is None or not len(column) else column[order]

        names = list(vars(parts[0]))
        if order is not None or threads == 1:
            return cls(**{name: join(name) for name in names})
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return cls(**dict(zip(names, pool.map(join, names), strict=True)))

    def __len__(self) -> int:
        return len(self.offer)

    def take(self, index: np.ndarray | slice, fields: Iterable[str] | None = None) -> _Pairs:
        """Return the pairs at ``index``; only ``fields`` (all by default), the others empty."""
        chosen = set(vars(self) if fields is None else fields)
        return _Pairs(
            **{
                k: v[index] if k in chosen else np.empty(0, dtype=v.dtype)  # not a view: freed
                for k, v in vars(self).items()
            }
        )


_LINK_FIELDS = ("offer", "need", "metres", "rule")  # what the rows of a ranked link need
