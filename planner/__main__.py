"""``python -m planner``: the command line (planner.channels.entry, which sets the stop handlers before anything
heavy loads)."""

from planner.channels.entry import main

raise SystemExit(main())
