"""One way to call HiGHS (``scipy.optimize.milp``) for the network models: options in one place, and the
solver's stray console lines (HiGHS 1.12 prints a debug line from its MIP heuristics to the C stdout) kept
out of the planner's own output."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

CARBON_TIE_BREAK_PER_T = 1e-3  # a cost-only plan still prefers the lower-CO2 plan among equal-cost ones


_lock = threading.Lock()
_quiet = {"depth": 0, "saved": -1}  # nested or concurrent solves share one redirection


@contextlib.contextmanager
def _quiet_stdout():
    """Send file descriptor 1 to /dev/null while HiGHS runs (Python's own sys.stdout object is untouched).
    Solves in several threads (xlwings Server) share one redirection: the first one in saves the real
    descriptor, the last one out puts it back, so stdout is never left pointing at /dev/null."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (e.g. inside Excel): nothing to hide
        yield
        return
    with _lock:
        if _quiet["depth"] == 0:
            sys.stdout.flush()
            _quiet["saved"] = os.dup(fd)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0:
                os.dup2(_quiet["saved"], fd)
                os.close(_quiet["saved"])


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
