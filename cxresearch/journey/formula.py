"""Metric formulas in params: small arithmetic on columns, parsed without ``eval``.

A params metric may be defined by a formula instead of one column, e.g.
``delivered_days - promised_days`` (a delay in days) or ``handling_seconds / 60``, or a
condition whose share is the metric, e.g. ``delivery_delay_days <= 0`` (on time). Params
files come from users, so the text is parsed with :mod:`ast` and only a whitelist is
accepted: column names, numbers, ``+ - * /``, unary minus, parentheses, comparisons
(``< <= > >= == !=``) and ``and`` / ``or`` / ``not`` between conditions. No calls, no
attribute access, no subscripts: nothing in a formula can run code.

Missing values propagate: a row with a missing input has a missing result (a condition on
a missing value is missing too, never False), so the metric's base counts only rows where
the formula could be computed.

Examples
--------
>>> import pandas as pd
>>> f = parse_formula("delivered - promised")
>>> sorted(f.columns)
['delivered', 'promised']
>>> f.evaluate(pd.DataFrame({"delivered": [3.0, 5.0], "promised": [2.0, None]})).tolist()
[1.0, nan]
>>> parse_formula("delay <= 0").boolean
True
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Formula", "FormulaError", "parse_formula"]

_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class FormulaError(ValueError):
    """A formula that cannot be parsed or uses something outside the whitelist."""


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, the columns it reads and whether it is a condition."""

    text: str
    tree: ast.expr
    columns: frozenset[str]
    boolean: bool

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The formula on every row of ``frame``: float (NaN missing) or 1.0/0.0 for conditions.

        Raises
        ------
        KeyError
            Naming the columns the frame lacks.
        """
        missing = sorted(self.columns - set(frame.columns))
        if missing:
            raise KeyError(f"formula {self.text!r} names column(s) {missing} not in the data")
        values, known = _evaluate(self.tree, frame)
        out = np.where(known, values.astype("float64"), np.nan)
        return pd.Series(out, index=frame.index, dtype="float64")


def _column(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    series = frame[name]
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("Float64")
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & series.notna()
    if bad.any():
        first = series[bad].head(3).tolist()
        raise ValueError(f"column {name!r} used in a formula has non-numeric values {first}")
    values = numeric.to_numpy(dtype="float64", na_value=np.nan)
    return np.nan_to_num(values), ~np.isnan(values)


def _evaluate(node: ast.expr, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(values, known) arrays; ``known`` is False where an input was missing."""
    n = len(frame)
    if isinstance(node, ast.Constant):
        number = node.value if isinstance(node.value, int | float) else float("nan")
        return np.full(n, float(number)), np.ones(n, dtype=bool)
    if isinstance(node, ast.Name):
        return _column(frame, node.id)
    if isinstance(node, ast.UnaryOp):
        value, known = _evaluate(node.operand, frame)
        if isinstance(node.op, ast.Not):
            return (value == 0).astype("float64"), known
        return (-value if isinstance(node.op, ast.USub) else value), known
    if isinstance(node, ast.BinOp):
        left, known_l = _evaluate(node.left, frame)
        right, known_r = _evaluate(node.right, frame)
        known = known_l & known_r
        with np.errstate(divide="ignore", invalid="ignore"):
            value = _ARITHMETIC[type(node.op)](left, right)
        # x / 0 has no value: missing, not inf.
        return np.where(np.isfinite(value), value, 0.0), known & np.isfinite(value)
    if isinstance(node, ast.Compare):
        left, known = _evaluate(node.left, frame)
        result = np.ones(n, dtype=bool)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right, known_r = _evaluate(comparator, frame)
            result &= _COMPARE[type(op)](left, right)
            known = known & known_r
            left = right
        return result.astype("float64"), known
    if isinstance(node, ast.BoolOp):
        parts = [_evaluate(v, frame) for v in node.values]
        values = np.array([p[0] != 0 for p in parts])
        known = np.logical_and.reduce([p[1] for p in parts])
        combined = values.all(axis=0) if isinstance(node.op, ast.And) else values.any(axis=0)
        return combined.astype("float64"), known
    raise FormulaError(f"unsupported expression {ast.dump(node)}")  # pragma: no cover


def _check(node: ast.AST, text: str) -> bool:
    """Validate the tree; return whether the expression is a condition (boolean)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"formula {text!r}: only numbers may appear as constants")
        return False
    if isinstance(node, ast.Name):
        return False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        if _check(node.operand, text):
            raise FormulaError(f"formula {text!r}: a sign cannot apply to a condition")
        return False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        if not _check(node.operand, text):
            raise FormulaError(f"formula {text!r}: 'not' needs a condition")
        return True
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        if _check(node.left, text) or _check(node.right, text):
            raise FormulaError(f"formula {text!r}: arithmetic on a condition")
        return False
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        if any(_check(part, text) for part in (node.left, *node.comparators)):
            raise FormulaError(f"formula {text!r}: a comparison of conditions")
        return True
    if isinstance(node, ast.BoolOp):
        if not all(_check(v, text) for v in node.values):
            raise FormulaError(f"formula {text!r}: 'and'/'or' need conditions on both sides")
        return True
    what = type(node).__name__
    raise FormulaError(
        f"formula {text!r}: {what} is not allowed (use column names, numbers, + - * /, "
        "comparisons, and/or/not, parentheses)"
    )


def _names(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))


def parse_formula(text: str) -> Formula:
    """Parse a params formula.

    Parameters
    ----------
    text : str
        E.g. ``"delivered_days - promised_days"`` or ``"delay_days <= 0"``.

    Returns
    -------
    Formula

    Raises
    ------
    FormulaError
        Empty text, a syntax error, or anything outside the whitelist (calls, attributes,
        subscripts, strings, ``**``, ...), naming the formula.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(f"formula must be a non-empty text, got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise FormulaError(f"formula {text!r} is not a valid expression: {exc.msg}") from None
    boolean = _check(tree, text)
    names = _names(tree)
    if not names:
        raise FormulaError(f"formula {text!r} names no column")
    return Formula(text.strip(), tree, names, boolean)
