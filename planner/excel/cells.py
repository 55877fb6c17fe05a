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
    elif not value or not all(isinstance(r, list | tuple) for r in value):
        value = [value]
    arr = np.full((len(value), max(len(r) for r in value)), None, dtype=object)
    for i, row in enumerate(value):
        arr[i, : len(row)] = list(row)
    return arr


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v))


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, str) else str(v)


def _as_number(v) -> float | None:
    if isinstance(v, bool) or isinstance(v, dt.date | dt.time | dt.timedelta):
        return None
    if isinstance(v, int | float | np.number):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def numbers(name: str, value, default: float | None = None, minimum: float | None = None,
            above: bool = False, maximum: float | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(values, errors): floats, and per cell None or the message for a blank (without a default), text,
    or a number outside [minimum, maximum] (``above``: strictly greater than minimum)."""
    g = grid(value)
    out = np.full(g.shape, np.nan)
    err = np.full(g.shape, None, dtype=object)
    bound = "a number"
    if minimum is not None:
        bound += f" {'>' if above else '>='} {minimum:g}"
    if maximum is not None:
        bound += f" and <= {maximum:g}"
    for idx, v in np.ndenumerate(g):
        if _blank(v):
            if default is None:
                err[idx] = f"{ERROR} {name}: blank, expected {bound}"
            else:
                out[idx] = default
            continue
        x = _as_number(v)
        bad = x is None or not np.isfinite(x)
        bad = bad or (minimum is not None and (x <= minimum if above else x < minimum))
        bad = bad or (maximum is not None and x > maximum)
        if bad:
            err[idx] = f"{ERROR} {name}: found {_show(v)}, expected {bound}"
        else:
            out[idx] = x
    return out, err


def choices(name: str, value, options: Sequence[str], default: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, errors): text matched case-insensitively to one of ``options``; blank is ``default``."""
    g = grid(value)
    lookup = {o.lower(): o for o in options}
    out = np.full(g.shape, default, dtype=object)
    err = np.full(g.shape, None, dtype=object)
    for idx, v in np.ndenumerate(g):
        if _blank(v):
            continue
        hit = lookup.get(str(v).strip().lower())
        if hit is None:
            err[idx] = f"{ERROR} {name}: found {_show(v)}, expected one of {', '.join(options)}"
        else:
            out[idx] = hit
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
    out = []
    for row_v, row_e in zip(values, errors, strict=True):
        cells = []
        for v, e in zip(row_v, row_e, strict=True):
            if e is not None:
                cells.append(e)
            elif isinstance(v, float | np.floating):
                cells.append(None if not np.isfinite(v) else float(v))
            else:
                cells.append(v.item() if isinstance(v, np.generic) else v)
        out.append(cells)
    return out
