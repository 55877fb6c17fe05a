"""Inventory policy: the contract's formulas against textbook examples, stockpyl and independent maths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats
from stockpyl.eoq import economic_order_quantity
from stockpyl.loss_functions import standard_normal_loss
from stockpyl.rq import r_q_eoqss_approximation

from planner.core import inventory as inv

PDATE = pd.Timestamp("2026-03-02")


def test_eoq_snyder_shen_example_3_1():
    # K = 8 per order, h = 0.225 per unit-year, lambda = 1300 per year: Q* = 304.05 (book and stockpyl)
    q = inv.eoq(8.0, 1300.0, 0.225, 1.0)
    assert q == pytest.approx(304.0467800264368, abs=1e-6)
    assert q == pytest.approx(economic_order_quantity(8, 0.225, 1300)[0], abs=1e-6)


@pytest.mark.parametrize("k", [-2.5, -1.0, 0.0, 0.5, 1.0, 1.645, 3.0])
def test_normal_loss_agrees_with_stockpyl_and_integral(k):
    by_integral = integrate.quad(lambda z: (z - k) * stats.norm.pdf(z), k, np.inf)[0]
    assert inv.normal_loss(k) == pytest.approx(standard_normal_loss(k)[0], abs=1e-6)
    assert inv.normal_loss(k) == pytest.approx(by_integral, abs=1e-9)


def test_r_q_with_eoq_and_cycle_service_agrees_with_stockpyl():
    """Snyder & Shen's EOQ + SS approximation: r = mu_L + z sigma_L with service p/(p+h), Q = EOQ.
    The same numbers through the contract's formulas with a 30.4-day lead time and daily units."""
    h, p, K, lam, sd, L_years = 0.225, 7.5, 8.0, 1300.0, 150.0, 1 / 12
    r_ref, q_ref = r_q_eoqss_approximation(h, p, K, lam, sd, L_years)
    days = 365.0
    d, sd_d, L = lam / days, sd / math.sqrt(days), L_years * days
    sigma_L = inv.protection_sd(L, sd_d, d, 0.0)
    k = inv.safety_factor(p / (p + h), "cycle", sigma_L, q_ref, d, 0.0, "sQ")
    assert d * L + k * sigma_L == pytest.approx(r_ref, abs=1e-6)
    assert inv.eoq(K, d * days, h, 1.0) == pytest.approx(q_ref, abs=1e-6)


def test_lead_time_variability_formula():
    # sigma_T^2 = T sigma_d^2 + d^2 sigma_L^2 (SPT eq. 6.24)
    assert inv.protection_sd(9.0, 2.0, 10.0, 1.5) == pytest.approx(math.sqrt(9 * 4 + 100 * 2.25))


@pytest.mark.parametrize("beta,q,sigma", [(0.95, 100.0, 40.0), (0.99, 50.0, 30.0), (0.9, 400.0, 25.0)])
def test_fill_rate_safety_factor_solves_the_loss_equation(beta, q, sigma):
    k = inv.safety_factor(beta, "fill", sigma, q, 5.0, 7.0, "sQ")
    ref = optimize.brentq(lambda x: sigma * (stats.norm.pdf(x) - x * stats.norm.sf(x)) - (1 - beta) * q, -8, 8)
    assert k == pytest.approx(ref, abs=1e-7)
    assert inv.expected_fill_rate(k, sigma, q, 5.0, 7.0, "sQ") == pytest.approx(beta, abs=1e-9)


def test_fill_rate_rs_uses_demand_per_review():
    d, R, sigma, beta = 10.0, 7.0, 30.0, 0.97
    k = inv.safety_factor(beta, "fill", sigma, 999.0, d, R, "RS")
    assert sigma * inv.normal_loss(k) == pytest.approx((1 - beta) * d * R, rel=1e-9)


def test_order_rounding_moq_and_multiple():
    assert inv.round_up(101, 0, 12) == 108
    assert inv.round_up(30, 100, 12) == 108  # honours both the MOQ and the multiple
    assert inv.round_up(24.0000000001, 0, 12) == 24
    assert inv.round_up(3.2, 0, np.nan) == 4  # whole units
    assert inv.order_quantity(50, 1000, 0.2, 10, moq=0, multiple=25) == 225  # EOQ 223.6 -> 225


def _frame(**cols) -> pd.DataFrame:
    base = dict(
        demand_per_day=10.0, demand_sd_per_day=4.0, unit_cost=10.0, holding_rate=0.2, order_cost=50.0,
        service_level=0.95, service_type="cycle", policy="sQ", review_days=7.0, moq=0.0, order_multiple=1.0,
        lead_time_days=9.0, lead_time_sd_days=0.0, on_hand=100.0, on_order=0.0, backorders=0.0,
    )  # fmt: skip
    base.update(cols)
    n = max(len(v) if isinstance(v, list) else 1 for v in base.values())
    return pd.DataFrame({k: v if isinstance(v, list) else [v] * n for k, v in base.items()})


def test_sq_policy_by_hand():
    df = _frame(on_hand=[100.0, 200.0], on_order=[0.0, 0.0])
    out = inv.plan_policy(df, 365.0, PDATE)
    q = math.ceil(math.sqrt(2 * 50 * 3650 / (0.2 * 10)))  # EOQ 427.2 -> 428
    ss = stats.norm.ppf(0.95) * 4.0 * 3.0  # sigma_L = 4 sqrt(9)
    s = 90 + ss
    assert out["order_quantity"].tolist() == [q, q]
    assert out["safety_stock"].iloc[0] == pytest.approx(ss)
    assert out["reorder_point"].iloc[0] == pytest.approx(s)
    # IP 100 <= s = 109.7: one Q brings it above s; IP 200 > s: nothing, next order in (200 - s)/10 days
    assert out["suggested_order"].tolist() == [q, 0]
    assert out["order_date"].iloc[0] == PDATE and out["expected_arrival"].iloc[0] == PDATE + pd.Timedelta(days=9)
    assert out["order_date"].iloc[1] == PDATE + pd.Timedelta(days=math.ceil((200 - s) / 10))
    assert out["days_of_cover"].tolist() == [10.0, 20.0]


def test_sq_orders_several_lots_when_far_below():
    df = _frame(on_hand=-500.0, order_cost=0.0, moq=50.0)  # Q = moq 50, IP -500, s ~ 109.7
    out = inv.plan_policy(df, 365.0, PDATE)
    s = out["reorder_point"].iloc[0]
    n = math.floor((s + 500) / 50) + 1
    assert out["suggested_order"].iloc[0] == n * 50
    assert -500 + n * 50 > s >= -500 + (n - 1) * 50


def test_rs_policy_by_hand():
    df = _frame(policy="RS", review_days=7.0, on_hand=60.0, on_order=20.0, backorders=5.0, order_multiple=10.0)
    out = inv.plan_policy(df, 365.0, PDATE)
    sigma = 4.0 * math.sqrt(16)
    S = 10 * 16 + stats.norm.ppf(0.95) * sigma
    ip = 75.0
    assert out["order_up_to"].iloc[0] == pytest.approx(S)
    assert np.isnan(out["reorder_point"].iloc[0])
    assert out["inventory_position"].iloc[0] == ip
    assert out["suggested_order"].iloc[0] == math.ceil((S - ip) / 10) * 10


def test_negative_k_is_floored_and_reported():
    # fill 0.5 with a large Q needs k < 0: safety stock floored at 0, raw k kept for the note
    out = inv.plan_policy(_frame(service_type="fill", service_level=0.5), 365.0, PDATE)
    assert out["safety_factor_raw"].iloc[0] < 0
    assert out["safety_factor"].iloc[0] == 0 and out["safety_stock"].iloc[0] == 0


def test_no_demand_orders_only_backorders():
    out = inv.plan_policy(_frame(demand_per_day=[0.0, 0.0], demand_sd_per_day=0.0, on_hand=[0.0, -7.0]), 365.0, PDATE)
    assert out["suggested_order"].tolist() == [0.0, 7.0]


def test_statuses():
    df = _frame(on_hand=[50.0, 150.0, 5000.0, 10.0], demand_per_day=[10.0, 10.0, 10.0, 0.0])
    out = inv.plan_policy(df, 365.0, PDATE)
    st = inv.status(out, df["demand_per_day"].to_numpy(), np.array([False, False, False, False]))
    assert list(st) == ["ORDER NOW", "OK", "EXCESS", "NO DEMAND"]
    assert out["excess_units"].iloc[2] == pytest.approx(5000 - out["order_up_to"].iloc[2])
    flagged = inv.status(out, df["demand_per_day"].to_numpy(), np.array([False, True, True, False]))
    assert list(flagged) == ["ORDER NOW", "CHECK", "CHECK", "NO DEMAND"]


def test_abc_80_15_5():
    value = np.array([500.0, 250.0, 100.0, 60.0, 40.0, 30.0, 20.0, 0.0])  # total 1000
    # cumulative share before each: 0, .5, .75, .85, .91, .95, .98 -> A A A B B C C C
    assert list(inv.classify_abc(value)) == ["A", "A", "A", "B", "B", "C", "C", "C"]


def test_xyz():
    assert list(inv.classify_xyz([0.2, 0.5, 0.99, 1.0, np.nan])) == ["X", "Y", "Y", "Z", "Z"]


def test_vectorised_policy_equals_per_sku_stockpyl_loop():
    rng = np.random.default_rng(3)
    n = 300
    lam, sd = rng.uniform(100, 5000, n), rng.uniform(10, 500, n)
    h, K, L = rng.uniform(0.1, 2, n), rng.uniform(5, 100, n), rng.uniform(0.01, 0.2, n)
    p = h * rng.uniform(1.01, 50, n)  # service p/(p+h) within the contract's 0.5-0.9999
    df = _frame(
        demand_per_day=list(lam / 365), demand_sd_per_day=list(sd / math.sqrt(365)), unit_cost=1.0,
        holding_rate=list(h), order_cost=list(K), service_level=list(p / (p + h)), lead_time_days=list(L * 365),
        order_multiple=1e-9,
    )  # fmt: skip
    out = inv.plan_policy(df, 365.0, PDATE)
    for i in range(n):
        r_ref, q_ref = r_q_eoqss_approximation(h[i], p[i], K[i], lam[i], sd[i], L[i])
        assert out["reorder_point"].iloc[i] == pytest.approx(r_ref, abs=1e-6)
        assert out["order_quantity"].iloc[i] == pytest.approx(q_ref, abs=1e-6)


def test_far_future_order_date_is_blank_not_an_overflow():
    out = inv.plan_policy(_frame(demand_per_day=1e-9, demand_sd_per_day=0.0, on_hand=1e6), 365.0, PDATE)
    assert out["suggested_order"].iloc[0] == 0 and pd.isna(out["order_date"].iloc[0])
