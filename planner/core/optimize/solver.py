"""One way to call HiGHS (``scipy.optimize.milp``) for the network models: options in one place, the
solver's stray console lines (HiGHS 1.12 prints a debug line from its MIP heuristics to the C stdout) kept
out of the planner's own output, a builder for sparse constraint rows, and every way a solve can fail as one
``SolveError`` naming the model, HiGHS' status and what to change (the channels report it as one line).

Costs are checked before HiGHS sees them: an objective coefficient that is not finite or above ``MAX_COST``
= 2^53 (about 9.0e15, the largest magnitude at which doubles still hold every whole currency unit) is
refused. Far beyond it HiGHS goes wrong: on tests/test_allocation.py's random instances, coefficients of
1e19 give a wrong optimum, and near 1e21 (beyond HiGHS' infinite cost, 1e20) HiGHS can abort the process
with a heap corruption."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from planner.model.errors import SolveError

CARBON_TIE_BREAK_PER_T = 1e-3  # a cost-only plan still prefers the lower-CO2 plan among equal-cost ones
MAX_COST = 2.0**53  # largest objective coefficient HiGHS is given (see the module docstring)


@dataclass(frozen=True)
class ModelInfo:
    """How a model is named in messages: ``what`` it is, the inputs its costs come from and the inputs
    that limit it (capacities, quantities), in the user's words (sheet columns and Settings names)."""

    what: str
    costs_from: str
    limits_from: str


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
          info: ModelInfo) -> OptimizeResult:  # fmt: skip
    """``milp`` with a time limit (s) and relative MIP gap. Raises SolveError when a cost is not finite or
    above MAX_COST, and when HiGHS returns no solution (a solution found by the time limit is returned)."""
    _check_costs(np.asarray(cost, float), info)
    with _quiet_stdout():
        res = milp(cost, integrality=integrality, bounds=bounds, constraints=constraints,
                   options={"time_limit": time_limit_s, "mip_rel_gap": gap})  # fmt: skip
    if res.x is None:
        raise SolveError(_no_solution(res, time_limit_s, info))
    return res


def _check_costs(cost: np.ndarray, info: ModelInfo) -> None:
    bad = ~np.isfinite(cost) | (np.abs(cost) > MAX_COST)
    if bad.any():
        worst = cost[bad][np.argmax(np.nan_to_num(np.abs(cost[bad]), nan=np.inf))]
        raise SolveError(f"{info.what}: an objective coefficient is {worst:.3g}, above the {MAX_COST:.2g} at which "
                         f"whole currency units are still exact; lower {info.costs_from}")  # fmt: skip


def _no_solution(res: OptimizeResult, time_limit_s: float, info: ModelInfo) -> str:
    """The one-line message for a solve without a solution: scipy's milp status 1 = time or iteration
    limit, 2 = infeasible, 3 = unbounded, 4 = anything else (HiGHS' own status is in ``res.message``)."""
    if res.status == 1:
        head, fix = "no solution within the time limit", f"raise solver_time_limit_s (now {time_limit_s:g} s)"
    elif res.status == 2:
        head, fix = "the model is infeasible", f"check {info.limits_from}"
    elif res.status == 3:
        head, fix = "the model is unbounded", f"check {info.costs_from} for negative values"
    else:
        head, fix = "no solution", f"check {info.costs_from} and {info.limits_from} for extreme values"
    return f"{info.what}: {head} (HiGHS: {res.message}); {fix}"


@dataclass
class Rows:
    """Constraint rows lo <= A x <= hi assembled block by block: ``add`` entries of the block being written
    (row numbers counted from the block's first row), then ``close`` it with its bounds, one per row."""

    n_rows: int = 0
    _rows: list = field(default_factory=list)
    _cols: list = field(default_factory=list)
    _vals: list = field(default_factory=list)
    _lo: list = field(default_factory=list)
    _hi: list = field(default_factory=list)

    def add(self, rows, cols, vals) -> None:
        self._rows.append(self.n_rows + np.asarray(rows))
        self._cols.append(np.asarray(cols))
        self._vals.append(np.asarray(vals, float))

    def close(self, lo, hi) -> None:
        self._lo.append(np.asarray(lo, float))
        self._hi.append(np.asarray(hi, float))
        self.n_rows += len(self._lo[-1])

    def constraint(self, n_vars: int) -> LinearConstraint:
        data = np.concatenate(self._vals), (np.concatenate(self._rows), np.concatenate(self._cols))
        A = sp.csr_array(data, shape=(self.n_rows, n_vars))
        return LinearConstraint(A, np.concatenate(self._lo), np.concatenate(self._hi))


def carbon_price(per_t: float) -> float:
    """Carbon price per kg CO2e used in an objective: the Settings price per tonne / 1000, with a tie-break."""
    return max(per_t, CARBON_TIE_BREAK_PER_T) / 1000.0
