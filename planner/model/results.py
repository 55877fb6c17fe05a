"""What a plan returns: frames per output sheet and the network's solutions. Types only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from planner.model.settings import Settings

# The Reorder Plan's columns: the contract's, then extras.
REORDER_COLUMNS = [
    "sku", "site", "description", "supplier", "abc", "xyz", "demand_class", "forecast_method",
    "demand_per_day", "demand_sd_per_day", "demand_distribution", "lead_time_days", "lead_time_sd_days", "policy",
    "service_type", "service_level", "safety_factor", "safety_stock", "reorder_point", "order_up_to",
    "order_quantity", "on_hand", "on_order", "backorders", "inventory_position", "suggested_order",
    "unit_price", "order_value", "order_date", "expected_arrival", "days_of_cover", "expected_fill_rate",
    "simulated_fill_rate", "excess_units", "run_out_date", "first_below_safety_stock", "excess_periods", "status",
    "note",
]  # fmt: skip


@dataclass
class Allocation:
    lines: pd.DataFrame  # one row per offer of a SKU with a requirement: quantity, share, costs, note
    skus: pd.DataFrame  # per SKU: requirement, bought, shortfall, suppliers used, HHI, binding constraint
    problems: list[tuple[str, str, str]]  # (sku, constraint, message) for Issues
    status: str  # HiGHS outcome in words
    gap: float  # relative gap of the plan to the best bound HiGHS proved (0: optimal)
    objective: float
    method: str = ""  # "exact" (HiGHS proved the optimum) or "heuristic" (exact solve not done in time)
    heuristic_objective: float = float("nan")  # the rounding heuristic's objective, for comparison
    exact_seconds: float = float("nan")  # wall-clock time of the exact solve (NaN: not tried)


@dataclass
class DistributionPlan:
    flows: pd.DataFrame  # per lane x requirement with flow > 0
    shipments: pd.DataFrame  # per lane used: units, volume, weight, trucks, fill, cost, CO2
    requirements: pd.DataFrame  # per requirement: delivered, short, fill rate, on time, lead time
    totals: dict[str, float]
    status: str
    gap: float


@dataclass
class History:
    """Demand per period for each Stock row: Y (rows x periods, NaN before the first record)."""

    Y: np.ndarray
    period_starts: pd.DatetimeIndex  # first day of each history period
    days_per_period: float
    future_starts: pd.DatetimeIndex  # first day of each forecast period


class KpiRow(NamedTuple):
    """One KPI before its target and traffic light are added."""

    kpi: str
    value: float
    unit: str  # percent | money | days | count | ratio | kg
    higher_is_better: bool
    definition: str


@dataclass(frozen=True)
class PricedPlan:
    """The network's solutions at one carbon price (None where the model had nothing to plan)."""

    allocation: Allocation | None
    distribution: DistributionPlan | None


@dataclass
class NetworkResult:
    scorecard: pd.DataFrame | None = None
    supplier_summary: pd.DataFrame | None = None
    allocation: Allocation | None = None
    distribution: DistributionPlan | None = None
    carbon: pd.DataFrame | None = None  # trade-off over carbon prices, cost-only first
    by_price: dict[float, PricedPlan] = field(default_factory=dict)  # every solve of the trade-off
    comparison: dict[str, float] | None = None  # the plan vs the cost-only plan
    backhaul: pd.DataFrame | None = None  # returns per site and dispatch period carried back (planner.core.backhaul)


@dataclass(frozen=True)
class RoundsResult:
    """Delivery rounds of every depot-day: stops in visiting order, one row per route, what could not be
    served and why, the site positions the chart draws, and the comparison with direct delivery."""

    stops: pd.DataFrame  # one row per route activity (planner.core.optimize.rounds.STOP_COLUMNS)
    summary: pd.DataFrame  # one row per route
    unserved: pd.DataFrame  # depot, date, site, units, reason
    positions: pd.DataFrame  # site, x, y (x_km/y_km, else longitude/latitude)
    plane: str  # "km" or "degrees": what x and y are
    comparison: dict[str, float]  # rounds vs direct: km, cost, co2_kg and the savings
    seconds: float  # route solver time


@dataclass(frozen=True)
class IssueCounts:
    """Every issue logged, by category (the Issues sheet lists at most 1,000 rows per kind)."""

    data: int = 0  # data issues: the inputs need a look
    data_errors: int = 0  # of which errors (rows skipped)
    plan: int = 0  # plan exceptions: the plan cannot do everything asked


@dataclass
class PlanResult:
    reorder: pd.DataFrame
    purchase_orders: pd.DataFrame
    forecast: pd.DataFrame
    kpis: pd.DataFrame
    abc: pd.DataFrame
    occupancy: pd.DataFrame | None
    issues: pd.DataFrame
    run_info: pd.DataFrame
    settings: Settings | None = None
    network: NetworkResult = field(default_factory=NetworkResult)
    service: pd.DataFrame | None = None  # the Service Check (None with service_check = off)
    rounds: RoundsResult | None = None  # delivery rounds (None without Vehicles and Requirements)
    issue_counts: IssueCounts = field(default_factory=IssueCounts)
    projected: pd.DataFrame | None = None  # Projected Inventory: one row per sku, site and period
    # planned transfers (sku, origin, destination, quantity, ship_date, due_date): the internal planned releases
    transfers: pd.DataFrame | None = None
