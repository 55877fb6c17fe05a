"""The Settings sheet as data and as a typed value.

``SETTINGS`` lists every setting's name, default, kind, bounds and meaning: the one place a default is
defined. ``Settings`` is the frozen, typed value a run uses, parsed once from the Settings sheet by the
workbook layer (``Settings.from_values``), with the derived lists (carbon prices, diversified classes) already
parsed; the models' own settings (``AllocationSettings``, ``DistributionSettings``) are built from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import pandas as pd

MAX_NUMBER = 1e9  # the largest value of a number setting without a maximum of its own
MAX_DAYS = 3650  # ten years: the longest lead time, review interval or transit time accepted
FIRST_DATE, LAST_DATE = "1900-01-01", "2199-12-31"  # dates outside these are not valid


@dataclass(frozen=True)
class Setting:
    name: str
    default: object  # None = computed (planning_date = today, season_length by period)
    kind: str  # number | int | text | date | choice | numbers (comma list) | classes (comma list of A/B/C)
    meaning: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    aliases: tuple[tuple[str, str], ...] = ()  # other spellings accepted for a choice: (spelling, choice)

    @property
    def upper(self) -> float:
        """The largest value accepted: the maximum, else a sane bound (finite numbers only, ever)."""
        return self.maximum if self.maximum is not None else MAX_NUMBER


FORECAST_METHODS = (
    "auto",
    "mean",
    "moving_average",
    "ses",
    "holt",
    "holt_winters",
    "croston",
    "sba",
    "tsb",
    "theta",
    "damped",
    "comb",
)

SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("planning_date", None, "date", "Date the plan is made for (default: today)"),
        Setting(
            "period",
            "week",
            "choice",
            "Forecast bucket",
            ("day", "week", "month"),
            aliases=(
                ("daily", "day"),
                ("days", "day"),
                ("weekly", "week"),
                ("weeks", "week"),
                ("monthly", "month"),
                ("months", "month"),
            ),
        ),
        Setting("horizon_periods", 12, "int", "Periods forecast ahead", minimum=1, maximum=520),
        Setting("days_per_year", 365, "number", "Days in a planning year", minimum=1, maximum=366),
        Setting("currency", "EUR", "text", "Currency code shown on money columns"),
        Setting("holding_rate", 0.25, "number", "Annual holding cost fraction", minimum=0, maximum=5),
        Setting("order_cost", 50, "number", "Cost per order", minimum=0),
        Setting("service_level", 0.95, "number", "Target service", minimum=0.5, maximum=0.9999),
        Setting(
            "service_type",
            "cycle",
            "choice",
            "cycle or fill",
            ("cycle", "fill"),
            aliases=(("cycle service", "cycle"), ("alpha", "cycle"), ("fill rate", "fill"), ("beta", "fill")),
        ),
        Setting(
            "policy",
            "sQ",
            "choice",
            "sQ or RS",
            ("sQ", "RS"),
            aliases=(("s,Q", "sQ"), ("(s,Q)", "sQ"), ("s Q", "sQ"), ("R,S", "RS"), ("(R,S)", "RS"), ("R S", "RS")),
        ),
        Setting("review_days", 7, "number", "Review interval for RS", minimum=0, maximum=MAX_DAYS),
        Setting(
            "review_days_sq", 1, "number", "Days between stock reviews of sQ items (0 = continuous)", minimum=0,
            maximum=MAX_DAYS,
        ),
        Setting(
            "unmet_demand", "backorder", "choice", "Demand not served from stock is backordered or lost",
            ("backorder", "lost"), aliases=(("backorders", "backorder"), ("lost sales", "lost")),
        ),
        Setting(
            "variance_pooling", "class", "choice", "Demand variance pooled across items of one demand class, or off",
            ("class", "off"), aliases=(("on", "class"), ("yes", "class"), ("no", "off"), ("none", "off")),
        ),
        Setting(
            "service_check", "tune", "choice", "Simulate each policy day by day: tune, report or off",
            ("tune", "report", "off"),
        ),
        Setting("lead_time_days", 14, "number", "Lead time when nothing else gives one", minimum=0, maximum=MAX_DAYS),
        Setting(
            "lead_time_sd_days", 0, "number", "Lead-time sd when nothing else gives one", minimum=0, maximum=MAX_DAYS
        ),
        Setting("return_restock_days", 2, "number", "Days from a restocked return to stock", minimum=0,
                maximum=MAX_DAYS),
        Setting("return_refurbish_days", 14, "number", "Days from a refurbished return to stock", minimum=0,
                maximum=MAX_DAYS),
        Setting("returns_max_wait_days", 7, "number",
                "Days returns may wait at a site for an outbound truck going back before a dedicated truck collects "
                "them", minimum=0, maximum=MAX_DAYS),
        Setting("forecast_method", "auto", "choice", "Forecast method for all series", FORECAST_METHODS),
        Setting(
            "season_length", None, "int", "Periods per season (52 weeks, 12 months, 7 days)", minimum=1, maximum=520
        ),
        Setting("carbon_price_per_t", 0, "number", "Carbon price per tonne CO2e", minimum=0),
        Setting("shortage_penalty_per_unit", 1000, "number",
                "Penalty per unit short (penalty_scaling auto: on top of the dearest path cost per unit)", minimum=0),
        Setting("penalty_scaling", "auto", "choice",
                "auto: shortage and late penalties add the dearest path cost per unit, so buying or shipping always "
                "wins when possible; flat: the penalties as given", ("auto", "flat")),
        Setting("weight_price", 0.4, "number", "Supplier score weight: price (per SKU)", minimum=0),
        Setting("weight_lead_time", 0.15, "number", "Supplier score weight: lead time", minimum=0),
        Setting("weight_lead_time_sd", 0.1, "number", "Supplier score weight: lead-time variability", minimum=0),
        Setting("weight_on_time", 0.15, "number", "Supplier score weight: on-time rate", minimum=0),
        Setting("weight_quality", 0.1, "number", "Supplier score weight: defect rate", minimum=0),
        Setting("weight_co2", 0.1, "number", "Supplier score weight: CO2 per unit", minimum=0),
        Setting("risk_cost_rate", 0.1, "number", "Allocation risk cost: (1 - score) x this x unit price", minimum=0),
        Setting(
            "max_supplier_share",
            0.7,
            "number",
            "Largest share of one supplier (diversified SKUs)",
            minimum=0.01,
            maximum=1,
        ),
        Setting(
            "min_suppliers",
            2,
            "int",
            "Suppliers a diversified SKU uses where enough offers exist",
            minimum=1,
            maximum=100,
        ),
        Setting("diversify_abc", ("A",), "classes", "ABC classes that are diversified, e.g. A or A,B"),
        Setting("late_penalty_per_unit", 100, "number",
                "Cost per unit and day delivered after its due date (auto: plus the dearest path cost per unit)",
                minimum=0),
        Setting("transport_co2_cap_kg", 0, "number", "Largest transport CO2 of the distribution plan, kg (0: none)",
                minimum=0),
        Setting("allocation_exact_time_limit_s", 30, "number",
                "Time the exact supplier allocation may take before the heuristic's plan is kept (0: heuristic)",
                minimum=0, maximum=86_400),
        Setting(
            "fair_share_floor",
            0.5,
            "number",
            "Share of its proportional ration every destination gets first",
            minimum=0,
            maximum=1,
        ),
        Setting(
            "carbon_prices",
            (0.0, 50.0, 100.0, 200.0, 500.0),
            "numbers",
            "Carbon prices per t CO2e for the trade-off table",
            minimum=0,
        ),
        Setting(
            "solver_time_limit_s", 60, "number", "Time limit of each optimisation, seconds", minimum=1, maximum=86_400
        ),
        # delivery rounds (issue 13)
        Setting("road_factor", 1.3, "number", "Road km per great-circle km (sites given by latitude/longitude)",
                minimum=1, maximum=5),
        Setting("rounds_iterations_per_stop", 300, "int",
                "Route search iterations per store of a depot-day (same workbook and seed, same routes)", minimum=1,
                maximum=1e6),
        Setting("rounds_seconds_per_stop", 1.0, "number",
                "Route solver time cap per store of a depot-day, seconds (a search it stops is listed in Issues)",
                minimum=0.01, maximum=600),
        Setting("rounds_seed", 1, "int", "Seed of the route solver (same seed, same routes)", minimum=0,
                maximum=1e9),
        Setting("max_trips", 3, "int", "Trips a vehicle may make in its shift (reloading at the depot)", minimum=1,
                maximum=20),
        Setting("split_deliveries", "no", "choice", "yes: a drop too big for any vehicle is split over visits",
                ("yes", "no"), aliases=(("true", "yes"), ("false", "no"), ("y", "yes"), ("n", "no"))),
        Setting("distance_step_km", 0, "number", "Computed leg lengths rounded to a multiple of this (0: exact)",
                minimum=0, maximum=1000),
        Setting("target_vehicle_fill", 0.8, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_availability", 0.95, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_fill_rate", 0.95, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_days_of_cover", 45, "number", "KPI target (at most)", minimum=0),
        Setting("target_inventory_turns", 6, "number", "KPI target (at least)", minimum=0),
        Setting("target_excess_stock_value", 0, "number", "KPI target (at most)", minimum=0),
        Setting("target_stockout_risk_skus", 0, "number", "KPI target (at most)", minimum=0),
        Setting("target_forecast_wape", 0.5, "number", "KPI target (at most)", minimum=0),
        Setting("target_forecast_bias", 0.1, "number", "KPI target (|bias| at most)", minimum=0),
        Setting("target_occupancy", 0.9, "number", "KPI target and occupancy flag (at most)", minimum=0),
        Setting("target_requirement_fill_rate", 0.98, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_on_time_share", 0.95, "number", "KPI target", minimum=0, maximum=1),
        Setting("target_spend_hhi", 0.5, "number", "KPI target (at most)", minimum=0, maximum=1),
        Setting("target_supplier_on_time", 0.9, "number", "KPI target", minimum=0, maximum=1),
        Setting("kpi_amber_band", 0.1, "number", "Amber when within this fraction of target", minimum=0),
        Setting("abc_a_share", 0.8, "number", "Cumulative value share of class A", minimum=0, maximum=1),
        Setting("abc_b_share", 0.95, "number", "Cumulative value share of A + B", minimum=0, maximum=1),
        Setting("xyz_x_cv", 0.5, "number", "Demand CV below which an item is X", minimum=0),
        Setting("xyz_y_cv", 1.0, "number", "Demand CV below which an item is Y", minimum=0),
        Setting("max_cover_days", 365, "number", "An order covering more days of demand than this is flagged",
                minimum=1),
        Setting("max_history_years", 10, "number", "Demand older than this before the planning date is not used",
                minimum=1, maximum=100),
        Setting("max_input_mb", 1000, "number", "Largest input sheet read, MB of uncompressed XML", minimum=1,
                maximum=100_000),
        Setting("max_input_cells", 30_000_000, "number", "Largest used range of an input sheet, in cells",
                minimum=1, maximum=1e10),
    ]
}  # fmt: skip

KPI_TARGETS = {
    "availability": "target_availability",
    "availability_value_weighted": "target_availability",
    "expected_fill_rate": "target_fill_rate",
    "simulated_fill_rate": "target_fill_rate",
    "history_fill_rate": "target_fill_rate",
    "days_of_cover": "target_days_of_cover",
    "inventory_turns": "target_inventory_turns",
    "excess_stock_value": "target_excess_stock_value",
    "stockout_risk_skus": "target_stockout_risk_skus",
    "forecast_wape": "target_forecast_wape",
    "forecast_bias": "target_forecast_bias",
    "occupancy": "target_occupancy",
    "requirement_fill_rate": "target_requirement_fill_rate",
    "on_time_share": "target_on_time_share",
    "spend_hhi": "target_spend_hhi",
    "supplier_on_time_rate": "target_supplier_on_time",
    "vehicle_fill": "target_vehicle_fill",
}


MIP_REL_GAP = 1e-4  # relative MIP gap at which HiGHS stops
DAYS_PER_PERIOD = {"day": 1.0, "week": 7.0}  # a month is days_per_year / 12
SEASON_LENGTH = {"day": 7, "week": 52, "month": 12}  # periods per season when season_length is not set
WEIGHTS = ("price", "lead_time", "lead_time_sd", "on_time", "quality", "co2")  # supplier score criteria


def _default(name: str):
    return SETTINGS[name].default


def season_length(period: str) -> int:
    """The default season length of a forecast period: 7 days (a week), 52 weeks or 12 months (a year).
    Any other period raises ValueError naming it and the allowed periods."""
    if period not in SEASON_LENGTH:
        raise ValueError(f"unknown period {period!r}: use one of {', '.join(SEASON_LENGTH)}")
    return SEASON_LENGTH[period]


@dataclass(frozen=True)
class Settings:
    """One run's settings, typed; build it with ``Settings.from_values`` (defaults from ``SETTINGS``)."""

    planning_date: pd.Timestamp
    period: str
    horizon_periods: int
    days_per_year: float
    currency: str
    holding_rate: float
    order_cost: float
    service_level: float
    service_type: str
    policy: str
    review_days: float
    review_days_sq: float
    unmet_demand: str
    variance_pooling: str
    service_check: str
    lead_time_days: float
    lead_time_sd_days: float
    return_restock_days: float
    return_refurbish_days: float
    returns_max_wait_days: float
    forecast_method: str
    season_length: int
    carbon_price_per_t: float
    shortage_penalty_per_unit: float
    penalty_scaling: str
    weight_price: float
    weight_lead_time: float
    weight_lead_time_sd: float
    weight_on_time: float
    weight_quality: float
    weight_co2: float
    risk_cost_rate: float
    max_supplier_share: float
    min_suppliers: int
    diversify_abc: tuple[str, ...]
    late_penalty_per_unit: float
    transport_co2_cap_kg: float
    allocation_exact_time_limit_s: float
    fair_share_floor: float
    carbon_prices: tuple[float, ...]
    solver_time_limit_s: float
    road_factor: float
    rounds_iterations_per_stop: int
    rounds_seconds_per_stop: float
    rounds_seed: int
    max_trips: int
    split_deliveries: str
    distance_step_km: float
    target_vehicle_fill: float
    target_availability: float
    target_fill_rate: float
    target_days_of_cover: float
    target_inventory_turns: float
    target_excess_stock_value: float
    target_stockout_risk_skus: float
    target_forecast_wape: float
    target_forecast_bias: float
    target_occupancy: float
    target_requirement_fill_rate: float
    target_on_time_share: float
    target_spend_hhi: float
    target_supplier_on_time: float
    kpi_amber_band: float
    abc_a_share: float
    abc_b_share: float
    xyz_x_cv: float
    xyz_y_cv: float
    max_cover_days: float
    max_history_years: float
    max_input_mb: float
    max_input_cells: float

    @classmethod
    def from_values(cls, values: dict[str, object] | None = None, **overrides: object) -> Settings:
        """Settings from already-valid values by name; anything not given takes its ``SETTINGS`` default
        (planning_date: today; season_length: by period, 7 days, 52 weeks or 12 months)."""
        given = {**(values or {}), **overrides}
        unknown = set(given) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; allowed: {', '.join(SETTINGS)}")
        v = {name: given.get(name, spec.default) for name, spec in SETTINGS.items()}
        v["planning_date"] = pd.Timestamp(v["planning_date"] or dt.date.today()).normalize()
        v["season_length"] = v["season_length"] or season_length(str(v["period"]))
        for name, spec in SETTINGS.items():
            if spec.kind == "number":
                v[name] = float(v[name])
            elif spec.kind == "int":
                v[name] = int(v[name])
            elif spec.kind in ("numbers", "classes"):
                v[name] = tuple(v[name])
        return cls(**v)

    @property
    def days_per_period(self) -> float:
        """Days in one forecast period: 1, 7 or days_per_year / 12."""
        return DAYS_PER_PERIOD.get(self.period, self.days_per_year / 12.0)

    @property
    def horizon_days(self) -> float:
        return self.horizon_periods * self.days_per_period

    @property
    def weights(self) -> dict[str, float]:
        """Supplier score weights by criterion."""
        return {name: getattr(self, f"weight_{name}") for name in WEIGHTS}

    @property
    def tradeoff_prices(self) -> list[float]:
        """Carbon prices of the trade-off table: carbon_prices with 0 (cost only) and the price in force."""
        return sorted({0.0, self.carbon_price_per_t, *self.carbon_prices})

    @property
    def kpi_targets(self) -> dict[str, float]:
        return {kpi: getattr(self, name) for kpi, name in KPI_TARGETS.items()}

    def allocation(self) -> AllocationSettings:
        """The supplier allocation's parameters at the carbon price in force."""
        return AllocationSettings(
            carbon_price_per_t=self.carbon_price_per_t,
            risk_cost_rate=self.risk_cost_rate,
            shortage_penalty_per_unit=self.shortage_penalty_per_unit,
            scaled_penalty=self.penalty_scaling == "auto",
            max_supplier_share=self.max_supplier_share,
            min_suppliers=self.min_suppliers,
            diversify_classes=self.diversify_abc,
            time_limit_s=self.solver_time_limit_s,
            exact_time_limit_s=self.allocation_exact_time_limit_s,
        )

    def distribution(self) -> DistributionSettings:
        """The distribution plan's parameters at the carbon price in force."""
        return DistributionSettings(
            planning_date=self.planning_date,
            carbon_price_per_t=self.carbon_price_per_t,
            shortage_penalty_per_unit=self.shortage_penalty_per_unit,
            late_penalty_per_unit=self.late_penalty_per_unit,
            scaled_penalty=self.penalty_scaling == "auto",
            fair_share_floor=self.fair_share_floor,
            co2_cap_kg=self.transport_co2_cap_kg or None,
            dispatch_days=self.days_per_period,
            time_limit_s=self.solver_time_limit_s,
        )

    def rows(self) -> list[tuple[str, object]]:
        """(name, value) per setting, as the Run Info sheet lists them (dates as ISO text, lists joined)."""
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, pd.Timestamp):
                v = v.date().isoformat()
            elif isinstance(v, tuple):
                v = ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
            out.append((f.name, v))
        return out


@dataclass(frozen=True)
class AllocationSettings:
    """The supplier allocation's parameters (defaults: the Settings sheet's)."""

    carbon_price_per_t: float = _default("carbon_price_per_t")
    risk_cost_rate: float = _default("risk_cost_rate")  # currency per unit of (1 - score) per currency of price
    shortage_penalty_per_unit: float = _default("shortage_penalty_per_unit")
    scaled_penalty: bool = True  # P_i = penalty + the SKU's dearest offer cost (False: the penalty alone)
    max_supplier_share: float = _default("max_supplier_share")
    min_suppliers: int = _default("min_suppliers")
    diversify_classes: tuple[str, ...] = _default("diversify_abc")
    time_limit_s: float = _default("solver_time_limit_s")
    exact_time_limit_s: float = _default("allocation_exact_time_limit_s")  # 0: the heuristic only
    mip_rel_gap: float = MIP_REL_GAP


@dataclass(frozen=True)
class DistributionSettings:
    """The distribution plan's parameters (defaults: the Settings sheet's)."""

    planning_date: pd.Timestamp
    carbon_price_per_t: float = _default("carbon_price_per_t")
    shortage_penalty_per_unit: float = _default("shortage_penalty_per_unit")
    late_penalty_per_unit: float = _default("late_penalty_per_unit")  # per unit and day late
    scaled_penalty: bool = True  # penalties on top of the dearest path cost per unit (False: as given)
    fair_share_floor: float = _default("fair_share_floor")
    co2_cap_kg: float | None = None  # largest transport CO2 of the plan, kg (None: no cap)
    dispatch_days: float = 7.0  # trucks are counted per lane and dispatch period of this many days
    time_limit_s: float = _default("solver_time_limit_s")
    mip_rel_gap: float = MIP_REL_GAP
