"""Errors a planner sees as one clear line (the command line exits 2 on them, never a traceback)."""


class PlannerError(Exception):
    """Base class: the message is meant for the user as it is."""


class InputError(PlannerError):
    """A structural problem in the input: not a workbook, a required sheet or column missing."""


class OutputError(PlannerError):
    """The result cannot be saved: file open in another program, folder not writable, disk full."""


class SolveError(PlannerError):
    """An optimisation model gave no usable plan (time limit reached before any solution, infeasible or
    unbounded, or costs too large to weigh): the message names the model, HiGHS' status and what to change."""
