"""The Settings sheet as data: every setting's name, default, kind, bounds and meaning (the one place a
default is defined), and the KPI targets they set."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Setting:
    name: str
    default: object  # None = computed (planning_date = today, season_length by period)
    kind: str  # number | int | text | date | choice
    meaning: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


FORECAST_METHODS = ("auto", "mean", "moving_average", "ses", "holt", "holt_winters", "croston", "sba", "tsb")

SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("planning_date", None, "date", "Date the plan is made for (default: today)"),
        Setting("period", "week", "choice", "Forecast bucket", ("day", "week", "month")),
        Setting("horizon_periods", 12, "int", "Periods forecast ahead", minimum=1, maximum=520),
        Setting("days_per_year", 365, "number", "Days in a planning year", minimum=1, maximum=366),
        Setting("currency", "EUR", "text", "Currency code shown on money columns"),
        Setting("holding_rate", 0.25, "number", "Annual holding cost fraction", minimum=0, maximum=5),
        Setting("order_cost", 50, "number", "Cost per order", minimum=0),
        Setting("service_level", 0.95, "number", "Target service", minimum=0.5, maximum=0.9999),
        Setting("service_type", "cycle", "choice", "cycle or fill", ("cycle", "fill")),
        Setting("policy", "sQ", "choice", "sQ or RS", ("sQ", "RS")),
        Setting("review_days", 7, "number", "Review interval for RS", minimum=0),
        Setting("lead_time_days", 14, "number", "Lead time when nothing else gives one", minimum=0),
        Setting("lead_time_sd_days", 0, "number", "Lead-time sd when nothing else gives one", minimum=0),
        Setting("forecast_method", "auto", "choice", "Forecast method for all series", FORECAST_METHODS),
        Setting("season_length", None, "int", "Periods per season (52 weeks, 12 months, 7 days)", minimum=1),
        Setting("carbon_price_per_t", 0, "number", "Carbon price per tonne CO2e", minimum=0),
        Setting("shortage_penalty_per_unit", 1000, "number", "Penalty per unit short", minimum=0),
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
        Setting("min_suppliers", 2, "int", "Suppliers a diversified SKU uses where enough offers exist", minimum=1),
        Setting("diversify_abc", "A", "text", "ABC classes that are diversified, e.g. A or A,B"),
        Setting("late_penalty_per_unit", 100, "number", "Cost per unit delivered after its due date", minimum=0),
        Setting(
            "fair_share_floor",
            0.5,
            "number",
            "Share of its proportional ration every destination gets first",
            minimum=0,
            maximum=1,
        ),
        Setting("carbon_prices", "0,50,100,200,500", "text", "Carbon prices per t CO2e for the trade-off table"),
        Setting("solver_time_limit_s", 60, "number", "Time limit of each optimisation, seconds", minimum=1),
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
    ]
}

KPI_TARGETS = {
    "availability": "target_availability",
    "availability_value_weighted": "target_availability",
    "expected_fill_rate": "target_fill_rate",
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
}


@dataclass(frozen=True)
class AllocationSettings:
    carbon_price_per_t: float = 0.0
    risk_cost_rate: float = 0.1  # currency per unit of (1 - score) per currency of price
    shortage_penalty_per_unit: float = 1000.0
    max_supplier_share: float = 0.7
    min_suppliers: int = 2
    diversify_classes: tuple[str, ...] = ("A",)
    time_limit_s: float = 60.0
    mip_rel_gap: float = 1e-4


@dataclass(frozen=True)
class DistributionSettings:
    planning_date: pd.Timestamp
    carbon_price_per_t: float = 0.0
    shortage_penalty_per_unit: float = 1000.0
    late_penalty_per_unit: float = 100.0
    fair_share_floor: float = 0.5
    time_limit_s: float = 60.0
    mip_rel_gap: float = 1e-4
