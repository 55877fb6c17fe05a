"""The solver wrapper: HiGHS' console noise is hidden, and the real stdout always comes back, also when
several threads solve at once (as under xlwings Server); every solve without a plan is a SolveError naming
the model, HiGHS' status and what to change, reported by the command line as one line with exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint
from test_allocation import random_instance
from test_distribution import DAY0, random_network

from planner.core.optimize.allocation import AllocationSettings, allocate
from planner.core.optimize.distribution import DistributionSettings, plan_distribution
from planner.core.optimize.solver import MAX_COST, ModelInfo, solve
from planner.model.errors import PlannerError, SolveError
from planner.workbook.sample import sample_frames
from planner.workbook.template import write_template


def run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True)


@pytest.mark.slow
def test_overlapping_solves_give_stdout_back():
    """Thread A starts hiding, B starts, A finishes, B finishes: the order that loses stdout when each
    solve saves and restores descriptor 1 on its own."""
    proc = run(
        """
        import os, threading
        from planner.core.optimize.solver import _quiet_stdout
        a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

        def a():
            with _quiet_stdout():
                os.write(1, b"hidden a\\n")
                a_in.set()
                b_in.wait()
            a_out.set()

        def b():
            a_in.wait()
            with _quiet_stdout():
                b_in.set()
                a_out.wait()
                os.write(1, b"hidden b\\n")

        threads = [threading.Thread(target=a), threading.Thread(target=b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        os.write(1, b"still here\\n")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "still here\n"


@pytest.mark.slow
def test_solve_hides_highs_and_returns_the_optimum():
    proc = run(
        """
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint
        from planner.core.optimize.solver import ModelInfo, solve
        cons = LinearConstraint(np.array([[1.0, 1.0]]), [3.0], [np.inf])
        info = ModelInfo("test", "", "")
        res = solve(np.array([1.0, 2.0]), np.ones(2), Bounds([0, 0], [10, 10]), cons, 10, 1e-4, info)
        print(res.fun)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "3.0\n"


def solve_tiny(cost, ub, lo_row, hi_row, time_limit_s=10.0):
    """x1 + x2 in [lo_row, hi_row], 0 <= x <= ub, through the wrapper (real HiGHS)."""
    info = ModelInfo("tiny model", costs_from="the tiny costs", limits_from="the tiny limits")
    cons = LinearConstraint(np.array([[1.0, 1.0]]), [lo_row], [hi_row])
    return solve(np.array(cost, float), np.zeros(2), Bounds([0, 0], ub), cons, time_limit_s, 1e-4, info)


def test_infeasible_and_unbounded_models_say_what_to_check():
    with pytest.raises(SolveError, match=r"^tiny model: the model is infeasible \(HiGHS: .*\); check the tiny limits$"):
        solve_tiny([1.0, 1.0], [1.0, 1.0], 3.0, np.inf)  # x1 + x2 >= 3 with x <= 1
    with pytest.raises(SolveError, match=r"^tiny model: the model is unbounded .*check the tiny costs for negative"):
        solve_tiny([-1.0, 0.0], [np.inf, 1.0], 0.0, np.inf)
    assert issubclass(SolveError, PlannerError)  # so every channel reports it as one line, exit 2


def test_costs_beyond_max_cost_are_refused_before_highs():
    """1e16 and NaN are refused with the cost's value; MAX_COST (2^53, about 9.0e15) itself still solves."""
    for bad, shown in ((1e16, "1e+16"), (-2e16, "-2e+16"), (np.nan, "nan")):
        with pytest.raises(
            SolveError, match=rf"^tiny model: an objective coefficient is {re.escape(shown)}, .*lower the tiny costs"
        ):
            solve_tiny([1.0, bad], [10.0, 10.0], 3.0, np.inf)
    assert solve_tiny([1.0, MAX_COST], [10.0, 10.0], 3.0, np.inf).fun == 3.0


def test_a_time_limit_too_small_for_real_instances_is_a_solve_error():
    """A real distribution network (2,306 arcs) and a real allocation (1,200 offers) with 0.1 ms to solve:
    HiGHS stops without a solution, the error names the model, HiGHS' status and the setting to raise."""
    sup, rq, ln, it = random_network(7, n_o=10, n_d=200)
    with pytest.raises(SolveError) as dist:
        plan_distribution(sup, rq, ln, it, DistributionSettings(DAY0, time_limit_s=1e-4))
    o, req, abc, cap = random_instance(1)
    with pytest.raises(SolveError) as alloc:
        allocate(o, req, abc, cap, AllocationSettings(time_limit_s=1e-4))
    for exc, what in ((dist, "distribution plan"), (alloc, "supplier allocation")):
        text = str(exc.value)
        assert text.startswith(f"{what}: no solution within the time limit (HiGHS: Time limit reached.")
        assert "HiGHS Status 13" in text and text.endswith("raise solver_time_limit_s (now 0.0001 s)")
        assert "\n" not in text


@pytest.mark.slow
def test_costs_too_large_for_the_solver_in_a_workbook_are_one_line_and_exit_2(tmp_path):
    """Offers priced at 1e12 per unit in lots of 10,000 (each cell within what validation accepts): the
    allocation's cost per lot, about 1e16, is above 2^53, where doubles lose whole currency units, and is
    refused before HiGHS (coefficients near 1e21 can abort the process inside HiGHS); the run stops with one
    line naming the model and the inputs to lower, exit 2, and no file is written."""
    frames = sample_frames(n_skus=20)
    frames["Offers"] = frames["Offers"].assign(unit_price=1e12, order_multiple=10_000.0)
    src = write_template(tmp_path / "extreme.xlsx", frames)
    proc = subprocess.run([sys.executable, "-m", "planner", "run", str(src), "-q"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "500"})  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    # 1e12 x 10,000 per lot, plus the risk cost risk_cost_rate x (1 - score) x price
    assert re.match(
        r"planner: supplier allocation: an objective coefficient is 1\.\d+e\+16, above the 9e\+15", lines[0]
    )
    assert lines[0].endswith("or the Offers' unit_price")
    assert not (tmp_path / "extreme.planned.xlsx").exists()
