"""Factor formulas such as ``natural_gas_lifecycle_pci / gas_boiler_efficiency``.

A formula of ``data/avoided.csv`` combines factor keys, numbers, ``+ - * /`` and parentheses.
It is parsed with `ast` and evaluated by walking the tree: never ``eval``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping

__all__ = ["evaluate_formula", "formula_keys"]

_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def formula_keys(formula: str) -> list[str]:
    """Return the factor keys a formula uses, in order (``a / b - c`` → ``[a, b, c]``).

    Raises
    ------
    ValueError
        If the formula is not made of factor keys, numbers, ``+ - * /`` and parentheses.
    """
    if not formula.strip():
        return []
    tree = _parse(formula)
    return [node.id for node in ast.walk(tree) if isinstance(node, ast.Name)]


def evaluate_formula(formula: str, values: Mapping[str, float]) -> float:
    """Evaluate a factor formula; NaN when a key has no value or a division is by zero.

    Raises
    ------
    ValueError
        If the formula is not made of factor keys, numbers, ``+ - * /`` and parentheses.
    """
    return _evaluate(_parse(formula).body, values)


def _parse(formula: str) -> ast.Expression:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as error:
        msg = f"formula {formula!r} is not valid: {error.msg}"
        raise ValueError(msg) from error
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.USub, ast.Name, ast.Load)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            continue
        if isinstance(node, allowed) or type(node) in _OPERATORS:
            continue
        msg = f"formula {formula!r}: only factor keys, numbers, + - * / and ( ) are allowed"
        raise ValueError(msg)
    return tree


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(values.get(node.id, math.nan))
    if isinstance(node, ast.UnaryOp):
        return -_evaluate(node.operand, values)
    assert isinstance(node, ast.BinOp)  # noqa: S101 (guaranteed by _parse)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if isinstance(node.op, ast.Div) and right == 0:
        return math.nan
    return _OPERATORS[type(node.op)](left, right)
