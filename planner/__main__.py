"""``python -m planner``: the command line. SIGTERM is turned into Ctrl-C before anything else loads, so a
stop at any moment ends the run the same way (nothing half-written, the exit code 130)."""

import signal
import sys


def _interrupt(signum, frame):
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _interrupt)
try:
    from planner.channels.cli import main
except KeyboardInterrupt:  # stopped while loading: nothing was read or written yet
    print("planner: interrupted; no file was changed", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
