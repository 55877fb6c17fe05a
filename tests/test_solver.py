"""The solver wrapper: HiGHS' console noise is hidden, and the real stdout always comes back, also when
several threads solve at once (as under xlwings Server)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True)


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


def test_solve_hides_highs_and_returns_the_optimum():
    proc = run(
        """
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint
        from planner.core.optimize.solver import solve
        cons = LinearConstraint(np.array([[1.0, 1.0]]), [3.0], [np.inf])
        res = solve(np.array([1.0, 2.0]), np.ones(2), Bounds([0, 0], [10, 10]), cons, 10, 1e-4, "test")
        print(res.fun)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "3.0\n"
