"""Coverage and precision of the resource-name resolver on the labelled inventory names.

Run: ``.venv/bin/python benchmarks/bench_resolver.py``

``tests/data/resource_names.csv`` holds resource names written as real inventories write them
(French and English, typos, abbreviations, units inside, plurals, tool exports), each with the
code it should get (empty: it must stay « à coder »), in three sets:

- ``dev``: written first; the synonym table and the settings of ``data/resolver.csv`` were
  tuned on it;
- ``holdout-1``: written after a first tuning, measured once blind, then used for tuning too;
- ``holdout-2``: written after all the tuning and never tuned on: the honest figure.

Coverage is the share of names coded by themselves (confidence ≥ the threshold); precision the
share of those coded right (coding a name that must stay « à coder » is a mistake); « literal »
is the share of names whose folded form is a row of the synonym table. The
threshold ``auto_confidence`` is the lowest of the grid at which the ``dev`` precision reaches
97.5 % (a margin over the 95 % goal for names not seen while tuning).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from eit_geo.datafiles import read_table
from eit_geo.resources_resolve import (
    AUTO_CONFIDENCE,
    fold_name,
    measure_resolver,
    resolve_resources,
)

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "resource_names.csv"
GRID = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
RULE_PRECISION = 0.975


def main() -> None:
    labelled = pd.read_csv(LABELLED, dtype=str, keep_default_na=False)
    synonyms = {fold_name(name)[0] for name in read_table("resource_synonyms.csv")["name"]}
    literal = labelled["name"].map(lambda name: fold_name(name)[0] in synonyms)
    sets = {"all": labelled, **dict(tuple(labelled.groupby("set", sort=False)))}
    print(f"threshold auto_confidence = {AUTO_CONFIDENCE} (data/resolver.csv)\n")
    print("| set | names | to stay « à coder » | literal | coverage | precision | wrong |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, frame in sets.items():
        score = measure_resolver(frame["name"], frame["expected"])
        print(
            f"| {name} | {score.names} | {(frame['expected'] == '').sum()} | "
            f"{literal[frame.index].mean():.0%} | {score.coverage:.1%} | {score.precision:.1%} | "
            f"{score.coded - score.right} |"
        )
    unseen = labelled[~literal]
    score = measure_resolver(unseen["name"], unseen["expected"])
    print(
        f"| not literally in the table | {score.names} | "
        f"{(unseen['expected'] == '').sum()} | 0% | {score.coverage:.1%} | "
        f"{score.precision:.1%} | {score.coded - score.right} |"
    )
    print("\nBy threshold (coverage / precision):\n")
    print("| threshold | " + " | ".join(sets) + " |")
    print("|---:|" + "---|" * len(sets))
    chosen = None
    for threshold in GRID:
        scores = {
            name: measure_resolver(frame["name"], frame["expected"], threshold=threshold)
            for name, frame in sets.items()
        }
        if chosen is None and scores["dev"].precision >= RULE_PRECISION:
            chosen = threshold
        cells = " | ".join(f"{s.coverage:.1%} / {s.precision:.1%}" for s in scores.values())
        print(f"| {threshold} | {cells} |")
    print(f"\nLowest threshold with dev precision ≥ {RULE_PRECISION:.1%}: {chosen}")
    names = pd.Series([f"{name} {i}" for i in range(5) for name in labelled["name"]])
    start = time.perf_counter()
    resolve_resources(names)
    elapsed = time.perf_counter() - start
    print(f"resolve_resources on {len(names):,} distinct names: {elapsed:.2f} s")


if __name__ == "__main__":
    main()
