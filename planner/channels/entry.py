"""The command line's entry point: the ``planner`` script and ``python -m planner``. Standard library only
(and planner/workbook/interrupts.py, itself standard library only) until the stop handler is set, so SIGINT and
SIGTERM end a run the same way at any moment once the interpreter reaches it: exit code 130, a one-line
message, nothing half-written, no traceback.

- From the first statement a stop is recorded only (``record_stop``), never raised: the modules load whole and
  the run then ends at once. Raised while they loaded, a KeyboardInterrupt that landed inside a compiled
  extension's initialisation (scipy's HiGHS wrapper) became "ImportError: initialization failed" with a
  traceback and exit code 1, or left CPython's unhandled-interrupt flag set, so that the process killed itself
  with SIGINT at exit (both seen in a fresh-clone CI run).
- The run (planner.channels.cli.main) raises stops only inside the ``try`` that reports them
  (``stop_on_signals``, ``interrupts_allowed``).
- Once the run has returned or raised, the outcome is settled: the stop signals are ignored and a stop
  recorded meanwhile is forgotten, so the exit code is the run's. (A SIGTERM during the interpreter's
  shutdown, when Python puts the default handlers back, killed a run that had saved its file: exit -15 for a
  complete plan.) Ignored, not blocked: a signal blocked in the main thread alone reaches the process through
  another thread (a BLAS or solver worker), and the interpreter's shutdown leaves ignored signals ignored.

For a process's entry only: it leaves SIGINT and SIGTERM ignored. A caller that lives on (a notebook, a server,
a test) calls planner.channels.cli.main, which puts the earlier handlers back.
"""

from __future__ import annotations

import signal
import sys

from planner.workbook.interrupts import STOP_SIGNALS, forget_stop, record_stop, stop_requested


def main(argv: list[str] | None = None) -> int:
    """Record stops from here, load the command line (planner.channels.cli) and run it; the exit code."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, record_stop)
    try:
        from planner.channels.cli import main as run

        if stop_requested():  # stopped while loading: nothing was read or written yet
            print("planner: interrupted; no file was changed", file=sys.stderr)
            return 130
        return run(argv)
    finally:
        _settle()


def _settle() -> None:
    """The outcome is settled: stop signals ignored from here to the process's end, a recorded one forgotten."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    forget_stop()
