"""Excel functions (xlwings user-defined functions) over the pure core: the same formulas as the command
line, so a cell gives the number the Reorder Plan shows for the same inputs.

Every argument may be one cell or a range; ranges broadcast like Excel's array arithmetic and the result
spills (dynamic array). A bad cell gives a readable ``#VALUE! ...`` message in its result cell, never a
crash. Names: ``PLANNER.EOQ`` and so on in xlwings Server/Lite (Office.js custom functions, namespace
PLANNER); ``PLANNER_EOQ`` and so on in desktop Excel (VBA cannot have a dot in a name, and PLANNER_
keeps clear of Excel's own FORECAST). Parameters carry no type hints on purpose: xlwings reads hints
as converters; every argument is taken raw and checked in planner/channels/excel/cells.py, against the
bounds and choices of the contract's column or the Setting it stands for (one list, not a second one).
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import xlwings as xw

from planner.channels.excel.cells import ERROR, CellError, broadcast, choices, grid, is_blank, numbers, result
from planner.core.choices import ChoiceError
from planner.core.concentration import hhi
from planner.core.emissions import DEFAULT_MODE, MODE_CO2_KG_PER_TKM, lane_factor, transport_co2_kg
from planner.core.forecast import classify_demand, forecast_series
from planner.core.inventory import (
    Protection,
    classify_abc,
    distribution_protection,
    eoq,
    fill_rate_at_level,
    normal_loss,
    order_quantity,
    policy_level,
    protection,
)
from planner.core.leadtime_demand import nearest_unit_rows
from planner.core.optimize.rounds import route_length
from planner.core.service import DemandProcess, SimPolicy, scenario, simulate, subset_policy, subset_process
from planner.core.service_levels import DISTRIBUTIONS, fill_rate
from planner.model.settings import SETTINGS, Setting, season_length
from planner.workbook.contract import SHEETS, Column

NAMESPACE = "PLANNER"
ITEMS, STOCK, DEMAND, LANES = (SHEETS[name] for name in ("Items", "Stock", "Demand", "Lanes"))


def _default(name: str):
    """The Settings default of an argument that has one (order_cost, holding_rate, ...)."""
    return SETTINGS[name].default


def _checked(name: str, value, spec: Column | Setting, default=None):
    """(values, errors) of an argument checked against its contract column's or Setting's own bounds
    (``upper``: the maximum, else the contract's sane bound) or choices, the rule the input sheets are
    validated with; blank cells take ``default`` (None: a blank is an error)."""
    if spec.kind == "choice":
        return choices(name, value, spec.choices, default)
    above = getattr(spec, "above_minimum", False)
    return numbers(name, value, default, minimum=spec.minimum, above=above, maximum=spec.upper)


def _item(name: str, value, default=...):
    """An argument that stands for the Items column ``name``: that column's bounds or choices; a blank cell
    takes ``default``, by default the Setting of the same name (None: a blank is an error)."""
    return _checked(name, value, ITEMS.column(name), _default(name) if default is ... else default)


def excel_function(name: str):
    """Register as PLANNER.<name> (Office.js) / PLANNER_<name> (desktop). Arguments come raw (as Excel
    sends them, no per-cell conversion by xlwings): cells.py checks them, vectorised."""

    def wrap(f):
        f.__doc__ = " ".join(f.__doc__.split())  # Excel shows the description on one line
        for arg, doc in f._arg_docs.items():
            f = xw.arg(arg, "raw", doc=doc)(f)
        return xw.func(namespace=NAMESPACE, name=name, category="Planner")(f)

    return wrap


def docs(**arg_docs: str):
    """Argument descriptions shown by Excel's function wizard / Office.js autocomplete."""

    def wrap(f):
        f._arg_docs = arg_docs
        return f

    return wrap


def _guarded(compute):
    """Run ``compute()``; an argument-level problem (or a choice the core refuses) becomes a one-cell
    message."""
    try:
        return compute()
    except CellError as exc:
        return [[str(exc)]]
    except ChoiceError as exc:
        return [[f"{ERROR} {exc}"]]


def _single(name: str, value, spec: Column | Setting, default=None):
    """One cell's value (a number or a choice); a range with more than one cell is an argument error."""
    g = grid(value)
    if g.size != 1:
        raise CellError(f"{ERROR} {name}: give one cell, found a {g.shape[0]}x{g.shape[1]} range")
    v, e = _checked(name, g, spec, default)
    if e[0, 0] is not None:
        raise CellError(e[0, 0])
    return v[0, 0]


def _as_given(out: list[list], as_row: bool) -> list[list]:
    """A block computed with one series per column, turned back into rows when the history was a row."""
    return [list(r) for r in zip(*out, strict=True)] if as_row else out


def _needs(err: np.ndarray, missing: np.ndarray, message: str) -> np.ndarray:
    """Errors with ``message`` added where ``missing`` holds and the cell has no error yet."""
    return np.where((err == None) & missing, f"{ERROR} {message}", err)  # noqa: E711 (elementwise)


# ---------------------------------------------------------------------------------------------------------
# order quantity


_COST_DOCS = dict(
    annual_demand="Units per year (>= 0)",
    unit_cost="Cost of one unit (> 0)",
    order_cost=f"Cost per order [{_default('order_cost')}]",
    holding_rate=f"Annual holding cost as a fraction of unit cost [{_default('holding_rate')}]",
)


def _costs(annual_demand, unit_cost, order_cost, holding_rate) -> dict:
    """The EOQ's four inputs, checked: D >= 0, and the Items columns' bounds for v, A and r (defaults from
    Settings)."""
    return dict(
        annual_demand=numbers("annual_demand", annual_demand, minimum=0),
        unit_cost=_item("unit_cost", unit_cost, None),
        order_cost=_item("order_cost", order_cost),
        holding_rate=_item("holding_rate", holding_rate),
    )


@excel_function("EOQ")
@docs(**_COST_DOCS)
def planner_eoq(annual_demand, unit_cost, order_cost=None, holding_rate=None):
    """Economic order quantity sqrt(2 * order_cost * annual_demand / (holding_rate * unit_cost)), units
    (Silver, Pyke & Thomas eq. 4.2)."""

    def compute():
        v, err = broadcast(**_costs(annual_demand, unit_cost, order_cost, holding_rate))
        err = _needs(err, v["holding_rate"] == 0, "holding_rate: 0 gives no EOQ (it needs a holding cost > 0)")
        return result(eoq(v["order_cost"], v["annual_demand"], v["holding_rate"], v["unit_cost"]), err)

    return _guarded(compute)


@excel_function("ORDER_QTY")
@docs(
    **_COST_DOCS,
    moq="Minimum order quantity [0]",
    order_multiple="Orders are a multiple of this [1]",
)
def planner_order_qty(annual_demand, unit_cost, order_cost=None, holding_rate=None, moq=None, order_multiple=None):
    """Order quantity Q: the EOQ rounded up to the order multiple and at least the MOQ, whole units (as the
    Reorder Plan's order_quantity)."""

    def compute():
        v, err = broadcast(
            **_costs(annual_demand, unit_cost, order_cost, holding_rate),
            moq=_item("moq", moq, 0.0),
            order_multiple=_item("order_multiple", order_multiple, 1.0),
        )
        return result(
            order_quantity(
                v["order_cost"], v["annual_demand"], v["holding_rate"], v["unit_cost"], v["moq"], v["order_multiple"]
            ),
            err,
        )

    return _guarded(compute)


# ---------------------------------------------------------------------------------------------------------
# safety stock and the policy levels

_SERVICE_DOCS = dict(
    demand_per_day="Mean demand per day (>= 0)",
    demand_sd_per_day="Standard deviation of daily demand or forecast error (>= 0)",
    lead_time_days="Mean lead time, days (>= 0)",
    service_level=f"Target service, {ITEMS.column('service_level').minimum:g} to "
    f"{ITEMS.column('service_level').maximum:g} [{_default('service_level')}]",
    lead_time_sd_days=f"Standard deviation of the lead time, days [{_default('lead_time_sd_days')}]",
    service_type=f'"cycle" (no stockout per cycle) or "fill" (share of demand met) [{_default("service_type")}]',
)
_POLICY_DOC = '"sQ" (protects the lead time) or "RS" (review period + lead time)'
_SHAPE_DOCS = dict(
    distribution='Lead-time demand "normal", "gamma" or "negbin" (negative binomial, whole units) [normal]',
    review_days_sq="Days between stock reviews of sQ (undershoot included) [0: continuous review]",
)
_REVIEW_DOC = f"Days between reviews, RS [{_default('review_days')}]"


def _demand(demand_per_day, demand_sd_per_day, lead_time_days, lead_time_sd_days) -> dict:
    """Demand and lead time, checked against the Stock and Items columns they stand for."""
    return dict(
        demand_per_day=_checked("demand_per_day", demand_per_day, STOCK.column("forecast_per_day")),
        demand_sd_per_day=_checked("demand_sd_per_day", demand_sd_per_day, STOCK.column("forecast_sd_per_day")),
        lead_time_days=_item("lead_time_days", lead_time_days, None),
        lead_time_sd_days=_item("lead_time_sd_days", lead_time_sd_days),
    )


def _shape(distribution, review_days_sq) -> dict:
    """The lead-time demand distribution [normal] and the days between reviews of sQ [0: continuous], checked:
    with both left out the textbook formulas apply."""
    return dict(
        distribution=choices("distribution", distribution, DISTRIBUTIONS, "normal"),
        review_days_sq=_checked("review_days_sq", review_days_sq, SETTINGS["review_days_sq"], 0.0),
    )


def _protection(demand_per_day, demand_sd_per_day, lead_time_days, service_level, lead_time_sd_days, service_type,
                order_qty, policy, review_days, review_default=SETTINGS["review_days"].default, distribution=None,
                review_days_sq=None):  # fmt: skip
    """(inputs broadcast, errors, the core's Protection: T, sigma_T, k floored, SS): the textbook's, or
    the distribution's with the sQ review interval (inventory.distribution_protection) where given."""
    v, err = broadcast(
        **_demand(demand_per_day, demand_sd_per_day, lead_time_days, lead_time_sd_days),
        service_level=_item("service_level", service_level),
        service_type=_item("service_type", service_type),
        order_qty=numbers("order_qty", order_qty, np.nan, minimum=0, above=True),
        policy=_item("policy", policy),
        review_days=_item("review_days", review_days, review_default),
        **_shape(distribution, review_days_sq),
    )
    need_q = (v["service_type"] == "fill") & (v["policy"] == "sQ") & np.isnan(v["order_qty"])
    err = _needs(err, need_q, "order_qty: blank, needed for fill service with sQ")
    q = np.nan_to_num(v["order_qty"], nan=1.0)
    p = protection(v["policy"], v["service_type"], v["service_level"], v["demand_per_day"], v["demand_sd_per_day"],
                   v["lead_time_days"], v["lead_time_sd_days"], v["review_days"], q)  # fmt: skip
    if np.any(v["distribution"] != "normal") | np.any(v["review_days_sq"] > 0):
        flat = {name: np.ravel(a) for name, a in v.items()}
        frame = pd.DataFrame({**flat, "sq_review_days": flat["review_days_sq"], "lost_sales": False,
                              "demand_distribution": flat["distribution"],
                              "nearest_unit": nearest_unit_rows(flat["distribution"])})  # fmt: skip
        shaped = Protection(*(np.ravel(getattr(p, f.name)) for f in fields(Protection)))
        flat_p, _ = distribution_protection(frame, shaped, np.ravel(q))
        p = Protection(*(np.reshape(getattr(flat_p, f.name), np.shape(q)) for f in fields(Protection)))
    return v, err, p


def _level(*args, **shape):
    """The policy level d T + SS (T = L for sQ, R + L for RS; core.inventory.policy_level) for _protection's
    arguments, as a block."""

    def compute():
        v, err, p = _protection(*args, **shape)
        days = np.where(v["policy"] == "RS", v["review_days"] + v["lead_time_days"], v["lead_time_days"])
        return result(policy_level(v["demand_per_day"], days, p.safety_stock), err)

    return _guarded(compute)


@excel_function("SAFETY_STOCK")
@docs(
    **_SERVICE_DOCS,
    order_qty="Order quantity Q (needed for fill service with sQ)",
    policy=f"{_POLICY_DOC} [{_default('policy')}]",
    review_days=_REVIEW_DOC,
    **_SHAPE_DOCS,
)
def planner_safety_stock(demand_per_day, demand_sd_per_day, lead_time_days, service_level=None,
                         lead_time_sd_days=None, service_type=None, order_qty=None, policy=None,
                         review_days=None, distribution=None, review_days_sq=None):  # fmt: skip
    """Safety stock SS = k * sigma_T, units; sigma_T = sqrt(T * sd_d^2 + d^2 * sd_L^2), T = L (sQ) or R + L
    (RS); k = NORM.S.INV(service) for cycle service, or from the normal loss function for fill rate
    (Silver, Pyke & Thomas eqs. 6.24, 6.25, 7.8). k is floored at 0. With a gamma or negbin distribution or
    a review interval for sQ: the least level reaching the target (its loss functions, the (R, s, nQ) fill
    rate) less the mean demand over L or R + L, not floored (negative where a large Q meets the target below
    that mean; the Reorder Plan's rule)."""

    def compute():
        _, err, p = _protection(demand_per_day, demand_sd_per_day, lead_time_days, service_level,
                                lead_time_sd_days, service_type, order_qty, policy, review_days,
                                distribution=distribution, review_days_sq=review_days_sq)  # fmt: skip
        return result(p.safety_stock, err)

    return _guarded(compute)


@excel_function("REORDER_POINT")
@docs(**_SERVICE_DOCS, order_qty="Order quantity Q (needed for fill service)", **_SHAPE_DOCS)
def planner_reorder_point(demand_per_day, demand_sd_per_day, lead_time_days, service_level=None,
                          lead_time_sd_days=None, service_type=None, order_qty=None, distribution=None,
                          review_days_sq=None):  # fmt: skip
    """Reorder point s = d * L + SS of an (s, Q) policy, units (Silver, Pyke & Thomas §6.7); SS as
    SAFETY_STOCK (the distribution and review interval optional)."""
    return _level(demand_per_day, demand_sd_per_day, lead_time_days, service_level, lead_time_sd_days, service_type,
                  order_qty, "sQ", None, SETTINGS["review_days"].default, distribution=distribution,
                  review_days_sq=review_days_sq)  # fmt: skip


@excel_function("ORDER_UP_TO")
@docs(
    demand_per_day=_SERVICE_DOCS["demand_per_day"],
    demand_sd_per_day=_SERVICE_DOCS["demand_sd_per_day"],
    lead_time_days=_SERVICE_DOCS["lead_time_days"],
    review_days="Days between reviews R (>= 0)",
    service_level=_SERVICE_DOCS["service_level"],
    lead_time_sd_days=_SERVICE_DOCS["lead_time_sd_days"],
    service_type=_SERVICE_DOCS["service_type"],
    distribution=_SHAPE_DOCS["distribution"],
)
def planner_order_up_to(demand_per_day, demand_sd_per_day, lead_time_days, review_days, service_level=None,
                        lead_time_sd_days=None, service_type=None, distribution=None):  # fmt: skip
    """Order-up-to level S = d * (R + L) + SS of an (R, S) policy, units (Silver, Pyke & Thomas §7.1); SS as
    SAFETY_STOCK (the distribution optional)."""
    return _level(demand_per_day, demand_sd_per_day, lead_time_days, service_level, lead_time_sd_days, service_type,
                  None, "RS", review_days, None, distribution=distribution)  # fmt: skip


@excel_function("NORMAL_LOSS")
@docs(k="Safety factor (any number)")
def planner_normal_loss(k):
    """Standard normal loss function G(k) = phi(k) - k * (1 - Phi(k)) = E[(Z - k)+] (Silver, Pyke & Thomas
    eq. B.7)."""

    def compute():
        values, err = numbers("k", k)
        return result(normal_loss(values), err)

    return _guarded(compute)


# the arguments of a policy at a given level (FILL_RATE, SIMULATED_FILL_RATE)
_LEVEL_DOCS = dict(
    reorder_level="Reorder point s (sQ) or order-up-to level S (RS), units",
    order_qty="Order quantity Q (sQ; ignored for RS)",
    demand_per_day=_SERVICE_DOCS["demand_per_day"],
    demand_sd_per_day=_SERVICE_DOCS["demand_sd_per_day"],
    lead_time_days=_SERVICE_DOCS["lead_time_days"],
    lead_time_sd_days=_SERVICE_DOCS["lead_time_sd_days"],
    policy=f'"sQ" or "RS" [{_default("policy")}]',
)


@excel_function("FILL_RATE")
@docs(
    **_LEVEL_DOCS,
    review_days=_REVIEW_DOC,
    **_SHAPE_DOCS,
)
def planner_fill_rate(reorder_level, order_qty, demand_per_day, demand_sd_per_day, lead_time_days,
                      lead_time_sd_days=None, policy=None, review_days=None, distribution=None,
                      review_days_sq=None):  # fmt: skip
    """Expected fill rate of a policy: 1 - sigma_T * G(k) / (Q for sQ, d * R for RS), with k = (level -
    d * T) / sigma_T (Silver, Pyke & Thomas eqs. 6.25, 7.8); with a gamma or negbin distribution or an sQ
    review interval, from that distribution's loss functions and the (R, s, nQ) formula. The Reorder
    Plan's expected_fill_rate."""

    def compute():
        v, err = broadcast(
            reorder_level=numbers("reorder_level", reorder_level),
            order_qty=numbers("order_qty", order_qty, np.nan, minimum=0, above=True),
            **_demand(demand_per_day, demand_sd_per_day, lead_time_days, lead_time_sd_days),
            policy=_item("policy", policy),
            review_days=_item("review_days", review_days),
            **_shape(distribution, review_days_sq),
        )
        rs = v["policy"] == "RS"
        err = _needs(err, ~rs & np.isnan(v["order_qty"]), "order_qty: blank, needed for sQ")
        fr = fill_rate_at_level(v["reorder_level"], v["order_qty"], v["demand_per_day"], v["demand_sd_per_day"],
                                v["lead_time_days"], v["lead_time_sd_days"], v["policy"], v["review_days"])  # fmt: skip
        r = np.where(rs, 0.0, v["review_days_sq"])
        other = (v["distribution"] != "normal") | (r > 0)
        if other.any():
            shaped = fill_rate(v["reorder_level"], np.nan_to_num(v["order_qty"], nan=1.0), v["demand_per_day"],
                               np.square(v["demand_sd_per_day"]), v["lead_time_days"], v["lead_time_sd_days"], rs,
                               v["review_days"], r, v["distribution"])  # fmt: skip
            fr = np.where(other, shaped, fr)
        return result(fr, err)

    return _guarded(compute)


def _true(value) -> bool:
    """A yes/no argument: TRUE, 1, or the text TRUE / YES / 1 (any case); blank or anything else is no."""
    if value is None:
        return False
    first = grid(value).flat[0]
    if isinstance(first, str):
        return first.strip().lower() in ("true", "yes", "1")
    return bool(first) if isinstance(first, bool | int | float) and first == first else False


def _simulated_fill(policy: SimPolicy, process: DemandProcess, i: int, lost: bool) -> float:
    """Cell i simulated on its own (its figure does not depend on the cells beside it); NaN where invalid."""
    one, proc = subset_policy(policy, [i]), subset_process(process, [i])
    if not np.all(np.isfinite([one.level[0], proc.mean_per_day[0], one.lead_time_days[0]])):
        return float("nan")
    return float(simulate(one, scenario(proc, one), lost).fill_rate[0])


@excel_function("SIMULATED_FILL_RATE")
@docs(
    **_LEVEL_DOCS,
    review_days=f"Days between reviews [RS: {_default('review_days')}, sQ: {_default('review_days_sq')}]",
    occurrence="Share of days with a demand, 0 to 1 [1]",
    lost_sales="TRUE: demand not served is lost [FALSE: backordered]",
)
def planner_simulated_fill_rate(reorder_level, order_qty, demand_per_day, demand_sd_per_day, lead_time_days,
                                lead_time_sd_days=None, policy=None, review_days=None, occurrence=None,
                                lost_sales=None):  # fmt: skip
    """Fill rate of a policy simulated day by day (planner.core.service: compound Bernoulli-gamma demand
    with mean d, sd sigma_d and the daily occurrence, whole units, fixed seed), as the Service Check does;
    one row's figure is simulated over up to eight years."""

    def compute():
        v, err = broadcast(
            reorder_level=numbers("reorder_level", reorder_level),
            order_qty=numbers("order_qty", order_qty, np.nan, minimum=0, above=True),
            **_demand(demand_per_day, demand_sd_per_day, lead_time_days, lead_time_sd_days),
            policy=_item("policy", policy),
            review_days=numbers("review_days", review_days, np.nan, minimum=0, maximum=3650),
            occurrence=numbers("occurrence", occurrence, 1.0, minimum=0, above=True, maximum=1),
        )
        rs = v["policy"] == "RS"
        err = _needs(err, ~rs & np.isnan(v["order_qty"]), "order_qty: blank, needed for sQ")
        default_review = np.where(rs, _default("review_days"), _default("review_days_sq"))
        review = np.where(np.isnan(v["review_days"]), default_review, v["review_days"])
        flat = {k: np.ravel(np.asarray(a, dtype=object if k == "policy" else float)) for k, a in v.items()}
        policy_ = SimPolicy(np.ravel(rs), flat["reorder_level"], np.nan_to_num(flat["order_qty"], nan=1.0),
                            np.ravel(review), flat["lead_time_days"], flat["lead_time_sd_days"])  # fmt: skip
        process = DemandProcess(flat["demand_per_day"], flat["demand_sd_per_day"], flat["occurrence"])
        lost = _true(lost_sales)
        fr = [_simulated_fill(policy_, process, i, lost) for i in range(len(policy_.level))]
        return result(np.reshape(fr, np.shape(v["reorder_level"])), err)

    return _guarded(compute)


# ---------------------------------------------------------------------------------------------------------
# forecasting and classification


def _history(history) -> tuple[np.ndarray, bool, np.ndarray]:
    """History range -> (Y series x periods, given as a row, per-series error). One series per column (time
    down the rows), or one row. Blank cells before a series' first value: not started; after it: zero
    demand (checked as the Demand sheet's quantity). The history ends at the last filled row of the range."""
    g = grid(history)
    as_row = g.shape[0] == 1 and g.shape[1] > 1
    if as_row:
        g = g.T
    filled = ~np.vectorize(is_blank, otypes=[bool])(g)
    last = np.flatnonzero(filled.any(axis=1))
    if last.size == 0:
        raise CellError(f"{ERROR} history: no values")
    g, filled = g[: last[-1] + 1], filled[: last[-1] + 1]
    vals, err = _checked("history", g, DEMAND.column("quantity"), 0.0)
    started = np.cumsum(filled, axis=0) > 0
    Y = np.where(started, vals, np.nan).T
    first_err = np.array([next((e for e in col if e is not None), None) for col in err.T], dtype=object)
    return Y, as_row, first_err


_SEASON_DEFAULT = season_length(SETTINGS["period"].default)


@excel_function("FORECAST")
@docs(
    history="Demand per period, oldest first: one column per series (or one row)",
    horizon=f"Periods to forecast [{_default('horizon_periods')}]",
    method=f"{', '.join(SETTINGS['forecast_method'].choices)} [{_default('forecast_method')}]",
    season_length=f"Periods per season (seasonal adjustment, Holt-Winters) [{_SEASON_DEFAULT}]",
)
def planner_forecast(history, horizon=None, method=None, season_length=None):
    """Forecast per period for the next horizon periods, by the method chosen (auto: comb, theta and damped
    trend on the seasonally adjusted series, for smooth and erratic series; the smallest hold-out error among
    the Croston family for intermittent and lumpy ones), exactly as the Forecast sheet."""

    def compute():
        Y, as_row, bad = _history(history)
        H = int(_single("horizon", horizon, SETTINGS["horizon_periods"], _default("horizon_periods")))
        m = _single("method", method, SETTINGS["forecast_method"], _default("forecast_method"))
        season = int(_single("season_length", season_length, SETTINGS["season_length"], _SEASON_DEFAULT))
        values = forecast_series(Y, H, season, m).forecast.T  # H x series
        errors = np.broadcast_to(bad[None, :], values.shape)
        return _as_given(result(values, errors), as_row)

    return _guarded(compute)


@excel_function("DEMAND_CLASS")
@docs(history="Demand per period, oldest first: one column per series (or one row)")
def planner_demand_class(history):
    """Syntetos-Boylan demand class per series: smooth, erratic, intermittent or lumpy (ADI cut-off 1.32,
    CV² cut-off 0.49), as the Forecast sheet's demand_class."""

    def compute():
        Y, as_row, bad = _history(history)
        return _as_given(result(classify_demand(Y)[0][None, :], bad[None, :]), as_row)

    return _guarded(compute)


@excel_function("ABC")
@docs(
    annual_value="Annual demand value per item (a range: the items are ranked together)",
    a_share=f"Cumulative value share of class A [{_default('abc_a_share')}]",
    b_share=f"Cumulative value share of classes A and B [{_default('abc_b_share')}]",
)
def planner_abc(annual_value, a_share=None, b_share=None):
    """ABC class per item by annual value: ranked by value, A while the cumulative share before the item is
    below a_share, B below b_share, else C (Silver, Pyke & Thomas §2.5), as the Reorder Plan's abc."""

    def compute():
        values, err = numbers("annual_value", annual_value, minimum=0)
        a = _single("a_share", a_share, SETTINGS["abc_a_share"], _default("abc_a_share"))
        b = _single("b_share", b_share, SETTINGS["abc_b_share"], _default("abc_b_share"))
        ok = err == None  # noqa: E711
        classes = np.full(values.shape, "", dtype=object)
        classes[ok] = classify_abc(values[ok], a, b)
        return result(classes, err)

    return _guarded(compute)


# ---------------------------------------------------------------------------------------------------------
# network: transport emissions and supplier concentration

_MODES = LANES.column("mode").choices


@excel_function("TRANSPORT_CO2")
@docs(
    weight_kg="Weight shipped, kg (>= 0)",
    distance_km="Lane distance, km (>= 0)",
    mode="Transport mode, giving the emission factor when none is given: "
    + ", ".join(f'"{m}" {MODE_CO2_KG_PER_TKM[m]:g}' for m in _MODES)
    + f" kg CO2e/tkm [{DEFAULT_MODE}]",
    co2_kg_per_tkm="Emission factor, kg CO2e per tonne-km [the mode's default]",
)
def planner_transport_co2(weight_kg, distance_km, mode=None, co2_kg_per_tkm=None):
    """Transport emissions, kg CO2e = weight_kg / 1000 x distance_km x co2_kg_per_tkm (tonne-km method, GLEC
    framework), as the Distribution Plan's co2_kg; without a factor, the mode's default."""

    def compute():
        v, err = broadcast(
            weight_kg=numbers("weight_kg", weight_kg, minimum=0),
            distance_km=_checked("distance_km", distance_km, LANES.column("distance_km")),
            mode=_checked("mode", mode, LANES.column("mode"), DEFAULT_MODE),
            given=_checked("co2_kg_per_tkm", co2_kg_per_tkm, LANES.column("co2_kg_per_tkm"), np.nan),
        )
        factor = lane_factor(v["given"], v["mode"])
        return result(transport_co2_kg(v["weight_kg"], v["distance_km"], factor), err)

    return _guarded(compute)


@excel_function("HHI")
@docs(spend="Spend (or volume) per supplier: a range, the suppliers compared together")
def planner_hhi(spend):
    """Herfindahl-Hirschman index of concentration: sum over suppliers of (spend / total spend)^2, from
    1 / n (evenly spread over n suppliers) to 1 (a single supplier), as the KPIs' spend_hhi."""

    def compute():
        values, err = numbers("spend", spend, minimum=0)
        bad = err != None  # noqa: E711
        if bad.any():
            return [[err[bad][0]]]
        if not values.sum() > 0:
            return [[f"{ERROR} spend: the total is 0, nothing to compare"]]
        return [[hhi(values)]]

    return _guarded(compute)


# ---------------------------------------------------------------------------------------------------------
# delivery rounds


@excel_function("ROUTE_DISTANCE")
@docs(
    sites="The sites in visiting order (one column or row; names, to keep the order readable)",
    x="Their x positions, km (as Sites.x_km), in the same order",
    y="Their y positions, km (as Sites.y_km), in the same order",
)
def planner_route_distance(sites, x, y):
    """Length of a visiting order, km: the sum of the straight legs from each site to the next, in the order
    given (an open path: list the depot first and last for a round), as the Routes sheet's distance_km adds
    up on the x/y plane."""

    def compute():
        names = grid(sites).ravel()
        xs, ex = numbers("x", x, minimum=-1e6, maximum=1e6)
        ys, ey = numbers("y", y, minimum=-1e6, maximum=1e6)
        if not (len(names) == xs.size == ys.size):
            return [[f"{ERROR} sites, x and y: give one value per site (found {len(names)}, {xs.size}, {ys.size})"]]
        bad = [e for e in (*ex.ravel(), *ey.ravel()) if e is not None]
        if bad:
            return [[bad[0]]]
        if any(is_blank(v) for v in names):
            return [[f"{ERROR} sites: a blank site in the visiting order"]]
        return [[route_length(xs.ravel(), ys.ravel())]]

    return _guarded(compute)
