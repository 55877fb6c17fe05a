"""Time-phased netting (planner.core.netting) against the textbook MRP record computed one SKU-site at a
time, period by period (SPT ch. 15; Vollmann et al. ch. 8), on random instances, and the lot-sizing rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.core.netting import LotRules, first_below, net


def record(gross, sched, on_hand, ss, offset, firm, rs, q, r, moq, mult, add=False):
    """One SKU-site's MRP record written out plainly: the firm order arrives at the offset; from the next
    period on, a period below the safety stock gets a lot ((s, Q): whole Qs; (R, S): up to safety stock plus
    the net requirements until the next review when that is above the stock, only on review periods); MOQ,
    then the multiple."""
    p = len(gross)
    receipts, closing, level = [0.0] * p, [0.0] * p, on_hand
    if offset < p:
        receipts[offset] = firm
    for t in range(p):
        avail = level + sched[t] - gross[t] + receipts[t]
        planned = 0.0
        review_ok = (not rs) or (t - offset) % r == 0
        if rs:  # order up to: safety stock + net requirements until the next review, if above the stock
            qty = ss - avail + sum(gross[j] - sched[j] for j in range(t + 1, min(t + r, p)))
        else:
            qty = math.ceil((ss - avail) / q - 1e-9) * q
        if (t > offset or (add and t == offset)) and review_ok and qty > 1e-9:
            qty = max(qty, moq)
            m = mult if mult > 0 else 1.0
            qty = math.ceil(qty / m - 1e-9) * m
            planned = qty
        receipts[t] += planned
        level = avail + planned
        closing[t] = level
    releases = [0.0] * p
    for t in range(p):
        if t - offset >= 0:
            releases[t - offset] += receipts[t]
    if offset >= p:
        releases[0] += firm
    return np.array(receipts), np.array(releases), np.array(closing)


def random_instance(rng, n, p):
    gross = rng.poisson(rng.uniform(0, 40, (n, 1)), (n, p)).astype(float)
    sched = np.where(rng.random((n, p)) < 0.1, rng.integers(0, 80, (n, p)), 0).astype(float)
    rules = LotRules(
        rs=rng.random(n) < 0.5,
        order_qty=rng.integers(1, 120, n).astype(float),
        review_periods=rng.integers(1, 5, n),
        moq=np.where(rng.random(n) < 0.3, rng.integers(0, 100, n), np.nan),
        multiple=np.where(rng.random(n) < 0.3, rng.integers(1, 24, n), np.nan),
    )
    return dict(
        gross=gross,
        scheduled=sched,
        on_hand_now=rng.integers(-20, 150, n).astype(float),
        safety_stock=rng.integers(0, 60, n).astype(float),
        offset=rng.integers(0, p + 2, n),
        firm=rng.integers(0, 2, n) * rng.integers(0, 100, n).astype(float),
        rules=rules,
    )


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_netting_equals_the_record_loop(seed):
    rng = np.random.default_rng(seed)
    x = random_instance(rng, 60, 20)
    add = seed % 2 == 1  # the firm order's period netted too
    got = net(**x, add_to_firm=add)
    ru = x["rules"]
    for i in range(60):
        rec, rel, oh = record(
            x["gross"][i],
            x["scheduled"][i],
            x["on_hand_now"][i],
            x["safety_stock"][i],
            int(x["offset"][i]),
            x["firm"][i],
            bool(ru.rs[i]),
            ru.order_qty[i],
            int(ru.review_periods[i]),
            np.nan_to_num(ru.moq[i]),
            np.nan_to_num(ru.multiple[i]),
            add,
        )
        np.testing.assert_allclose(got.planned_receipts[i], rec, err_msg=f"row {i}")
        np.testing.assert_allclose(got.planned_releases[i], rel, err_msg=f"row {i}")
        np.testing.assert_allclose(got.on_hand[i], oh, err_msg=f"row {i}")
    assert got.balance_error(x["on_hand_now"]) < 1e-9


def _one(gross, on_hand, ss, rs=False, q=50.0, r=1, moq=np.nan, mult=np.nan, offset=1, firm=0.0):
    rules = LotRules(np.array([rs]), np.array([q]), np.array([r]), np.array([moq]), np.array([mult]))
    g = np.array([gross], float)
    return net(
        g,
        np.zeros_like(g),
        np.array([on_hand], float),
        np.array([ss], float),
        np.array([offset]),
        np.array([firm], float),
        rules,
    )


def test_fixed_order_quantity_in_multiples_of_q():
    # on hand 30, 20/period, ss 10, Q 50, lead 1, firm order 50 today: period 3 would close at 0 -> one Q
    out = _one([20, 20, 20, 20, 20], 30, 10, firm=50.0)
    np.testing.assert_allclose(out.planned_receipts[0], [0, 50, 0, 50, 0])
    np.testing.assert_allclose(out.on_hand[0], [10, 40, 20, 50, 30])
    np.testing.assert_allclose(out.planned_releases[0], [50, 0, 50, 0, 0])
    # a need of 120 takes three Qs of 50
    assert _one([0, 130, 0], 0, 0, offset=0).planned_receipts[0][1] == 150


def test_order_up_to_at_review_periods_with_moq_and_multiple():
    # (R, S) every 2 periods (offset 0 -> reviews at 2, 4): period 2 would close at -15: 20 up to the safety
    # stock plus 10 for period 3 (the next review is period 4) = 30; period 4: from -5, 10 + 10 = 20
    out = _one([10] * 6, 15, 5, rs=True, r=2, offset=0)
    np.testing.assert_allclose(out.planned_receipts[0], [0, 0, 30, 0, 20, 0])
    assert (out.on_hand[0][2:] >= 5).all()  # period 1 is short: no review before period 2
    # MOQ 100 then multiple 12 -> 108
    out = _one([10] * 3, 0, 0, q=1, moq=100, mult=12, offset=0)
    assert out.planned_receipts[0][1] == 108


def test_no_receipt_before_the_offset_shows_the_stockout():
    out = _one([30, 30, 30, 30], 40, 0, offset=2)
    assert out.on_hand[0][1] == -20  # nothing can arrive before period 2
    assert first_below(out.on_hand, np.zeros(1))[0] == 1
    assert out.on_hand[0][3] >= 0
