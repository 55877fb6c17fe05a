"""``python -m planner``: the command line."""

from planner.channels.cli import main

raise SystemExit(main())
