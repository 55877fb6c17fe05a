"""The command line's entry point: the ``planner`` script and ``python -m planner``. Standard library only
(and planner/workbook/interrupts.py, itself standard library only) until the stop handlers are set, so SIGINT
and SIGTERM end a run the same way at any moment once the interpreter reaches it: exit code 130, nothing
half-written, no traceback.

- While the modules load, a stop is held until they are in (``interrupts_deferred``), then ends the run: raised
  inside a compiled extension's initialisation (scipy's HiGHS wrapper), a KeyboardInterrupt became
  "ImportError: initialization failed" with a traceback and exit code 1, or left CPython's unhandled-interrupt
  flag set so that the process killed itself with SIGINT at exit (both seen in a fresh-clone CI run).
- Between the loading and the run's own handler (``stop_on_signals`` in planner.channels.cli), and after it,
  a stop is recorded only (``record_stop``): the run acts on a recorded stop when it starts; after the run the
  outcome is settled, and the stop signals are ignored so that the exit code is the run's (a SIGTERM during
  the interpreter's shutdown, when Python puts the default handlers back, killed a run that had saved its
  file: exit -15 for a complete plan).

For a process's entry only: it leaves SIGINT and SIGTERM ignored. A caller that lives on (a notebook, a server,
a test) calls planner.channels.cli.main, which puts the earlier handlers back.
"""

from __future__ import annotations

import signal
import sys

from planner.workbook.interrupts import STOP_SIGNALS, interrupt, interrupts_deferred, record_stop


def main(argv: list[str] | None = None) -> int:
    """Set the stop handlers, load the command line (planner.channels.cli) and run it; the exit code."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, interrupt)
    try:
        with interrupts_deferred():
            from planner.channels.cli import main as run
    except KeyboardInterrupt:  # stopped while loading: nothing was read or written yet
        print("planner: interrupted; no file was changed", file=sys.stderr)
        return _settled(130)
    for sig in STOP_SIGNALS:
        signal.signal(sig, record_stop)
    return _settled(run(argv))


def _settled(code: int) -> int:
    """The run's exit code, the stop signals ignored from here to the process's end: process-wide (a signal
    blocked in the main thread alone reaches the process through another thread, a BLAS or solver worker), and
    left ignored by the interpreter's shutdown, which puts the default action back only for Python handlers."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    return code
