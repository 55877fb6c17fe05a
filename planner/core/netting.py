"""Time-phased netting (MRP / DRP records), vectorised across SKU-sites: numpy arrays in, arrays out, no I/O.

One record per SKU-site and period t = 0 .. P-1 (Orlicky, *Material Requirements Planning*, 1975, ch. 2-3;
Vollmann, Berry, Whybark & Jacobs, *Manufacturing Planning and Control for Supply Chain Management*, 5th ed.
(2005), ch. 8 "Distribution requirements planning": the DRP record; Silver, Pyke & Thomas, *Inventory and
Production Management in Supply Chains*, 4th ed. (2017), ch. 15 "MRP"):

    available_t      = on_hand_{t-1} + scheduled_receipts_t - gross_requirement_t      (on_hand_{-1} = on hand now)
    net_requirement_t = max(0, safety_stock - available_t)                             (a receipt is planned only
                                                                                        where net_requirement_t > 0)
    on_hand_t        = available_t + planned_receipts_t
    planned_release_{t - offset} = planned_receipts_t

Units: quantities in stocking units per period; the offset (lead time, or transit + handling) in whole periods.
Projected on hand may go below zero: the shortfall is carried as a backorder (SPT §15.2's projected balance).

Lot sizing (SPT §15.4 "lot sizing"; the policy of the Reorder Plan):
- (s, Q): the net requirement rounded up to a whole number of Q (fixed order quantity, multiples of Q);
- (R, S): receipts only in review periods (every R periods); a receipt raises the projected on hand to the
  safety stock plus the net requirements until the next review, whenever the stock would otherwise fall below
  the safety stock before then (the time-phased order-up-to level: S minus the demand over the lead time, which
  the offset already covers);
then at least the MOQ and a multiple of the order multiple.

A release cannot lie in the past: the first receipt is the firm planned order released today (Orlicky's firm
planned order: the Reorder Plan's suggested order), arriving at the offset; netting plans receipts after it.
The loop runs over periods only; each step is one vector operation over all SKU-sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.core.inventory import round_up


@dataclass(frozen=True)
class LotRules:
    """Per SKU-site lot-sizing rules (arrays of length N)."""

    rs: np.ndarray  # True: (R, S) order-up-to at review periods; False: (s, Q) multiples of Q
    order_qty: np.ndarray  # Q, units (s, Q)
    review_periods: np.ndarray  # R in whole periods >= 1 ((R, S))
    moq: np.ndarray  # minimum order quantity, units (NaN or 0: none)
    multiple: np.ndarray  # order multiple, units (NaN or 0: 1)


@dataclass(frozen=True)
class Netting:
    """The netted records (N x P arrays, units per period)."""

    gross: np.ndarray
    scheduled: np.ndarray
    planned_receipts: np.ndarray
    planned_releases: np.ndarray
    on_hand: np.ndarray  # projected on hand at the end of each period
    safety_stock: np.ndarray  # N

    def balance_error(self, on_hand_now: np.ndarray) -> float:
        """Largest |on_hand_t - (on_hand_{t-1} + scheduled_t + planned_t - gross_t)|: 0 for a sound record."""
        before = np.column_stack([on_hand_now, self.on_hand[:, :-1]])
        flow = before + self.scheduled + self.planned_receipts - self.gross
        return float(np.max(np.abs(self.on_hand - flow), initial=0.0))


def lot_size(need: np.ndarray, rules: LotRules, window_need: np.ndarray) -> np.ndarray:
    """Planned receipt for ``need`` (units below the safety stock, may be <= 0): (s, Q) ceil(need / Q) Q where
    need > 0; (R, S) need + ``window_need`` (net requirements until the next review) where that is > 0, the
    order-up-to level: a review orders whenever the stock would fall below the safety stock before the next
    review can bring more; then MOQ and multiple (round_up). 0 otherwise."""
    q = np.where(rules.order_qty > 0, rules.order_qty, 1.0)
    fixed = np.ceil(need / q - 1e-9) * q
    qty = np.where(rules.rs, need + window_need, fixed)
    return np.where(qty > 1e-9, round_up(qty, rules.moq, rules.multiple), 0.0)


def receipt_allowed(offset: np.ndarray, rules: LotRules, periods: int, add_to_firm: bool = False) -> np.ndarray:
    """N x P mask of the periods a netted receipt may arrive in: after the firm order's arrival period
    (t > offset; from it, t >= offset, with ``add_to_firm``), and for (R, S) only every R periods from it
    ((t - offset) mod R = 0)."""
    t = np.arange(periods)[None, :]
    after = t >= offset[:, None] if add_to_firm else t > offset[:, None]
    r = np.maximum(rules.review_periods, 1)[:, None]
    on_review = ((t - offset[:, None]) % r) == 0
    return after & np.where(rules.rs[:, None], on_review, True)


def net(gross: np.ndarray, scheduled: np.ndarray, on_hand_now: np.ndarray, safety_stock: np.ndarray,
        offset: np.ndarray, firm: np.ndarray, rules: LotRules, add_to_firm: bool = False) -> Netting:  # fmt: skip
    """Net every SKU-site at once (see the module docstring). ``gross``, ``scheduled``: N x P units;
    ``on_hand_now``, ``safety_stock``, ``firm`` (the release today, units): N; ``offset``: N whole periods
    >= 0 between a release and its receipt. With ``add_to_firm``, the firm order's period is netted too: a
    lot is added to today's release where the firm order leaves the stock below the safety stock."""
    gross = np.asarray(gross, float)
    n, p = gross.shape
    offset = np.asarray(offset, int)
    receipts = np.zeros((n, p))
    rows = np.flatnonzero(offset < p)
    receipts[rows, offset[rows]] = firm[rows]
    allowed = receipt_allowed(offset, rules, p, add_to_firm)
    # cumulative (gross - scheduled) for the (R, S) window sums: need over t+1 .. next review - 1
    flow = np.cumsum(np.column_stack([np.zeros(n), gross - scheduled]), axis=1)
    r = np.maximum(rules.review_periods, 1)
    idx = np.arange(n)
    on_hand = np.empty((n, p))
    level = np.asarray(on_hand_now, float).copy()
    for t in range(p):
        available = level + scheduled[:, t] - gross[:, t] + receipts[:, t]
        need = np.where(allowed[:, t], safety_stock - available, -np.inf)
        window = flow[idx, np.minimum(t + r, p)] - flow[:, t + 1]
        planned = lot_size(need, rules, window)
        receipts[:, t] += planned
        level = available + planned
        on_hand[:, t] = level
    return Netting(gross, scheduled, receipts, releases(receipts, offset, firm), on_hand, safety_stock)


def releases(receipts: np.ndarray, offset: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """Planned releases: each receipt moved back by its offset (release_{t-offset} = receipt_t); the firm
    order is the release in period 0 even when it arrives beyond the horizon."""
    n, p = receipts.shape
    out = np.zeros((n, p))
    t = np.arange(p)[None, :] - offset[:, None]  # release period of each receipt
    ok = t >= 0
    rows = np.broadcast_to(np.arange(n)[:, None], (n, p))
    np.add.at(out, (rows[ok], t[ok]), receipts[ok])
    beyond = offset >= p
    out[beyond, 0] += firm[beyond]
    return out


def first_below(on_hand: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Index of the first period whose projected on hand is below ``level`` (N, or N x P), -1 where none."""
    below = on_hand < (level[:, None] if np.ndim(level) == 1 else level) - 1e-9
    return np.where(below.any(axis=1), below.argmax(axis=1), -1)


def excess_periods(on_hand: np.ndarray, safety_stock: np.ndarray, gross: np.ndarray) -> np.ndarray:
    """Periods whose closing projected on hand exceeds the safety stock plus the rest of the horizon's gross
    requirement (stock that no demand in the horizon uses): a count per SKU-site."""
    rest = np.cumsum(gross[:, ::-1], axis=1)[:, ::-1]  # gross from t to the end
    after = np.column_stack([rest[:, 1:], np.zeros(len(gross))])
    return np.sum(on_hand > safety_stock[:, None] + after + 1e-9, axis=1)


def weeks_of_cover(stock_value: np.ndarray, gross_value: np.ndarray, days_per_period: float) -> float:
    """Weeks of cover of a group of SKU-sites: sum of stock value / mean weekly gross requirement value, where
    weekly = per period x 7 / days per period (NaN without requirement)."""
    weekly = float(np.sum(gross_value)) / max(gross_value.shape[1], 1) * 7.0 / days_per_period
    return float(np.sum(stock_value)) / weekly if weekly > 0 else float("nan")
