"""All argument checking of the Excel functions in one place: a cell or a range in, a numpy array and a
per-cell error out, and results back as the broadcast 2-D block Excel spills.

A bad cell never crashes a formula: its result cell shows a readable message instead of a number,
``#VALUE! unit_cost: found -5, expected a number > 0``; the other cells are computed as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

ERROR = "#VALUE!"


class CellError(ValueError):
    """A problem with a whole argument (not one cell): the function returns its message in one cell."""


def grid(value) -> np.ndarray:
    """Any cell value, 1-D or 2-D range as a 2-D object array (a 1-D list is one row)."""
    if isinstance(value, np.ndarray):
        arr = value.astype(object)
        return arr.reshape(1, -1) if arr.ndim < 2 else arr
    if not isinstance(value, list | tuple):
        value = [[value]]
    elif not value or not set(map(type, value)) <= {list, tuple}:
        value = [value]
    if len(set(map(len, value))) == 1:  # rectangular, as Excel sends ranges: one C-level copy
        arr = np.empty((len(value), len(value[0])), dtype=object)
        arr[:] = value
        return arr
    arr = np.full((len(value), max(len(r) for r in value)), None, dtype=object)
    for i, row in enumerate(value):
        arr[i, : len(row)] = list(row)
    return arr


def is_blank(v) -> bool:
    """An empty cell: None, blank text, or NaN."""
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v))


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, str) else str(v)


def _as_number(v) -> float:
    """A cell as a number: numbers and numeric text; NaN for anything else (dates, booleans, words)."""
    if isinstance(v, bool) or isinstance(v, dt.date | dt.time | dt.timedelta):
        return np.nan
    if isinstance(v, int | float | np.number):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return np.nan


_NUMBER_TYPES = {float, int, np.float64, np.int64}


def numbers(name: str, value, default: float | None = None, minimum: float | None = None,
            above: bool = False, maximum: float | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(values, errors): floats, and per cell None or the message for a blank (without a default), text,
    or a number outside [minimum, maximum] (``above``: strictly greater than minimum). Vectorised: a
    range of plain numbers is checked without a Python loop over its cells."""
    g = grid(value)
    types = {type(v) for v in g.flat}
    if types <= _NUMBER_TYPES:
        out, blank = g.astype(float), np.zeros(g.shape, bool)
    else:
        blank = np.vectorize(is_blank, otypes=[bool])(g) if g.size else np.zeros(g.shape, bool)
        out = np.vectorize(_as_number, otypes=[float])(g) if g.size else np.zeros(g.shape)
        out[blank] = np.nan if default is None else default
    bad = ~np.isfinite(out) & ~blank
    if minimum is not None:
        bad |= (out <= minimum) if above else (out < minimum)
    if maximum is not None:
        bad |= out > maximum
    if default is None:
        bad |= blank
    err = np.full(g.shape, None, dtype=object)
    if bad.any():
        expected = "a number"
        if minimum is not None:
            expected += f" {'>' if above else '>='} {minimum:g}"
        if maximum is not None:
            expected += f" and <= {maximum:,g}"
        for idx in zip(*np.nonzero(bad), strict=True):
            found = "blank" if blank[idx] else f"found {_show(g[idx])}"
            err[idx] = f"{ERROR} {name}: {found}, expected {expected}"
        out[bad] = np.nan
    return out, err


def choices(name: str, value, options: Sequence[str], default: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, errors): text matched case-insensitively to one of ``options``; blank is ``default``. A bad
    cell holds ``default`` too (its error says why), so the core is only ever given allowed values.
    Each distinct cell value is read once (a 10,000-row range holds a handful)."""
    g = grid(value)
    lookup = {o.lower(): o for o in options}
    meaning = {}
    for v in set(g.flat):
        hit = default if is_blank(v) else lookup.get(str(v).strip().lower())
        why = None if hit else f"{ERROR} {name}: found {_show(v)}, expected one of {', '.join(options)}"
        meaning[v] = (hit or default, why)
    if len(meaning) == 1:  # one value for the whole range (a column of "fill"): no per-cell work
        hit, why = next(iter(meaning.values()))
        return np.full(g.shape, hit, dtype=object), np.full(g.shape, why, dtype=object)
    pairs = [meaning[v] for v in g.flat]
    out = np.array([h for h, _ in pairs], dtype=object).reshape(g.shape)
    err = np.array([w for _, w in pairs], dtype=object).reshape(g.shape)
    return out, err


def broadcast(**args: tuple[np.ndarray, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Broadcast every (values, errors) pair to one shape, like Excel's array arithmetic: single cells
    and single rows/columns stretch; ranges of other sizes raise CellError. Returns the values by name
    and the first error per cell."""
    shapes = {k: v[0].shape for k, v in args.items()}
    try:
        shape = np.broadcast_shapes(*shapes.values())
    except ValueError:
        sizes = ", ".join(f"{k} {r}x{c}" for k, (r, c) in shapes.items() if (r, c) != (1, 1))
        raise CellError(
            f"{ERROR} ranges of different sizes ({sizes}): give ranges of one size, or single cells"
        ) from None
    values = {k: np.broadcast_to(v[0], shape) for k, v in args.items()}
    errors = np.full(shape, None, dtype=object)
    for _, e in args.values():
        e = np.broadcast_to(e, shape)
        errors = np.where(errors == None, e, errors)  # noqa: E711 (elementwise on an object array)
    return values, errors


def result(values: np.ndarray, errors: np.ndarray) -> list[list]:
    """The block Excel spills: numbers (or text), the message where a cell's input was bad, blank for NaN."""
    out = values.astype(object)
    if values.dtype.kind == "f":
        out[~np.isfinite(values)] = None
    bad = errors != None  # noqa: E711 (elementwise on an object array)
    out[bad] = errors[bad]
    return out.tolist()
