"""Tests of eit_geo._formula: factor formulas are evaluated without ``eval``."""

from __future__ import annotations

import math

import pytest

from eit_geo._formula import evaluate_formula, formula_keys


def test_keys_in_order() -> None:
    assert formula_keys("a / b - c * (1 - 1 / b)") == ["a", "b", "c", "b"]
    assert formula_keys("  ") == []


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("a", 2.0),
        ("a / b - c", 2.0 / 4.0 - 0.5),
        ("1 - 1 / b", 0.75),
        ("-a * (b + c)", -9.0),
    ],
)
def test_evaluate(formula: str, expected: float) -> None:
    assert evaluate_formula(formula, {"a": 2.0, "b": 4.0, "c": 0.5}) == expected


def test_missing_key_and_division_by_zero_give_nan() -> None:
    assert math.isnan(evaluate_formula("a * missing", {"a": 2.0}))
    assert math.isnan(evaluate_formula("a / b", {"a": 2.0, "b": 0.0}))


@pytest.mark.parametrize(
    "formula", ["__import__('os')", "a.b", "a ** 2", "a if b else c", "'text'", "a +"]
)
def test_anything_else_is_refused(formula: str) -> None:
    with pytest.raises(ValueError, match="formula"):
        formula_keys(formula)
