"""Excel functions (xlwings user-defined functions) over the pure core: the same formulas as the command
line, so a cell gives the number the Reorder Plan shows for the same inputs.

Every argument may be one cell or a range; ranges broadcast like Excel's array arithmetic and the result
spills (dynamic array). A bad cell gives a readable ``#VALUE! ...`` message in its result cell, never a
crash. Names: ``PLANNER.EOQ`` and so on in xlwings Server/Lite (Office.js custom functions, namespace
PLANNER); ``PLANNER_EOQ`` and so on in desktop Excel (VBA cannot have a dot in a name, and PLANNER_
keeps clear of Excel's own FORECAST). Parameters carry no type hints on purpose: xlwings reads hints
as converters; every argument is taken raw and checked in planner/excel/cells.py.
"""

from __future__ import annotations

import numpy as np
import xlwings as xw

from planner.channels.excel.cells import ERROR, CellError, broadcast, choices, grid, is_blank, numbers, result
from planner.core.forecast import classify_demand, forecast_series
from planner.core.inventory import (
    classify_abc,
    eoq,
    expected_fill_rate,
    normal_loss,
    order_quantity,
    protection_sd,
    safety_factor,
)
from planner.core.optimize.distribution import MODE_CO2_KG_PER_TKM
from planner.model.settings import FORECAST_METHODS, SETTINGS

NAMESPACE = "PLANNER"
DEFAULT = {name: SETTINGS[name].default for name in ("order_cost", "holding_rate", "service_level", "review_days")}


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
    """Run ``compute()``; an argument-level problem becomes a one-cell message."""
    try:
        return compute()
    except CellError as exc:
        return [[str(exc)]]


def _single(name: str, value, kind: str = "number", **kw):
    """One cell's value (a number or a choice); a range with more than one cell is an argument error."""
    g = grid(value)
    if g.size != 1:
        raise CellError(f"{ERROR} {name}: give one cell, found a {g.shape[0]}x{g.shape[1]} range")
    v, e = numbers(name, g, **kw) if kind == "number" else choices(name, g, **kw)
    if e[0, 0] is not None:
        raise CellError(e[0, 0])
    return v[0, 0]


# ---------------------------------------------------------------------------------------------------------
# order quantity


_COST_DOCS = dict(
    annual_demand="Units per year (>= 0)",
    unit_cost="Cost of one unit (> 0)",
    order_cost="Cost per order [50]",
    holding_rate="Annual holding cost as a fraction of unit cost [0.25]",
)


def _costs(annual_demand, unit_cost, order_cost, holding_rate) -> dict:
    """The EOQ's four inputs, checked: D >= 0, v > 0, A >= 0 (default 50), r > 0 (default 0.25)."""
    return dict(
        annual_demand=numbers("annual_demand", annual_demand, minimum=0),
        unit_cost=numbers("unit_cost", unit_cost, minimum=0, above=True),
        order_cost=numbers("order_cost", order_cost, DEFAULT["order_cost"], minimum=0),
        holding_rate=numbers("holding_rate", holding_rate, DEFAULT["holding_rate"], minimum=0, above=True),
    )


@excel_function("EOQ")
@docs(**_COST_DOCS)
def planner_eoq(annual_demand, unit_cost, order_cost=None, holding_rate=None):
    """Economic order quantity sqrt(2 * order_cost * annual_demand / (holding_rate * unit_cost)), units
    (Silver, Pyke & Thomas eq. 4.2)."""

    def compute():
        v, err = broadcast(
            **_costs(annual_demand, unit_cost, order_cost, holding_rate),
        )
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
            moq=numbers("moq", moq, 0.0, minimum=0),
            order_multiple=numbers("order_multiple", order_multiple, 1.0, minimum=0),
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
    service_level="Target service, 0.5 to 0.9999 [0.95]",
    lead_time_sd_days="Standard deviation of the lead time, days [0]",
    service_type='"cycle" (no stockout per cycle) or "fill" (share of demand met) [cycle]',
)


def _protection(demand_per_day, demand_sd_per_day, lead_time_days, service_level, lead_time_sd_days,
                service_type, order_qty, policy, review_days, review_default=DEFAULT["review_days"]):  # fmt: skip
    """(inputs broadcast, sigma_T, errors, floored safety factor k) (SPT eqs. 6.24, 6.25, 7.8)."""
    v, err = broadcast(
        demand_per_day=numbers("demand_per_day", demand_per_day, minimum=0),
        demand_sd_per_day=numbers("demand_sd_per_day", demand_sd_per_day, minimum=0),
        lead_time_days=numbers("lead_time_days", lead_time_days, minimum=0),
        service_level=numbers("service_level", service_level, DEFAULT["service_level"], minimum=0.5, maximum=0.9999),
        lead_time_sd_days=numbers("lead_time_sd_days", lead_time_sd_days, 0.0, minimum=0),
        service_type=choices("service_type", service_type, ("cycle", "fill"), "cycle"),
        order_qty=numbers("order_qty", order_qty, np.nan, minimum=0, above=True),
        policy=choices("policy", policy, ("sQ", "RS"), "sQ"),
        review_days=numbers("review_days", review_days, review_default, minimum=0),
    )
    need_q = (v["service_type"] == "fill") & (v["policy"] == "sQ") & np.isnan(v["order_qty"])
    err = np.where((err == None) & need_q, f"{ERROR} order_qty: blank, needed for fill service with sQ", err)  # noqa: E711
    rs = v["policy"] == "RS"
    sigma_t = protection_sd(
        np.where(rs, v["review_days"] + v["lead_time_days"], v["lead_time_days"]),
        v["demand_sd_per_day"],
        v["demand_per_day"],
        v["lead_time_sd_days"],
    )
    k = safety_factor(
        v["service_level"],
        v["service_type"],
        sigma_t,
        np.nan_to_num(v["order_qty"], nan=1.0),
        v["demand_per_day"],
        v["review_days"],
        v["policy"],
    )
    return v, sigma_t, err, np.maximum(k, 0.0)


@excel_function("SAFETY_STOCK")
@docs(
    **_SERVICE_DOCS,
    order_qty="Order quantity Q (needed for fill service with sQ)",
    policy='"sQ" (protects the lead time) or "RS" (review period + lead time) [sQ]',
    review_days="Days between reviews, RS [7]",
)
def planner_safety_stock(demand_per_day, demand_sd_per_day, lead_time_days, service_level=None,
                         lead_time_sd_days=None, service_type=None, order_qty=None, policy=None,
                         review_days=None):  # fmt: skip
    """Safety stock SS = k * sigma_T, units; sigma_T = sqrt(T * sd_d^2 + d^2 * sd_L^2), T = L (sQ) or R + L
    (RS); k = NORM.S.INV(service) for cycle service, or from the normal loss function for fill rate
    (Silver, Pyke & Thomas eqs. 6.24, 6.25, 7.8). k is floored at 0."""

    def compute():
        _, sigma_t, err, k = _protection(demand_per_day, demand_sd_per_day, lead_time_days, service_level,
                                         lead_time_sd_days, service_type, order_qty, policy, review_days)  # fmt: skip
        return result(k * sigma_t, err)

    return _guarded(compute)


@excel_function("REORDER_POINT")
@docs(**_SERVICE_DOCS, order_qty="Order quantity Q (needed for fill service)")
def planner_reorder_point(demand_per_day, demand_sd_per_day, lead_time_days, service_level=None,
                          lead_time_sd_days=None, service_type=None, order_qty=None):  # fmt: skip
    """Reorder point s = d * L + SS of an (s, Q) policy, units (Silver, Pyke & Thomas §6.7)."""

    def compute():
        v, sigma_t, err, k = _protection(demand_per_day, demand_sd_per_day, lead_time_days, service_level,
                                         lead_time_sd_days, service_type, order_qty, "sQ", None)  # fmt: skip
        return result(v["demand_per_day"] * v["lead_time_days"] + k * sigma_t, err)

    return _guarded(compute)


@excel_function("ORDER_UP_TO")
@docs(
    demand_per_day=_SERVICE_DOCS["demand_per_day"],
    demand_sd_per_day=_SERVICE_DOCS["demand_sd_per_day"],
    lead_time_days=_SERVICE_DOCS["lead_time_days"],
    review_days="Days between reviews R (>= 0)",
    service_level=_SERVICE_DOCS["service_level"],
    lead_time_sd_days=_SERVICE_DOCS["lead_time_sd_days"],
    service_type=_SERVICE_DOCS["service_type"],
)
def planner_order_up_to(demand_per_day, demand_sd_per_day, lead_time_days, review_days, service_level=None,
                        lead_time_sd_days=None, service_type=None):  # fmt: skip
    """Order-up-to level S = d * (R + L) + SS of an (R, S) policy, units (Silver, Pyke & Thomas §7.1)."""

    def compute():
        v, sigma_t, err, k = _protection(demand_per_day, demand_sd_per_day, lead_time_days, service_level,
                                         lead_time_sd_days, service_type, None, "RS", review_days, None)  # fmt: skip
        return result(v["demand_per_day"] * (v["review_days"] + v["lead_time_days"]) + k * sigma_t, err)

    return _guarded(compute)


@excel_function("NORMAL_LOSS")
@docs(k="Safety factor (any number)")
def planner_normal_loss(k):
    """Standard normal loss function G(k) = phi(k) - k * (1 - Phi(k)) = E[(Z - k)+] (Silver, Pyke & Thomas
    eq. B.7)."""
    return _guarded(lambda: result(normal_loss(numbers("k", k)[0]), numbers("k", k)[1]))


@excel_function("FILL_RATE")
@docs(
    reorder_level="Reorder point s (sQ) or order-up-to level S (RS), units",
    order_qty="Order quantity Q (sQ; ignored for RS)",
    demand_per_day=_SERVICE_DOCS["demand_per_day"],
    demand_sd_per_day=_SERVICE_DOCS["demand_sd_per_day"],
    lead_time_days=_SERVICE_DOCS["lead_time_days"],
    lead_time_sd_days=_SERVICE_DOCS["lead_time_sd_days"],
    policy='"sQ" or "RS" [sQ]',
    review_days="Days between reviews, RS [7]",
)
def planner_fill_rate(reorder_level, order_qty, demand_per_day, demand_sd_per_day, lead_time_days,
                      lead_time_sd_days=None, policy=None, review_days=None):  # fmt: skip
    """Expected fill rate of a policy: 1 - sigma_T * G(k) / (Q for sQ, d * R for RS), with k = (level -
    d * T) / sigma_T (Silver, Pyke & Thomas eqs. 6.25, 7.8); the Reorder Plan's expected_fill_rate."""

    def compute():
        v, err = broadcast(
            reorder_level=numbers("reorder_level", reorder_level),
            order_qty=numbers("order_qty", order_qty, np.nan, minimum=0, above=True),
            demand_per_day=numbers("demand_per_day", demand_per_day, minimum=0),
            demand_sd_per_day=numbers("demand_sd_per_day", demand_sd_per_day, minimum=0),
            lead_time_days=numbers("lead_time_days", lead_time_days, minimum=0),
            lead_time_sd_days=numbers("lead_time_sd_days", lead_time_sd_days, 0.0, minimum=0),
            policy=choices("policy", policy, ("sQ", "RS"), "sQ"),
            review_days=numbers("review_days", review_days, DEFAULT["review_days"], minimum=0),
        )
        rs = v["policy"] == "RS"
        err = np.where((err == None) & ~rs & np.isnan(v["order_qty"]), f"{ERROR} order_qty: blank, needed for sQ", err)  # noqa: E711
        T = np.where(rs, v["review_days"] + v["lead_time_days"], v["lead_time_days"])
        sigma_t = protection_sd(T, v["demand_sd_per_day"], v["demand_per_day"], v["lead_time_sd_days"])
        gap = v["reorder_level"] - v["demand_per_day"] * T  # safety stock the level holds
        k = np.divide(gap, sigma_t, out=np.zeros(sigma_t.shape), where=sigma_t > 0)
        fr = expected_fill_rate(k, sigma_t, v["order_qty"], v["demand_per_day"], v["review_days"], v["policy"])
        # no demand uncertainty: short by whatever the level misses of the demand over T
        per_cycle = np.where(rs, v["demand_per_day"] * v["review_days"], v["order_qty"])
        certain = 1 - np.divide(np.maximum(-gap, 0), per_cycle, out=np.zeros(gap.shape), where=per_cycle > 0)
        fr = np.where(sigma_t > 0, fr, np.where(v["demand_per_day"] > 0, np.clip(certain, 0, 1), 1.0))
        return result(fr, err)

    return _guarded(compute)


# ---------------------------------------------------------------------------------------------------------
# forecasting and classification


def _history(history) -> tuple[np.ndarray, bool, np.ndarray]:
    """History range -> (Y series x periods, given as a row, per-series error). One series per column (time
    down the rows), or one row. Blank cells before a series' first value: not started; after it: zero
    demand. The history ends at the last filled row of the range."""
    g = grid(history)
    as_row = g.shape[0] == 1 and g.shape[1] > 1
    if as_row:
        g = g.T
    filled = ~np.vectorize(is_blank, otypes=[bool])(g)
    last = np.flatnonzero(filled.any(axis=1))
    if last.size == 0:
        raise CellError(f"{ERROR} history: no values")
    g, filled = g[: last[-1] + 1], filled[: last[-1] + 1]
    vals, err = numbers("history", g, 0.0, minimum=0)
    started = np.cumsum(filled, axis=0) > 0
    Y = np.where(started, vals, np.nan).T
    first_err = np.array([next((e for e in col if e is not None), None) for col in err.T], dtype=object)
    return Y, as_row, first_err


@excel_function("FORECAST")
@docs(
    history="Demand per period, oldest first: one column per series (or one row)",
    horizon="Periods to forecast [12]",
    method="auto, mean, moving_average, ses, holt, holt_winters, croston, sba or tsb [auto]",
    season_length="Periods per season for Holt-Winters [52]",
)
def planner_forecast(history, horizon=None, method=None, season_length=None):
    """Forecast per period for the next horizon periods, by the method chosen (auto: the smallest hold-out
    error among the candidates for the series' demand class), exactly as the Forecast sheet."""

    def compute():
        Y, as_row, bad = _history(history)
        H = int(_single("horizon", horizon, default=SETTINGS["horizon_periods"].default, minimum=1, maximum=520))
        m = _single("method", method, kind="choice", options=FORECAST_METHODS, default="auto")
        season = int(_single("season_length", season_length, default=52.0, minimum=1, maximum=520))
        values = forecast_series(Y, H, season, m).forecast.T  # H x series
        errors = np.broadcast_to(bad[None, :], values.shape)
        out = result(values, errors)
        return [list(r) for r in zip(*out, strict=True)] if as_row else out

    return _guarded(compute)


@excel_function("DEMAND_CLASS")
@docs(history="Demand per period, oldest first: one column per series (or one row)")
def planner_demand_class(history):
    """Syntetos-Boylan demand class per series: smooth, erratic, intermittent or lumpy (ADI cut-off 1.32,
    CV² cut-off 0.49), as the Forecast sheet's demand_class."""

    def compute():
        Y, as_row, bad = _history(history)
        cls = classify_demand(Y)[0][None, :]
        out = result(cls, bad[None, :])
        return [list(r) for r in zip(*out, strict=True)] if as_row else out

    return _guarded(compute)


@excel_function("ABC")
@docs(
    annual_value="Annual demand value per item (a range: the items are ranked together)",
    a_share="Cumulative value share of class A [0.8]",
    b_share="Cumulative value share of classes A and B [0.95]",
)
def planner_abc(annual_value, a_share=None, b_share=None):
    """ABC class per item by annual value: ranked by value, A while the cumulative share before the item is
    below a_share, B below b_share, else C (Silver, Pyke & Thomas §2.5), as the Reorder Plan's abc."""

    def compute():
        values, err = numbers("annual_value", annual_value, minimum=0)
        a = _single("a_share", a_share, default=SETTINGS["abc_a_share"].default, minimum=0, maximum=1)
        b = _single("b_share", b_share, default=SETTINGS["abc_b_share"].default, minimum=0, maximum=1)
        ok = err == None  # noqa: E711
        classes = np.full(values.shape, "", dtype=object)
        classes[ok] = classify_abc(values[ok], a, b)
        return result(classes, err)

    return _guarded(compute)


# ---------------------------------------------------------------------------------------------------------
# network: transport emissions and supplier concentration


@excel_function("TRANSPORT_CO2")
@docs(
    weight_kg="Weight shipped, kg (>= 0)",
    distance_km="Lane distance, km (>= 0)",
    mode='"road", "rail", "sea" or "air": the default emission factor when none is given [road]',
    co2_kg_per_tkm="Emission factor, kg CO2e per tonne-km [the mode's default]",
)
def planner_transport_co2(weight_kg, distance_km, mode=None, co2_kg_per_tkm=None):
    """Transport emissions, kg CO2e = weight_kg / 1000 x distance_km x co2_kg_per_tkm (tonne-km method, GLEC
    framework), as the Distribution Plan's co2_kg; the factor defaults by mode (road 0.107, rail 0.028, sea
    0.016, air 1.13 kg/tkm)."""

    def compute():
        m, m_err = choices("mode", mode, tuple(MODE_CO2_KG_PER_TKM), "road")
        factor = np.vectorize(lambda x: MODE_CO2_KG_PER_TKM.get(x, np.nan), otypes=[float])(m)
        v, err = broadcast(
            weight_kg=numbers("weight_kg", weight_kg, minimum=0),
            distance_km=numbers("distance_km", distance_km, minimum=0),
            by_mode=(factor, m_err),
            given=numbers("co2_kg_per_tkm", co2_kg_per_tkm, np.nan, minimum=0),
        )
        factor = np.where(np.isnan(v["given"]), v["by_mode"], v["given"])
        return result(v["weight_kg"] / 1000.0 * v["distance_km"] * factor, err)

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
        total = values.sum()
        if total <= 0:
            return [[f"{ERROR} spend: the total is 0, nothing to compare"]]
        return [[float(((values / total) ** 2).sum())]]

    return _guarded(compute)
