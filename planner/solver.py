"""One way to call HiGHS (``scipy.optimize.milp``) for the network models: options in one place, and the
solver's stray console lines (HiGHS 1.12 prints a debug line from its MIP heuristics to the C stdout) kept
out of the planner's own output."""

from __future__ import annotations

import contextlib
import os
import sys

from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

CARBON_TIE_BREAK_PER_T = 1e-3  # a cost-only plan still prefers the lower-CO2 plan among equal-cost ones


@contextlib.contextmanager
def _quiet_stdout():
    """Send file descriptor 1 to /dev/null while HiGHS runs (Python's own sys.stdout is untouched)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (e.g. inside Excel): nothing to hide
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def solve(cost, integrality, bounds: Bounds, constraints: LinearConstraint, time_limit_s: float, gap: float,
          what: str) -> OptimizeResult:  # fmt: skip
    """``milp`` with a time limit and relative MIP gap; raises RuntimeError when HiGHS returns no solution."""
    with _quiet_stdout():
        res = milp(cost, integrality=integrality, bounds=bounds, constraints=constraints,
                   options={"time_limit": time_limit_s, "mip_rel_gap": gap})  # fmt: skip
    if res.x is None:
        raise RuntimeError(f"{what}: HiGHS found no solution ({res.message})")
    return res


def carbon_price(per_t: float) -> float:
    """Carbon price per kg CO2e used in an objective: the Settings price per tonne / 1000, with a tie-break."""
    return max(per_t, CARBON_TIE_BREAK_PER_T) / 1000.0
