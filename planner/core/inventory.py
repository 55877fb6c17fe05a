"""Inventory policy per SKU-site, vectorised with numpy/scipy: EOQ, order rounding, safety stock with
lead-time variability, (s, Q) and (R, S) policies, suggested orders, ABC/XYZ and statuses.

Units: quantities in stocking units, demand per day, times in days, money in the workbook's currency.
Sources: Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains*, 4th ed. (2017):
§4.2 (EOQ), §6.7 (safety stock for cycle service and fill rate with the normal loss function G(k)),
§6.10 (lead-time variability, eq. 6.24 sigma_T² = T sigma_d² + d² sigma_L²), §7.1 (R, S);
Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed. (2019), §5.3 ((r, Q) with EOQ + SS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import elementwise
from scipy.special import ndtr, ndtri

from planner.core import service_levels
from planner.core.choices import check_choice
from planner.model.settings import SETTINGS

POLICIES = SETTINGS["policy"].choices  # sQ, RS
SERVICE_TYPES = SETTINGS["service_type"].choices  # cycle, fill
K_MIN, K_MAX = -8.0, 8.0  # bracket for the fill-rate safety factor
MAX_PROJECTION_DAYS = 3650  # an order date further out than 10 years is left blank


def normal_pdf(k: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.square(k)) / np.sqrt(2 * np.pi)


def normal_loss(k: np.ndarray | float) -> np.ndarray:
    """Standard normal first-order loss G(k) = phi(k) - k (1 - Phi(k)) = E[(Z - k)+] (SPT eq. B.7)."""
    k = np.asarray(k, dtype=float)
    return normal_pdf(k) - k * (1.0 - ndtr(k))


def eoq(order_cost, annual_demand, holding_rate, unit_cost) -> np.ndarray:
    """Economic order quantity sqrt(2 A D / (r v)), units (SPT eq. 4.2): A per order, D units/year,
    r per year, v per unit. 0 where D is 0; NaN where the holding cost r v is not positive."""
    h = np.asarray(holding_rate, float) * np.asarray(unit_cost, float)
    num = 2.0 * np.asarray(order_cost, float) * np.asarray(annual_demand, float)
    return np.sqrt(np.divide(num, h, out=np.full(np.broadcast(num, h).shape, np.nan), where=h > 0))


def round_up(q, moq=0.0, multiple=1.0) -> np.ndarray:
    """Smallest whole quantity >= max(q, moq) that is a multiple of ``multiple`` (1 when blank or 0).

    Where the moq is not itself a multiple, the result honours both (moq 100, multiple 12 -> 108)."""
    mult = np.where(np.nan_to_num(np.asarray(multiple, float)) > 0, multiple, 1.0)
    need = np.maximum(np.nan_to_num(np.asarray(q, float)), np.nan_to_num(np.asarray(moq, float)))
    # tolerate float noise so that 24.000000001 with multiple 12 stays 24
    return np.ceil(need / mult - 1e-9) * mult


def order_quantity(order_cost, annual_demand, holding_rate, unit_cost, moq=0.0, multiple=1.0):
    """Q = EOQ rounded up to the order multiple and at least the MOQ (whole units; >= one multiple)."""
    mult = np.where(np.nan_to_num(np.asarray(multiple, float)) > 0, multiple, 1.0)
    raw = np.nan_to_num(eoq(order_cost, annual_demand, holding_rate, unit_cost))
    return round_up(np.maximum(raw, mult), moq, mult)


def _is_rs(policy) -> np.ndarray:
    """True where the policy is (R, S), False for (s, Q); any other name raises ChoiceError."""
    check_choice("policy", policy, POLICIES)
    return np.asarray(policy) == "RS"


def protection_days(policy, lead_time_days, review_days) -> np.ndarray:
    """The protection interval T, days: the lead time L for (s, Q), the review period plus the lead time
    R + L for (R, S) (SPT §6.7 and §7.1: the stock must cover demand until the next order can arrive)."""
    L = np.asarray(lead_time_days, float)
    return np.where(_is_rs(policy), np.asarray(review_days, float) + L, L)


def protection_sd(days, demand_sd_per_day, demand_per_day, lead_time_sd_days) -> np.ndarray:
    """sigma_T = sqrt(T sigma_d² + d² sigma_L²), units: demand sd over a protection interval T days with
    a random lead time (SPT eq. 6.24; T = L for (s, Q), R + L for (R, S))."""
    T = np.asarray(days, float)
    return np.sqrt(T * np.square(demand_sd_per_day) + np.square(demand_per_day) * np.square(lead_time_sd_days))


def fill_rate_k(target_loss) -> np.ndarray:
    """k with G(k) = target_loss, solved elementwise (scipy's vectorised bracketing root finder)."""
    g = np.asarray(target_loss, float)
    res = elementwise.find_root(lambda k, g: normal_loss(k) - g, (K_MIN, K_MAX), args=(g,))
    k = np.where(g >= normal_loss(K_MIN), K_MIN, res.x)
    return np.where(g <= normal_loss(K_MAX), K_MAX, k)


def demand_per_cycle(policy, order_qty, demand_per_day, review_days) -> np.ndarray:
    """Demand between two replenishments, units: the order quantity Q for (s, Q), d R for (R, S); the fill
    rate is 1 - (expected shortage per cycle) / (demand per cycle) (SPT eqs. 6.25 and 7.8)."""
    return np.where(_is_rs(policy), np.asarray(demand_per_day) * review_days, order_qty)


def shortage_per_cycle(k, sigma_t) -> np.ndarray:
    """Expected units short per replenishment cycle, sigma_T G(k), for a level k sigma_T above the mean
    demand over the protection interval (normal demand; SPT §6.7, ESPRC)."""
    return np.asarray(sigma_t) * normal_loss(k)


def safety_factor(service_level, service_type, sigma_t, order_qty, demand_per_day, review_days, policy):
    """Unfloored safety factor k. cycle: k = Phi^-1(P1). fill: sigma_T G(k) = (1 - P2) Q for (s, Q) and
    (1 - P2) d R for (R, S) (SPT eqs. 6.25 and 7.8). Where sigma_T = 0, k = 0."""
    check_choice("service_type", service_type, SERVICE_TYPES)
    sl = np.asarray(service_level, float)
    per_cycle = demand_per_cycle(policy, order_qty, demand_per_day, review_days)
    sigma_t = np.asarray(sigma_t, float)
    shape = np.broadcast(sl, per_cycle, sigma_t).shape
    target = np.divide((1 - sl) * per_cycle, sigma_t, out=np.full(shape, np.inf), where=sigma_t > 0)
    fill = np.broadcast_to(np.asarray(service_type) == "fill", np.shape(target))
    k = np.array(ndtri(np.broadcast_to(sl, np.shape(target))), dtype=float)
    if fill.any():
        k[fill] = fill_rate_k(np.minimum(target[fill], 1e6))
    return np.where(np.asarray(sigma_t) > 0, k, 0.0)


def expected_fill_rate(k, sigma_t, order_qty, demand_per_day, review_days, policy) -> np.ndarray:
    """Fill rate the policy delivers: 1 - sigma_T G(k) / (Q or d R), clipped to [0, 1]; 1 without demand."""
    per_cycle = demand_per_cycle(policy, order_qty, demand_per_day, review_days)
    short = shortage_per_cycle(k, sigma_t)
    fr = 1 - np.divide(short, per_cycle, out=np.zeros(np.shape(short)), where=per_cycle > 0)
    return np.clip(np.where(np.asarray(demand_per_day) > 0, fr, 1.0), 0.0, 1.0)


@dataclass(frozen=True)
class Protection:
    """What protects a policy against uncertain demand and lead time, per row (arrays)."""

    days: np.ndarray  # protection interval T: L for (s, Q), R + L for (R, S), days
    sd: np.ndarray  # sigma_T, sd of demand over T, units
    k_raw: np.ndarray  # safety factor before flooring
    k: np.ndarray  # safety factor, floored at 0
    safety_stock: np.ndarray  # SS = k sigma_T, units


def protection(policy, service_type, service_level, demand_per_day, demand_sd_per_day, lead_time_days,
               lead_time_sd_days, review_days, order_qty) -> Protection:  # fmt: skip
    """Safety stock of (s, Q) or (R, S) policies: T = protection_days, sigma_T = protection_sd (SPT eq.
    6.24), k from the service target (safety_factor: cycle service or fill rate, SPT eqs. 6.25, 7.8),
    floored at 0, and SS = k sigma_T, units. The Reorder Plan and the Excel functions both use it."""
    T = protection_days(policy, lead_time_days, review_days)
    sigma_t = protection_sd(T, demand_sd_per_day, demand_per_day, lead_time_sd_days)
    k_raw = safety_factor(service_level, service_type, sigma_t, order_qty, demand_per_day, review_days, policy)
    k = np.maximum(k_raw, 0.0)
    return Protection(T, sigma_t, k_raw, k, k * sigma_t)


def policy_level(demand_per_day, days, safety_stock) -> np.ndarray:
    """Mean demand over ``days`` plus the safety stock, units: the reorder point s = d L + SS of (s, Q) with
    days = L (SPT §6.7), the order-up-to level S = d (R + L) + SS of (R, S) with days = R + L (SPT §7.1)."""
    return np.asarray(demand_per_day) * days + safety_stock


def fill_rate_at_level(level, order_qty, demand_per_day, demand_sd_per_day, lead_time_days, lead_time_sd_days,
                       policy, review_days) -> np.ndarray:  # fmt: skip
    """Expected fill rate of a given level (reorder point s of (s, Q), order-up-to level S of (R, S)):
    k = (level - d T) / sigma_T, then 1 - sigma_T G(k) / (Q or d R) (expected_fill_rate). Without demand
    uncertainty (sigma_T = 0) the shortfall max(d T - level, 0) per cycle is certain; 1 without demand."""
    d = np.asarray(demand_per_day, float)
    T = protection_days(policy, lead_time_days, review_days)
    sigma_t = protection_sd(T, demand_sd_per_day, d, lead_time_sd_days)
    gap = np.asarray(level, float) - policy_level(d, T, 0.0)  # the safety stock the level holds
    k = np.divide(gap, sigma_t, out=np.zeros(np.shape(sigma_t)), where=sigma_t > 0)
    fr = expected_fill_rate(k, sigma_t, order_qty, d, review_days, policy)
    per_cycle = demand_per_cycle(policy, order_qty, d, review_days)
    certain = 1 - np.divide(np.maximum(-gap, 0), per_cycle, out=np.zeros(np.shape(gap)), where=per_cycle > 0)
    return np.where(sigma_t > 0, fr, np.where(d > 0, np.clip(certain, 0, 1), 1.0))


def suggested_order(policy, inventory_position, reorder_point, order_up_to, q, moq, multiple, demand):
    """(s, Q): if IP <= s, the smallest n Q (n >= 1) with IP + n Q > s, else 0.
    (R, S): if IP < S, S - IP rounded up to the multiple and at least the MOQ, else 0.
    Without demand only backorders are covered (IP < 0), so no stock is bought for nothing."""
    ip = np.asarray(inventory_position, float)
    n = np.floor((reorder_point - ip) / q) + 1
    sq = np.where(ip <= reorder_point, n * q, 0.0)
    rs = np.where(ip < order_up_to, round_up(order_up_to - ip, moq, multiple), 0.0)
    order = np.where(_is_rs(policy), rs, sq)
    backorder_only = np.where(ip < 0, round_up(-ip, moq, multiple), 0.0)
    return np.where(np.asarray(demand) > 0, order, backorder_only)


def classify_abc(annual_value, a_share: float = SETTINGS["abc_a_share"].default,
                 b_share: float = SETTINGS["abc_b_share"].default) -> np.ndarray:  # fmt: skip
    """ABC by annual value D v: sorted descending, A while the cumulative share before the item is below
    80 %, B below 95 %, else C (SPT §2.5 Pareto). Items without value are C."""
    v = np.nan_to_num(np.asarray(annual_value, float))
    order = np.argsort(-v, kind="stable")
    total = v.sum()
    before = np.empty_like(v)
    before[order] = (np.cumsum(v[order]) - v[order]) / total if total > 0 else 1.0
    return np.where((before < a_share) & (v > 0), "A", np.where((before < b_share) & (v > 0), "B", "C"))


def classify_xyz(cv, x_max: float = SETTINGS["xyz_x_cv"].default, y_max: float = SETTINGS["xyz_y_cv"].default):
    """XYZ by coefficient of variation of demand per period: X < 0.5 <= Y < 1.0 <= Z; no demand is Z."""
    cv = np.asarray(cv, float)
    return np.where(np.isnan(cv), "Z", np.where(cv < x_max, "X", np.where(cv < y_max, "Y", "Z")))


def plan_policy(df: pd.DataFrame, days_per_year: float, planning_date: pd.Timestamp) -> pd.DataFrame:
    """Apply the contract's formulas to one row per SKU-site. ``df`` needs: demand_per_day,
    demand_sd_per_day, unit_cost, holding_rate, order_cost, service_level, service_type, policy,
    review_days, moq, order_multiple, lead_time_days, lead_time_sd_days, on_hand, on_order, backorders;
    optionally level_tuning (units added to the safety stock, so to s and S, by the service simulation).
    Returns the policy columns, row-aligned with ``df``."""
    d = df["demand_per_day"].to_numpy(float)
    L = df["lead_time_days"].to_numpy(float)
    R = df["review_days"].to_numpy(float)
    policy = df["policy"].to_numpy(str)
    moq, mult = df["moq"].to_numpy(float), df["order_multiple"].to_numpy(float)
    rs = _is_rs(policy)
    annual = d * days_per_year
    q = order_quantity(
        df["order_cost"].to_numpy(float), annual, df["holding_rate"].to_numpy(float),
        df["unit_cost"].to_numpy(float), moq, mult,
    )  # fmt: skip
    sd, sL = df["demand_sd_per_day"].to_numpy(float), df["lead_time_sd_days"].to_numpy(float)
    p = protection(policy, df["service_type"].to_numpy(str), df["service_level"].to_numpy(float), d, sd, L, sL, R, q)
    fill = expected_fill_rate(p.k, p.sd, q, d, R, policy)
    if "demand_distribution" in df:  # distribution, review interval and lost sales (planner.core.service_levels)
        p, fill = distribution_protection(df, p, q)
    T, sigma_t, k_raw, k, ss = p.days, p.sd, p.k_raw, p.k, p.safety_stock
    if "level_tuning" in df:  # units added to s or S by the service simulation (planner.core.service)
        ss = ss + df["level_tuning"].to_numpy(float)
    s = policy_level(d, L, ss)
    S = policy_level(d, R + L, ss)
    ip = (
        df["on_hand"].to_numpy(float)
        + np.nan_to_num(df["on_order"].to_numpy(float))
        - np.nan_to_num(df["backorders"].to_numpy(float))
    )
    order = suggested_order(policy, ip, s, S, q, moq, mult, d)
    on_hand = df["on_hand"].to_numpy(float)
    order_date, arrival = _order_dates(rs, ip, s, d, R, L, order, planning_date)
    max_level = np.where(rs, S, s + q)
    excess = np.maximum(ip - max_level, 0.0) * (d > 0) + np.maximum(on_hand, 0.0) * (d <= 0)
    columns = {
        "annual_demand": annual, "order_quantity": q, "protection_days": T, "protection_sd": sigma_t,
        "safety_factor": k, "safety_factor_raw": k_raw, "safety_stock": ss, "reorder_point": np.where(rs, np.nan, s),
        "order_up_to": np.where(rs, S, s + q), "inventory_position": ip, "suggested_order": order,
        "order_date": order_date, "expected_arrival": arrival,
        "days_of_cover": np.divide(on_hand, d, out=np.full(len(d), np.nan), where=d > 0),
        "expected_fill_rate": fill, "excess_units": excess,
        "lead_time_demand": d * L,
    }  # fmt: skip
    return pd.DataFrame(columns, index=df.index)


def distribution_protection(df: pd.DataFrame, textbook: Protection, q: np.ndarray) -> tuple[Protection, np.ndarray]:
    """Protection and expected fill rate where the row's lead-time demand is not normal, its (s, Q) stock is
    reviewed every ``sq_review_days`` days, or sales are lost (columns demand_distribution, sq_review_days,
    lost_sales): the least level reaching the target (service_levels.level_for_target), NOT floored at the
    mean demand over L (s) or R + L (S): a fill-rate target with a lot Q much larger than the demand over L
    (slow movers) is met below that mean, and a floor there over-serves them (measured by
    benchmarks/service.py); SS = level - that mean (negative there), sigma_T over L + r (s) or R + L (S),
    k = SS / sigma_T. Other rows keep the textbook ``protection``."""
    d, L, R = (df[c].to_numpy(float) for c in ("demand_per_day", "lead_time_days", "review_days"))
    rs, r = _is_rs(df["policy"].to_numpy(str)), np.where(_is_rs(df["policy"].to_numpy(str)), 0.0,
                                                          df["sq_review_days"].to_numpy(float))  # fmt: skip
    kind, lost = df["demand_distribution"].to_numpy(str), df["lost_sales"].to_numpy(bool)
    rows = np.flatnonzero((kind != "normal") | (r > 0) | lost)
    if not len(rows):
        return textbook, expected_fill_rate(textbook.k, textbook.sd, q, d, R, df["policy"].to_numpy(str))
    v = np.square(df["demand_sd_per_day"].to_numpy(float))
    sL = df["lead_time_sd_days"].to_numpy(float)
    args = (q[rows], d[rows], v[rows], L[rows], sL[rows], rs[rows], R[rows], r[rows], kind[rows])
    target = df["service_level"].to_numpy(float)[rows]
    nearest = df["nearest_unit"].to_numpy(bool)[rows] if "nearest_unit" in df else None
    raw = service_levels.level_for_target(df["service_type"].to_numpy(str)[rows], target, *args, lost[rows], nearest)
    mean_t = d[rows] * np.where(rs[rows], R[rows] + L[rows], L[rows])
    level = raw  # not floored at the mean: with a lot Q that covers much demand the least level may lie below it
    days = np.where(rs[rows], R[rows] + L[rows], L[rows] + r[rows])
    sd = np.sqrt(service_levels.demand_variance(days, v[rows], d[rows], sL[rows]))
    k_raw = np.divide(raw - mean_t, sd, out=np.zeros(len(rows)), where=sd > 0)
    k = np.divide(level - mean_t, sd, out=np.zeros(len(rows)), where=sd > 0)
    out = {f: getattr(textbook, f).copy() for f in ("days", "sd", "k_raw", "k", "safety_stock")}
    for name, value in zip(out, (days, sd, k_raw, k, level - mean_t), strict=True):
        out[name][rows] = value
    fill = expected_fill_rate(textbook.k, textbook.sd, q, d, R, df["policy"].to_numpy(str))
    fill[rows] = service_levels.fill_rate(level, *args, lost[rows])
    return Protection(**out), fill


def _order_dates(rs, ip, s, d, R, L, order, planning_date) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Order date and expected arrival (order date + ceil(L) days). Ordering now: the planning date; else
    (s, Q) orders when IP falls to s (after (IP - s) / d days, rounded up), (R, S) at the next review (R
    days); blank beyond MAX_PROJECTION_DAYS."""
    days_to_order = np.where(rs, R, np.divide(ip - s, d, out=np.full(len(d), np.nan), where=(d > 0) & (ip > s)))
    days_to_order = np.where(order > 0, 0.0, days_to_order)
    days_to_order = np.where(days_to_order <= MAX_PROJECTION_DAYS, np.ceil(days_to_order), np.nan)
    order_date = planning_date + pd.to_timedelta(days_to_order, unit="D")
    return order_date, order_date + pd.to_timedelta(np.ceil(L), unit="D")


def order_cover_days(order_qty, demand_per_day) -> np.ndarray:
    """Days of demand an order covers: Q / d (days; NaN without an order or without demand)."""
    q, d = np.asarray(order_qty, float), np.asarray(demand_per_day, float)
    return np.divide(q, d, out=np.full(q.shape, np.nan), where=(q > 0) & (d > 0))


def status(plan: pd.DataFrame, demand_per_day: np.ndarray, checks: np.ndarray) -> np.ndarray:
    """ORDER NOW (something to order), NO DEMAND, EXCESS (IP above the policy's maximum, s + Q or S),
    CHECK (input repaired or a result that needs a look), else OK. CHECK wins over OK and EXCESS only."""
    return np.select(
        [
            plan["suggested_order"].to_numpy() > 0,
            np.asarray(checks, bool),
            np.asarray(demand_per_day) <= 0,
            plan["excess_units"].to_numpy() > 0,
        ],
        ["ORDER NOW", "CHECK", "NO DEMAND", "EXCESS"],
        "OK",
    )
