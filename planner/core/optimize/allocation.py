"""Supplier allocation: split each SKU's requirement over its offers with a mixed-integer programme (HiGHS
through ``scipy.optimize.milp``). Pure: frames in, frames out.

Model (per offer o of SKU i at supplier j; x_o = m_o · n_o units, m_o the order multiple, n_o integer;
y_o = 1 when the offer is used; s_i units short; a textbook capacitated supplier-selection MILP, e.g.
Aissaoui, Haouari & Hassini (2007), "Supplier selection and order lot sizing modeling: a review"):

    minimise   sum_o c_o x_o + P_i s_i + sum_o P_share e_o + sum_i P_min u_i
    c_o = unit_price + carbon_price_per_t / 1000 x co2_kg_per_unit + risk_cost_rate x (1 - score) x unit_price
    subject to sum_{o in i} x_o + s_i >= Q_i                       (requirement over the horizon)
               max(moq_o, m_o) y_o <= x_o <= cap_o y_o              (MOQ, offer capacity; binary y_o)
               sum_{o at j} x_o <= capacity_j                       (supplier capacity, shared by its SKUs)
               x_o - share_max sum_{o' in i} x_o' <= e_o            (diversified SKUs: max share per supplier)
               sum_{o in i} y_o + u_i >= min(min_suppliers, offers_i)   (diversified SKUs)

Shortfall and the diversification slacks are priced, not forbidden, so an instance that cannot be met still
solves; every unit short or over a share is reported with the SKU and the constraint that binds. P_i (per
unit short) = shortage_penalty_per_unit + the SKU's dearest c_o, so buying always beats being short; a unit
over the share costs half of that and a missing supplier P_i x the SKU's largest minimum lot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from planner.core.inventory import round_up
from planner.core.optimize.solver import carbon_price, solve
from planner.model.results import Allocation
from planner.model.settings import AllocationSettings

WHAT = "supplier allocation"
EXACT_MAX_OFFERS = 100  # up to this many offers the exact MILP is tried when rounding leaves a gap


@dataclass
class _Context:
    """The model's fixed data, for the report."""

    o: pd.DataFrame
    skus: pd.Index
    si: np.ndarray
    req: pd.Series
    usable: np.ndarray
    share_rows: np.ndarray
    min_skus: np.ndarray
    need_n: np.ndarray
    cfg: AllocationSettings
    no_offer: list
    price: np.ndarray
    carbon: np.ndarray
    risk: np.ndarray
    capped: pd.Index
    supplier_capacity: pd.Series


def allocate(
    offers: pd.DataFrame,
    requirement: pd.Series,
    abc: pd.Series,
    supplier_capacity: pd.Series,
    cfg: AllocationSettings,
) -> Allocation:
    """Split ``requirement`` (units per SKU) over ``offers`` (scored offers: sku, supplier, unit_price,
    moq, order_multiple, capacity_units, co2_kg_per_unit, score) under ``supplier_capacity`` (units per
    supplier, NaN = unlimited). ``abc`` gives each SKU's class for diversification."""
    req = requirement[requirement > 0].astype(float)
    o = offers[offers["sku"].isin(req.index)].reset_index(drop=True).copy()
    no_offer = sorted(set(req.index) - set(o["sku"]))
    n_off = len(o)
    m = o["order_multiple"].astype(float).fillna(1.0).clip(lower=1.0).to_numpy() if n_off else np.zeros(0)
    q_offer = o["sku"].map(req).to_numpy(float) if n_off else np.zeros(0)  # the offer's SKU's requirement
    moq = o["moq"].astype(float).fillna(0.0).to_numpy() if n_off else np.zeros(0)
    low = round_up(m, moq, m)  # smallest non-zero lot: the MOQ rounded up to the multiple, at least one
    cap = o["capacity_units"].astype(float).fillna(np.inf).to_numpy() if n_off else np.zeros(0)
    top = np.minimum(np.floor(cap / m + 1e-9) * m, np.maximum(round_up(q_offer, 0.0, m), low))  # never more than needed
    usable = top >= low
    price = o["unit_price"].astype(float).to_numpy() if n_off else np.zeros(0)
    co2 = o["co2_kg_per_unit"].astype(float).fillna(0.0).to_numpy() if n_off else np.zeros(0)
    score = o["score"].astype(float).fillna(0.5).to_numpy() if n_off else np.zeros(0)
    carbon = carbon_price(cfg.carbon_price_per_t) * co2
    risk = cfg.risk_cost_rate * (1.0 - score) * price
    c = price + carbon + risk

    skus = pd.Index(sorted(set(o["sku"]))) if n_off else pd.Index([])
    n_sku = len(skus)
    si = skus.get_indexer(o["sku"]) if n_off else np.zeros(0, int)
    need = req.reindex(skus).to_numpy(float)  # requirement per SKU
    dearest = np.zeros(n_sku)
    np.maximum.at(dearest, si, c)
    P = cfg.shortage_penalty_per_unit + dearest
    n_usable = np.bincount(si[usable], minlength=n_sku) if n_off else np.zeros(0, int)
    cls = pd.Series(skus, index=skus).map(abc).fillna("").to_numpy() if n_sku else np.zeros(0, object)
    diversify = np.isin(cls, list(cfg.diversify_classes))
    share_on = diversify & (n_usable * cfg.max_supplier_share >= 1.0 - 1e-9)  # enough offers to obey it
    need_n = np.where(diversify, np.minimum(cfg.min_suppliers, n_usable), 0)
    share_rows = np.flatnonzero(share_on[si] & usable) if n_off else np.zeros(0, int)
    min_skus = np.flatnonzero(need_n > 1)
    biggest_lot = np.zeros(n_sku)
    np.maximum.at(biggest_lot, si, np.where(usable, low, 0.0))

    # variables: n (n_off, integer), y (n_off, binary), s (n_sku), e (len(share_rows)), u (len(min_skus))
    E, U = len(share_rows), len(min_skus)
    nv = 2 * n_off + n_sku + E + U
    iy, is_, ie, iu = n_off, 2 * n_off, 2 * n_off + n_sku, 2 * n_off + n_sku + E
    cost = np.concatenate([c * m, np.zeros(n_off), P, 0.5 * P[si[share_rows]], P[min_skus] * biggest_lot[min_skus]])
    lb = np.zeros(nv)
    ub = np.concatenate([np.where(usable, top / np.maximum(m, 1), 0), usable.astype(float), need,
                         np.full(E, np.inf), need_n[min_skus].astype(float)])  # fmt: skip
    integrality = np.concatenate([np.ones(n_off), np.ones(n_off), np.zeros(n_sku + E + U)])
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0

    def add(rr, cc, vv):
        rows.append(np.asarray(rr)), cols.append(np.asarray(cc)), vals.append(np.asarray(vv, float))

    # requirement: sum m n + s >= Q
    add(si, np.arange(n_off), m)
    add(np.arange(n_sku), is_ + np.arange(n_sku), np.ones(n_sku))
    lo.append(need), hi.append(np.full(n_sku, np.inf))
    r += n_sku
    # lots: m n - top y <= 0 and m n - low y >= 0
    add(r + np.arange(n_off), np.arange(n_off), m), add(r + np.arange(n_off), iy + np.arange(n_off), -top)
    lo.append(np.full(n_off, -np.inf)), hi.append(np.zeros(n_off))
    r += n_off
    add(r + np.arange(n_off), np.arange(n_off), m), add(r + np.arange(n_off), iy + np.arange(n_off), -low)
    lo.append(np.zeros(n_off)), hi.append(np.full(n_off, np.inf))
    r += n_off
    # supplier capacity
    scap = o["supplier"].map(supplier_capacity).astype(float).to_numpy() if n_off else np.zeros(0)
    capped = pd.Index(sorted(set(o.loc[np.isfinite(scap), "supplier"]))) if n_off else pd.Index([])
    if len(capped):
        sj = capped.get_indexer(o["supplier"])
        k = np.flatnonzero(sj >= 0)
        add(r + sj[k], k, m[k])
        lo.append(np.full(len(capped), -np.inf)), hi.append(supplier_capacity.reindex(capped).to_numpy(float))
        r += len(capped)
    # share: m_o n_o - share * sum_{o' in i} m_o' n_o' - e_o <= 0
    if E:
        members = pd.Series(np.arange(n_off)).groupby(si).apply(list).to_dict()
        rr, cc, vv = [], [], []
        for t, oi in enumerate(share_rows):
            peers = [p for p in members[si[oi]] if usable[p]]
            rr += [t] * (len(peers) + 1)
            cc += peers + [ie + t]
            vv += [m[p] * ((1.0 if p == oi else 0.0) - cfg.max_supplier_share) for p in peers] + [-1.0]
        add(r + np.array(rr), cc, vv)
        lo.append(np.full(E, -np.inf)), hi.append(np.zeros(E))
        r += E
    # minimum number of suppliers: sum y + u >= need
    if U:
        pos = pd.Series(-1, index=range(n_sku))
        pos[min_skus] = np.arange(U)
        k = np.flatnonzero(pos.to_numpy()[si] >= 0)
        add(r + pos.to_numpy()[si[k]], iy + k, np.ones(len(k)))
        add(r + np.arange(U), iu + np.arange(U), np.ones(U))
        lo.append(need_n[min_skus].astype(float)), hi.append(np.full(U, np.inf))
        r += U

    ctx = dict(o=o, skus=skus, si=si, req=req, usable=usable, share_rows=share_rows, min_skus=min_skus,
               need_n=need_n, cfg=cfg, no_offer=no_offer, price=price, carbon=carbon, risk=risk, capped=capped,
               supplier_capacity=supplier_capacity)  # fmt: skip
    if not nv:
        nothing = np.zeros(0)
        return _report(_Context(**ctx), nothing, nothing, [], [], "nothing to allocate", 0.0, 0.0)
    A = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nv))
    cons = LinearConstraint(A, np.concatenate(lo), np.concatenate(hi))
    sup_cap = np.where(np.isfinite(scap), scap, np.inf)  # the offer's supplier's capacity

    def evaluate(qty: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Objective of whole-lot quantities, with the shortfall and the slacks they imply."""
        bought = np.bincount(si, weights=qty, minlength=n_sku)
        short = np.maximum(need - bought, 0.0)
        e = np.maximum(qty[share_rows] - cfg.max_supplier_share * bought[si[share_rows]], 0.0)
        used = np.bincount(si[qty > 0], minlength=n_sku)
        u = np.maximum(need_n[min_skus] - used[min_skus], 0)
        return float(c @ qty + P @ short + cost[ie : ie + E] @ e + cost[iu : iu + U] @ u), short, e, u

    # 1) the MILP with lot counts relaxed (binaries kept): a lower bound and a near-integral plan
    relaxed = integrality.copy()
    relaxed[:n_off] = 0
    res = solve(cost, relaxed, Bounds(lb, ub), cons, cfg.time_limit_s, cfg.mip_rel_gap, WHAT)
    bound = float(getattr(res, "mip_dual_bound", res.fun))
    qty = _round_to_lots(res.x[:n_off] * m, res.x[iy : iy + n_off] > 0.5, need - res.x[is_ : is_ + n_sku], m, low, top,
                         si, c, o["supplier"].to_numpy(), sup_cap, share_on[si], cfg.max_supplier_share)  # fmt: skip
    best, how = evaluate(qty)[0], "relaxed lot counts rounded to whole lots"
    # 2) small instances: the exact MILP when rounding left a gap
    if n_off <= EXACT_MAX_OFFERS and best - bound > cfg.mip_rel_gap * abs(best):
        exact = solve(cost, integrality, Bounds(lb, ub), cons, cfg.time_limit_s, cfg.mip_rel_gap, WHAT)
        bound = max(bound, float(getattr(exact, "mip_dual_bound", exact.fun)))
        q_exact = np.round(exact.x[:n_off]) * m
        if evaluate(q_exact)[0] <= best:
            qty, best, how = q_exact, evaluate(q_exact)[0], "exact MILP"
        res = exact
    objective, short, e, u = evaluate(qty)
    gap = max(objective - bound, 0.0) / abs(objective) if objective else 0.0
    status = f"{how}; HiGHS: {res.message}"
    return _report(_Context(**ctx), qty, short, e, u, status, gap, objective)


def _round_to_lots(x, used, target, m, low, top, si, c, supplier, sup_cap, share_on, share) -> np.ndarray:
    """Whole lots from relaxed quantities: each used offer rounded down to its multiple (never below its
    minimum lot, which is a multiple), then each SKU topped up to its target, one lot at a time, on the
    cheapest used offer with room under its capacity, its supplier's capacity and (where it applies) the
    maximum share, else by opening the cheapest unused offer whose minimum lot fits. What no offer has room
    for stays short."""
    used = used.copy()
    qty = np.where(used, np.floor(x / m + 1e-6) * m, 0.0)
    spent = pd.Series(qty).groupby(supplier).sum()
    caps = pd.Series(sup_cap).groupby(supplier).first()
    left = (caps - spent.reindex(caps.index)).to_dict()  # room left per supplier (inf: no capacity given)
    bought = np.bincount(si, weights=qty, minlength=len(target))
    deficit = np.ceil(target - 1e-6) - bought
    order = np.lexsort((c, si))
    first = np.searchsorted(si[order], np.arange(len(target)))
    last = np.searchsorted(si[order], np.arange(len(target)), side="right")
    for i in np.flatnonzero(deficit > 0):
        cands = [k for k in order[first[i] : last[i]] if used[k]]
        while deficit[i] > 0:
            fits = [k for k in cands if qty[k] + m[k] <= top[k] + 1e-9 and left[supplier[k]] >= m[k] - 1e-9]
            fair = [k for k in fits if not share_on[k] or qty[k] + m[k] <= share * (bought[i] + m[k]) + 1e-9]
            pick = (fair or fits or [None])[0]
            lot = m[pick] if pick is not None else 0.0
            if pick is None:  # open another offer with room for its minimum lot
                spare = [k for k in order[first[i] : last[i]] if not used[k] and top[k] >= low[k] > 0
                         and left[supplier[k]] >= low[k] - 1e-9]  # fmt: skip
                if not spare:
                    break
                pick, lot = spare[0], low[spare[0]]
                used[pick] = True
                cands.append(pick)
            qty[pick] += lot
            bought[i] += lot
            deficit[i] -= lot
            left[supplier[pick]] -= lot
    return qty


def _report(x: _Context, qty, short, e, u, status: str, gap: float, objective: float) -> Allocation:
    o, skus, si, req, usable, share_rows, min_skus = x.o, x.skus, x.si, x.req, x.usable, x.share_rows, x.min_skus
    need_n, cfg, no_offer, price, carbon, risk = x.need_n, x.cfg, x.no_offer, x.price, x.carbon, x.risk
    capped, supplier_capacity = x.capped, x.supplier_capacity
    lines = o[["sku", "supplier"]].copy()
    for col in (
        "rank",
        "score",
        "unit_price",
        "moq",
        "order_multiple",
        "capacity_units",
        "co2_kg_per_unit",
        "on_time_rate",
        "lead_time_days",
    ):
        lines[col] = o[col].to_numpy() if col in o else np.nan
    bought = np.bincount(si, weights=qty, minlength=len(skus)) if len(skus) else np.zeros(0)
    lines["requirement"] = o["sku"].map(req).to_numpy(float)
    lines["quantity"] = qty
    lines["share"] = np.divide(qty, bought[si], out=np.zeros(len(o)), where=bought[si] > 0)
    lines["purchase_value"] = qty * price
    lines["co2_kg"] = qty * o["co2_kg_per_unit"].astype(float).fillna(0.0).to_numpy()
    lines["carbon_cost"] = qty * carbon
    lines["risk_cost"] = qty * risk
    lines["note"] = np.where(usable, "", "unusable: offer capacity below its minimum lot")
    problems: list[tuple[str, str, str]] = [
        (s, "offers", "no offer for this SKU; its requirement cannot be allocated") for s in no_offer
    ]
    sup_used = lines[lines["quantity"] > 0].groupby("supplier")["quantity"].sum()
    full = {s for s in capped if sup_used.get(s, 0.0) >= supplier_capacity[s] - 1e-6}
    for i in np.flatnonzero(short > 1e-6):
        k = np.flatnonzero(si == i)
        offer_cap = float(np.sum(np.where(usable[k], o["capacity_units"].astype(float).fillna(np.inf).to_numpy()[k],
                                          0.0)))  # fmt: skip
        at_full = sorted(set(o["supplier"].to_numpy()[k]) & full)
        if not usable[k].any():
            why = "offer capacity: no offer can deliver its minimum lot"
            kind = "offer capacity"
        elif offer_cap < req[skus[i]] and not at_full:
            why, kind = f"offer capacity: its offers can deliver {offer_cap:,.0f} units in all", "offer capacity"
        else:
            why = "supplier capacity: " + ", ".join(at_full) + " fully used by all their SKUs"
            kind = "supplier capacity"
        problems.append((skus[i], kind, f"{short[i]:,.0f} of {req[skus[i]]:,.0f} units cannot be bought ({why})"))
    notes = lines["note"].to_numpy(object)
    for t, oi in enumerate(share_rows):
        if e[t] > 1e-6:
            msg = f"share {lines['share'].iat[oi]:.0%} above the maximum {cfg.max_supplier_share:.0%}"
            msg += " (the other offers' capacity or lots do not allow less)"
            notes[oi] = msg
            problems.append((o["sku"].iat[oi], "max supplier share", f"{o['supplier'].iat[oi]}: {msg}"))
    for t, i in enumerate(min_skus):
        if u[t] > 0.5:
            problems.append((skus[i], "min suppliers",
                             f"{int(need_n[i] - u[t])} supplier(s) used, {int(need_n[i])} required "
                             "(the others' capacity or minimum lots do not fit the requirement)"))  # fmt: skip
    lines["note"] = notes
    shares = lines["share"].to_numpy()
    per = pd.DataFrame(
        {
            "sku": skus,
            "requirement": req.reindex(skus).to_numpy(float),
            "bought": bought,
            "shortfall": short,
            "suppliers_used": np.bincount(si[qty > 0], minlength=len(skus)) if len(skus) else [],
            "hhi": np.bincount(si, weights=shares**2, minlength=len(skus)) if len(skus) else [],
        }
    )
    if no_offer:
        extra = pd.DataFrame({"sku": no_offer, "requirement": req.reindex(no_offer).to_numpy(), "bought": 0.0})
        extra["shortfall"], extra["suppliers_used"], extra["hhi"] = extra["requirement"], 0, np.nan
        per = pd.concat([per, extra], ignore_index=True)
    return Allocation(lines, per, problems, status, gap, objective)


def spend_hhi(lines: pd.DataFrame) -> float:
    """Herfindahl-Hirschman index of spend by supplier: sum_j (spend_j / total spend)^2 (1 = one supplier)."""
    spend = lines.groupby("supplier")["purchase_value"].sum()
    total = spend.sum()
    return float(((spend / total) ** 2).sum()) if total > 0 else float("nan")
