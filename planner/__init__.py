"""planner: supply-chain planning for Excel workbooks (forecasts, reorder plans, purchase orders, KPIs).

Python API: ``plan_workbook(path)`` reads, validates and plans a workbook and returns a PlanResult;
``plan_workbook(path, output=...)`` also writes the planned workbook. The pure models live in
``planner.core.forecast``, ``planner.core.inventory``, ``planner.core.suppliers`` and ``planner.core.kpis``.
"""

from planner._version import __version__

__all__ = ["__version__", "plan_workbook"]


def plan_workbook(path, output=None, in_place: bool = False):
    """Plan the workbook at ``path``; write the result to ``output`` (or in place) when asked.
    Returns a planner.pipeline.plan.PlanResult. Raises planner.model.errors.PlannerError on structural problems."""
    from planner.channels.api import plan_workbook as run

    return run(path, output=output, in_place=in_place)
