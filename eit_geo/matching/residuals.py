"""What existing synergies already use of each flow, and the pairs they already hold."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eit_geo.matching.arrays import _among, _distinct, _positions
from eit_geo.matching.pairs import _Pairs
from eit_geo.matching.points import _metres, _Points, _Prepared
from eit_geo.matching.scores import _score
from eit_geo.matching.tables import _Text


@dataclass(frozen=True)
class _Running:
    """The offer-need pairs of existing synergies: never candidates, whatever their flows have left.

    ``keys``: ``offer row × n_flows + need row``, sorted; ``in_pair``: whether each flow is in
    one; ``pairs``: the existing pairs; ``forward``: the search goes from offers to needs (else
    from needs to offers).
    """

    keys: np.ndarray
    in_pair: np.ndarray
    pairs: _Pairs
    forward: bool = True

    @classmethod
    def of(cls, existing: _Pairs, n_flows: int) -> _Running:
        in_pair = np.zeros(n_flows, dtype=bool)
        in_pair[existing.offer] = in_pair[existing.need] = True
        keys = np.sort(existing.offer.astype(np.int64) * n_flows + existing.need)
        return cls(keys, in_pair, existing)

    def within(self, a: _Points, b: _Points, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Return the positions in offers ``a`` and needs ``b`` of the running pairs in reach."""
        none = np.empty(0, dtype=np.int64)
        if not (self.in_pair[a.rows].any() and self.in_pair[b.rows].any()):
            return none, none
        at_a, in_a = _positions(a.rows, self.pairs.offer)
        at_b, in_b = _positions(b.rows, self.pairs.need)
        near = in_a & in_b & (self.pairs.metres <= radius_m * (1 + 1e-9))
        return at_a[near], at_b[near]

    def backward(self) -> _Running:
        """Return the same pairs, for a search from needs to offers."""
        return dataclasses.replace(self, forward=False)

    def among(self, src_rows: np.ndarray, dst_rows: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Tell which pairs ``(src_rows[i], dst_rows[dst[i, …]])`` (flow rows) are running.

        ``dst``: positions in ``dst_rows``, one row (or one value) per src. Only the rows of a
        src flow in an existing pair are looked up (a few): no gather over the whole grid.
        """
        found = np.zeros(dst.shape, dtype=bool)
        maybe = np.flatnonzero(self.in_pair[src_rows])
        if maybe.size:
            partner = dst_rows[dst[maybe]]
            src = src_rows[maybe].reshape(-1, *([1] * (dst.ndim - 1)))
            offer, need = (src, partner) if self.forward else (partner, src)
            keys = offer.astype(np.int64) * len(self.in_pair) + need
            found[maybe] = _among(keys.ravel(), self.keys).reshape(keys.shape)
        return found


def _scores_outside_search(prep: _Prepared, rules: pd.DataFrame, pairs: _Pairs) -> np.ndarray:
    """Score pairs found outside the search (existing synergies), as the search does (`_score`).

    A few pairs, scored a distance at a time.
    """
    quantity = prep.flows["quantity"].to_numpy(dtype=float)
    radius = rules["max_km"].to_numpy(dtype=float)[pairs.rule] * 1000.0
    radius = np.where(np.isnan(radius), np.inf, radius)
    score = np.empty(len(pairs))
    for radius_m in _distinct(radius):
        at = radius == radius_m
        score[at] = _score(
            pairs.metres[at], quantity[pairs.offer[at]], quantity[pairs.need[at]], radius_m
        )
    return rules["quality"].to_numpy(dtype=float)[pairs.rule] * score


@dataclass
class _Used:
    """What the existing synergies take from each flow, what is left, and who takes it.

    ``used``: quantity each flow gives or receives in existing synergies, by their declared
    quantities (0 when none, NaN when one is unknown); ``left``: the flow's quantity minus
    ``used``, never below 0 (NaN when either is unknown); ``by``: the ids of the partners
    using each flow, largest first, joined by commas ("" when none).
    """

    used: np.ndarray
    left: np.ndarray
    by: _Text

    @classmethod
    def of(cls, prep: _Prepared, existing: _Pairs, quantity: np.ndarray) -> _Used:
        """Add up the declared ``quantity`` of each ``existing`` pair on its offer and need."""
        n_flows = len(prep.flows)
        flow = np.concatenate([existing.offer, existing.need]).astype(np.int64)
        partner = np.concatenate([prep.company[existing.need], prep.company[existing.offer]])
        taken = np.concatenate([quantity, quantity])
        used = np.bincount(flow, weights=taken, minlength=n_flows)  # NaN stays NaN
        total = prep.flows["quantity"].to_numpy(dtype=float)
        left = np.maximum(total - used, 0.0)
        left[left <= total * 1e-9] = 0.0  # what rounding leaves of a flow used up
        users = pd.DataFrame({"flow": flow, "partner": prep.ids.to_numpy()[partner]})
        users = users.iloc[np.lexsort((-np.nan_to_num(taken, nan=-1.0), flow))]
        joined = users.groupby("flow", sort=True)["partner"].agg(
            lambda ids: ",".join(dict.fromkeys(ids))  # a few rows: one per existing synergy
        )
        texts, uniques = pd.factorize(pd.Series(["", *joined.to_list()], dtype=object))
        numbers = np.zeros(n_flows, dtype=np.int64)
        numbers[joined.index.to_numpy()] = texts[1:]
        return cls(used, left, _Text.from_codes(numbers, list(uniques)))

    def sides(
        self, prep: _Prepared, sides: dict[tuple[str, str], _Points]
    ) -> dict[tuple[str, str], _Points]:
        """Return ``sides`` with what is left of each flow; those with nothing left are out.

        Only the sides holding a flow of an existing synergy change (a few): the others, and
        their KD-trees, are shared.
        """
        changed = np.flatnonzero(self.used != 0)  # NaN too
        flows = prep.flows
        codes, units = flows["resource"].to_numpy(), flows["unit"].to_numpy()
        keys = set(zip(codes[changed], units[changed], strict=True))
        left = dict(sides)
        for key in keys & set(sides):
            points = sides[key]
            quantity = self.left[points.rows]
            keep = ~(quantity <= 0.0)  # unknown quantities stay
            if keep.any():
                left[key] = _Points(
                    points.rows[keep], points.xy[keep], points.company[keep], quantity[keep]
                )
            else:
                del left[key]
        return left


def _existing_pairs(
    prep: _Prepared, rules: pd.DataFrame, synergies: pd.DataFrame
) -> tuple[_Pairs, np.ndarray, pd.DataFrame]:
    """Match each existing synergy to an offer and a need by the rules, whatever the distance.

    Returns the pairs, the synergy quantity of each pair, and the synergies matching no flows.
    """
    flows = prep.flows
    syn = synergies.reset_index(drop=True)
    syn = syn.assign(sid=np.arange(len(syn)), syn_resource=syn["resource"])
    side = flows[["company_id", "resource", "unit"]].assign(row=np.arange(len(flows)))
    out = side[flows["direction"] == "output"].set_axis(
        ["from_id", "out_code", "out_unit", "offer"], axis=1
    )
    inn = side[flows["direction"] == "input"].set_axis(
        ["to_id", "in_code", "in_unit", "need"], axis=1
    )
    rule_keys = rules[["resource", "input_resource", "quality"]].set_axis(
        ["out_code", "in_code", "quality"], axis=1
    )
    rule_keys = rule_keys.assign(rule=np.arange(len(rules)))
    merged = (
        syn[["sid", "from_id", "to_id", "syn_resource"]]
        .merge(out, on="from_id")
        .merge(inn, on="to_id")
        .merge(rule_keys, on=["out_code", "in_code"])
    )
    fits = (merged["out_unit"] == merged["in_unit"]) & (
        (merged["syn_resource"] == merged["out_code"])
        | (merged["syn_resource"] == merged["in_code"])
    )
    merged = merged[fits].sort_values(["sid", "quality"], ascending=[True, False], kind="stable")
    merged = merged.drop_duplicates("sid").drop_duplicates(["offer", "need"])
    offer, need = merged["offer"].to_numpy(), merged["need"].to_numpy()
    metres = _metres(prep, prep.company[offer], prep.company[need])
    flag = np.ones(len(offer), dtype=bool)
    pairs = _Pairs(offer, need, metres, merged["rule"].to_numpy(), flag, flag, np.empty(0))
    pairs.score = _scores_outside_search(prep, rules, pairs)
    quantity = syn["quantity"].to_numpy(dtype=float)[merged["sid"].to_numpy()]
    unmatched = syn[~syn["sid"].isin(merged["sid"])]
    return pairs, quantity, unmatched
