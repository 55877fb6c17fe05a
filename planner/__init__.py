"""planner: supply-chain planning for Excel workbooks (forecasts, reorder plans, purchase orders, KPIs).

Python API: ``plan_workbook(path)`` reads, validates and plans a workbook and returns a PlanResult;
``plan_workbook(path, output=...)`` also writes the planned workbook. The pure models live in
``planner.forecast``, ``planner.inventory``, ``planner.suppliers`` and ``planner.kpis``.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "plan_workbook"]


def plan_workbook(path, output=None, in_place: bool = False):
    """Plan the workbook at ``path``; write the result to ``output`` (or in place) when asked.
    Returns a planner.plan.PlanResult. Raises planner.errors.PlannerError on structural problems."""
    from planner.api import plan_workbook as run

    return run(path, output=output, in_place=in_place)
