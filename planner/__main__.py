"""``python -m planner``: the command line. SIGINT and SIGTERM stop the run through the same handler from the
first moment, before anything heavy loads (planner/workbook/interrupts.py, standard library only), so a stop at
any moment ends the run the same way (nothing half-written, the exit code 130)."""

import signal
import sys

from planner.workbook.interrupts import STOP_SIGNALS, interrupt

for _sig in STOP_SIGNALS:
    signal.signal(_sig, interrupt)
try:
    from planner.channels.cli import main
except KeyboardInterrupt:  # stopped while loading: nothing was read or written yet
    print("planner: interrupted; no file was changed", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
