"""The one check of a choice argument (forecast method, service type, policy, transport mode, ...) of a public
core function: a value outside the allowed ones is an error naming it and the allowed values, never a silent
fallback to some default."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.model.errors import PlannerError


class ChoiceError(PlannerError, ValueError):
    """A choice argument holds a value that is not one of the allowed ones (one line, meant for the user)."""


def check_choice(what: str, values, allowed: Sequence[str]) -> None:
    """Raise ChoiceError when any of ``values`` (one value or an array of them) is not in ``allowed``:
    ``unknown forecast method 'sesx': use one of auto, mean, ...``. Vectorised (100,000 values: < 1 ms)."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "UO":  # numbers, booleans: compared as the objects they are
        arr = arr.astype(object)
    ok = np.isin(arr, np.asarray(allowed, dtype=None if arr.dtype.kind == "U" else object))
    if not ok.all():
        first = arr[~ok].ravel()[0]
        first = first.item() if isinstance(first, np.generic) else first
        raise ChoiceError(f"unknown {what} {first!r}: use one of {', '.join(allowed)}")
