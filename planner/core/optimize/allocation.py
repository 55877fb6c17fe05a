"""Supplier allocation: split each SKU's requirement over its offers with a mixed-integer programme (HiGHS
through ``scipy.optimize.milp``). Pure: frames in, frames out.

Model (per offer o of SKU i at supplier j; x_o = m_o · n_o units, m_o the order multiple, n_o integer;
y_o = 1 when the offer is used; s_i units short; a textbook capacitated supplier-selection MILP, e.g.
Aissaoui, Haouari & Hassini (2007), "Supplier selection and order lot sizing modeling: a review"):

    minimise   sum_o c_o x_o + P_i s_i + sum_o P_share e_o + sum_i P_min u_i
    c_o = unit_price + carbon_price_per_t / 1000 x co2_o + risk_cost_rate x (1 - risk_score) x unit_price
    co2_o = co2_kg_per_unit (+ inbound_co2_kg_per_unit, the supplier-to-site leg, when given)
    risk_score: the scorecard's score without its price criterion (else ``score``), so price counts once
    subject to sum_{o in i} x_o + s_i >= Q_i                       (requirement over the horizon)
               max(moq_o, m_o) y_o <= x_o <= cap_o y_o              (MOQ, offer capacity; binary y_o)
               sum_{o at j} x_o <= capacity_j                       (supplier capacity, shared by its SKUs)
               x_o - share_max sum_{o' in i} x_o' <= e_o            (diversified SKUs: max share per supplier)
               sum_{o in i} y_o + u_i >= min(min_suppliers, offers_i)   (diversified SKUs)

Shortfall and the diversification slacks are priced, not forbidden, so an instance that cannot be met still
solves; every unit short or over a share is reported with the SKU and its real cause. P_i (per unit short)
= shortage_penalty_per_unit + the SKU's dearest c_o (``scaled_penalty``; else the penalty alone), so buying
always beats being short; a unit over the share costs half of that and a missing supplier P_i x the SKU's
largest minimum lot.

Solving: the MILP with lot counts relaxed gives a bound and a heuristic plan (rounded to whole lots); then the
exact MILP within ``exact_time_limit_s`` (Settings allocation_exact_time_limit_s, default 30 s) replaces it
when HiGHS proves the optimum or finds a better plan by then. On random 104-221-offer instances the rounding
alone was up to 18 % above the optimum (mean 2.8 %); the result's ``method``, ``heuristic_objective`` and
``exact_seconds`` say what happened.

Build once, solve per carbon price: the constraints, bounds and lots do not depend on the carbon price, only
the cost vector does, so a trade-off over carbon prices builds the model once:

    model = AllocationModel.build(offers, requirement, abc, supplier_capacity, cfg)
    by_price = {p: model.solve(carbon_price_per_t=p) for p in prices}

``model.solve(carbon_price_per_t=p)`` gives what ``allocate(..., replace(cfg, carbon_price_per_t=p))``
gives; ``allocate`` is build + solve at ``cfg.carbon_price_per_t``. The cost vector is kept in its parts
(per unit: unit price, risk cost, kg CO2e; the shortage penalty) and priced by ``AllocationModel.costs``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult

from planner.core.concentration import hhi, hhi_by_group
from planner.core.inventory import round_up
from planner.core.optimize.solver import ModelInfo, Rows, carbon_price, solve
from planner.model.errors import SolveError
from planner.model.results import Allocation
from planner.model.settings import AllocationSettings

INFO = ModelInfo(
    "supplier allocation",
    costs_from="shortage_penalty_per_unit, carbon_price_per_t, risk_cost_rate or the Offers' unit_price",
    limits_from="the Offers' capacity_units and moq and the Suppliers' capacity_units",
)


@dataclass(frozen=True, eq=False)
class OfferData:
    """Per offer o (the rows of ``frame``: offers of SKUs with a requirement), in units: lot multiple m,
    smallest lot ``low`` (the MOQ rounded up to the multiple), largest useful lot ``top`` (capacity in whole
    lots, never more than the SKU needs), ``usable`` = top >= low; the cost parts per unit (unit price, risk
    cost = risk_cost_rate x (1 - score) x unit price, kg CO2e) and the supplier's capacity (inf: none)."""

    frame: pd.DataFrame
    m: np.ndarray
    low: np.ndarray
    top: np.ndarray
    usable: np.ndarray
    price: np.ndarray
    risk: np.ndarray
    co2: np.ndarray
    supplier_cap: np.ndarray


@dataclass(frozen=True, eq=False)
class SkuData:
    """Per SKU i with an offer: ``sku_of`` maps offers to SKUs, ``need`` is Q_i; diversified SKUs get
    ``share_on`` (enough usable offers to obey the maximum share) and ``need_n`` suppliers;
    ``share_rows`` are the offers under a share row, ``min_skus`` the SKUs under a minimum-suppliers row."""

    index: pd.Index
    sku_of: np.ndarray
    need: np.ndarray
    share_on: np.ndarray
    need_n: np.ndarray
    share_rows: np.ndarray
    min_skus: np.ndarray
    biggest_lot: np.ndarray


@dataclass(frozen=True, eq=False)
class Costs:
    """The cost vector at one carbon price: per offer unit ``carbon`` (price per kg x kg CO2e) and
    c_o = price + carbon + risk; per SKU the shortage penalty P_i; ``vector`` over all variables."""

    carbon: np.ndarray
    unit: np.ndarray
    shortage: np.ndarray
    vector: np.ndarray
    per_t: float = 0.0  # the carbon price in force (currency per tonne), without the solver's tie-break


@dataclass(frozen=True, eq=False)
class Solution:
    """What a solve decided, in the model's variables, and how well (relative gap to the dual bound)."""

    qty: np.ndarray  # units per offer, whole lots
    short: np.ndarray  # units short per SKU
    over_share: np.ndarray  # units over the maximum share per share row
    missing: np.ndarray  # suppliers missing per minimum-suppliers row
    status: str
    gap: float
    objective: float


@dataclass(frozen=True, eq=False)
class AllocationModel:
    """The allocation MILP built once from the data. Variables: n (lot counts, integer, one per offer),
    y (offer used, binary), s (units short per SKU), e (units over the share per share row), u (suppliers
    missing per minimum-suppliers row), in that order."""

    offers: OfferData
    skus: SkuData
    requirement: pd.Series
    no_offer: list
    supplier_capacity: pd.Series
    capped: pd.Index  # suppliers with a capacity row
    cfg: AllocationSettings
    bounds: Bounds
    integrality: np.ndarray
    constraints: LinearConstraint | None  # None: nothing to allocate

    @classmethod
    def build(cls, offers: pd.DataFrame, requirement: pd.Series, abc: pd.Series, supplier_capacity: pd.Series,
              cfg: AllocationSettings) -> AllocationModel:  # fmt: skip
        """The model of ``allocate``'s arguments (see there)."""
        req = requirement[requirement > 0].astype(float)
        o = offers[offers["sku"].isin(req.index)].reset_index(drop=True).copy()
        off = _offer_data(o, req, supplier_capacity, cfg)
        sk = _sku_data(off, req, abc, cfg)
        capped = pd.Index(sorted(set(o.loc[np.isfinite(off.supplier_cap), "supplier"]))) if len(o) else pd.Index([])
        n_off, n_sku, E, U = len(o), len(sk.index), len(sk.share_rows), len(sk.min_skus)
        ub = np.concatenate([np.where(off.usable, off.top / np.maximum(off.m, 1), 0), off.usable.astype(float),
                             sk.need, np.full(E, np.inf), sk.need_n[sk.min_skus].astype(float)])  # fmt: skip
        integrality = np.concatenate([np.ones(n_off), np.ones(n_off), np.zeros(n_sku + E + U)])
        nv = len(ub)
        cons = _constraints(off, sk, capped, supplier_capacity, cfg).constraint(nv) if nv else None
        return cls(off, sk, req, sorted(set(req.index) - set(o["sku"])), supplier_capacity, capped, cfg,
                   Bounds(np.zeros(nv), ub), integrality, cons)  # fmt: skip

    def costs(self, carbon_price_per_t: float) -> Costs:
        """The cost vector's parts priced at ``carbon_price_per_t`` (currency per tonne CO2e)."""
        off, sk = self.offers, self.skus
        carbon = carbon_price(carbon_price_per_t) * off.co2
        c = off.price + carbon + off.risk
        dearest = np.zeros(len(sk.index))
        np.maximum.at(dearest, sk.sku_of, c)
        P = self.cfg.shortage_penalty_per_unit + (dearest if self.cfg.scaled_penalty else np.zeros_like(dearest))
        vector = np.concatenate([c * off.m, np.zeros(len(c)), P, 0.5 * P[sk.sku_of[sk.share_rows]],
                                 P[sk.min_skus] * sk.biggest_lot[sk.min_skus]])  # fmt: skip
        return Costs(carbon, c, P, vector, float(carbon_price_per_t))

    def solve(self, carbon_price_per_t: float | None = None, exact: bool = True) -> Allocation:
        """The allocation at ``carbon_price_per_t`` (default: the settings' price). First the MILP with lot
        counts relaxed (binaries kept): a lower bound and a heuristic plan, rounded to whole lots; then the
        exact MILP within ``cfg.exact_time_limit_s``: HiGHS' plan when it proves the optimum (or, stopped by
        the time limit, when its incumbent beats the rounding), else the heuristic's; the gap is to the best
        bound either solve proved. ``exact`` False skips the exact MILP (the trade-off curve's other prices)."""
        price = self.cfg.carbon_price_per_t if carbon_price_per_t is None else carbon_price_per_t
        costs = self.costs(price)
        if self.constraints is None:
            nothing = np.zeros(0)
            return _report(self, costs, Solution(nothing, nothing, nothing, nothing, "nothing to allocate", 0.0,
                                                 self.priced(nothing, costs, 0.0)), "exact")  # fmt: skip
        res = self._milp(costs, relax_lots=True, time_limit_s=self.cfg.time_limit_s)
        bound = float(getattr(res, "mip_dual_bound", res.fun))
        qty, how, method = self._rounded(res, costs), "relaxed lot counts rounded to whole lots", "heuristic"
        q_heuristic, heuristic = qty, self.evaluate(qty, costs)[0]
        best = heuristic
        seconds = float("nan")
        if exact and self.cfg.exact_time_limit_s > 0 and best - bound > self.cfg.mip_rel_gap * abs(best):
            t0 = time.perf_counter()
            exact = self._exact(costs)
            seconds = time.perf_counter() - t0
            if exact is not None:
                bound = max(bound, float(getattr(exact, "mip_dual_bound", exact.fun)))
                q_exact = np.round(exact.x[: len(qty)]) * self.offers.m
                if self.evaluate(q_exact, costs)[0] <= best:
                    qty, how = q_exact, "exact MILP" if exact.status == 0 else "exact MILP stopped by its time limit"
                    method = "exact" if exact.status == 0 else "heuristic"
                res = exact
        elif best - bound <= self.cfg.mip_rel_gap * abs(best):
            method = "exact"  # the rounding is within the MIP gap of the bound: proved optimal
        objective, short, e, u = self.evaluate(qty, costs)
        gap = max(objective - bound, 0.0) / abs(objective) if objective else 0.0
        status = f"{how}; HiGHS: {res.message}"
        sol = Solution(qty, short, e, u, status, gap, self.priced(qty, costs, objective))
        return _report(self, costs, sol, method, self.priced(q_heuristic, costs, heuristic), seconds)

    def _exact(self, costs: Costs) -> OptimizeResult | None:
        """The whole MILP within ``cfg.exact_time_limit_s``; None when HiGHS has no plan by then."""
        try:
            return self._milp(costs, relax_lots=False, time_limit_s=self.cfg.exact_time_limit_s)
        except SolveError:
            return None

    def priced(self, qty: np.ndarray, costs: Costs, objective: float) -> float:
        """What the plan costs as the objective prices it at the carbon price in force: the solver's CO2
        tie-break left out, and the requirement of SKUs without any offer priced as short (P =
        shortage_penalty_per_unit), as a SKU bought short is."""
        tie_break = float(qty @ (costs.carbon - self.offers.co2 * costs.per_t / 1000.0)) if len(qty) else 0.0
        unserved = float(self.requirement.reindex(self.no_offer).sum())
        return objective - tie_break + self.cfg.shortage_penalty_per_unit * unserved

    def evaluate(self, qty: np.ndarray, costs: Costs) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Objective of whole-lot quantities, with the shortfall and the slacks (e, u) they imply."""
        sk, cfg, si = self.skus, self.cfg, self.skus.sku_of
        n_off, n_sku, E = len(qty), len(sk.index), len(sk.share_rows)
        bought = np.bincount(si, weights=qty, minlength=n_sku)
        short = np.maximum(sk.need - bought, 0.0)
        e = np.maximum(qty[sk.share_rows] - cfg.max_supplier_share * bought[si[sk.share_rows]], 0.0)
        used = np.bincount(si[qty > 0], minlength=n_sku)
        u = np.maximum(sk.need_n[sk.min_skus] - used[sk.min_skus], 0)
        ie = 2 * n_off + n_sku
        objective = costs.unit @ qty + costs.shortage @ short + costs.vector[ie : ie + E] @ e
        return float(objective + costs.vector[ie + E :] @ u), short, e, u

    def _milp(self, costs: Costs, relax_lots: bool, time_limit_s: float) -> OptimizeResult:
        integrality = self.integrality.copy()
        if relax_lots:
            integrality[: len(self.offers.m)] = 0
        return solve(costs.vector, integrality, self.bounds, self.constraints, time_limit_s, self.cfg.mip_rel_gap,
                     INFO)  # fmt: skip

    def _rounded(self, res: OptimizeResult, costs: Costs) -> np.ndarray:
        off, sk, n_off = self.offers, self.skus, len(self.offers.m)
        n_sku = len(sk.index)
        s = res.x[2 * n_off : 2 * n_off + n_sku]
        return _round_to_lots(res.x[:n_off] * off.m, res.x[n_off : 2 * n_off] > 0.5, sk.need - s, off.m, off.low,
                              off.top, sk.sku_of, costs.unit, off.frame["supplier"].to_numpy(), off.supplier_cap,
                              sk.share_on[sk.sku_of], self.cfg.max_supplier_share)  # fmt: skip


def allocate(
    offers: pd.DataFrame,
    requirement: pd.Series,
    abc: pd.Series,
    supplier_capacity: pd.Series,
    cfg: AllocationSettings,
) -> Allocation:
    """Split ``requirement`` (units per SKU) over ``offers`` (scored offers: sku, supplier, unit_price,
    moq, order_multiple, capacity_units, co2_kg_per_unit, score) under ``supplier_capacity`` (units per
    supplier, NaN = unlimited). ``abc`` gives each SKU's class for diversification. Build + solve at
    ``cfg.carbon_price_per_t``; build an ``AllocationModel`` once to solve at several carbon prices."""
    return AllocationModel.build(offers, requirement, abc, supplier_capacity, cfg).solve()


def offer_co2(o: pd.DataFrame) -> np.ndarray:
    """kg CO2e per unit of each offer: the supplier's co2_kg_per_unit plus, where the pipeline gives it, the
    inbound leg ``inbound_co2_kg_per_unit`` (supplier to our sites, tonne-km method)."""
    co2 = o["co2_kg_per_unit"].astype(float).fillna(0.0).to_numpy()
    if "inbound_co2_kg_per_unit" in o:
        co2 = co2 + o["inbound_co2_kg_per_unit"].astype(float).fillna(0.0).to_numpy()
    return co2


def _offer_data(o: pd.DataFrame, req: pd.Series, supplier_capacity: pd.Series, cfg: AllocationSettings) -> OfferData:
    if not len(o):
        nothing = np.zeros(0)
        return OfferData(o, nothing, nothing, nothing, nothing.astype(bool), *[nothing] * 4)
    m = o["order_multiple"].astype(float).fillna(1.0).clip(lower=1.0).to_numpy()
    q_offer = o["sku"].map(req).to_numpy(float)  # the offer's SKU's requirement
    moq = o["moq"].astype(float).fillna(0.0).to_numpy()
    low = round_up(m, moq, m)  # smallest non-zero lot: the MOQ rounded up to the multiple, at least one
    cap = o["capacity_units"].astype(float).fillna(np.inf).to_numpy()
    top = np.minimum(np.floor(cap / m + 1e-9) * m, np.maximum(round_up(q_offer, 0.0, m), low))  # never more than needed
    price = o["unit_price"].astype(float).to_numpy()
    co2 = offer_co2(o)
    score_col = "risk_score" if "risk_score" in o else "score"  # the score without price: price counted once
    score = o[score_col].astype(float).fillna(0.5).to_numpy()
    risk = cfg.risk_cost_rate * (1.0 - score) * price
    scap = o["supplier"].map(supplier_capacity).astype(float).to_numpy()
    return OfferData(o, m, low, top, top >= low, price, risk, co2, np.where(np.isfinite(scap), scap, np.inf))


def _sku_data(off: OfferData, req: pd.Series, abc: pd.Series, cfg: AllocationSettings) -> SkuData:
    o, n_off, usable = off.frame, len(off.frame), off.usable
    skus = pd.Index(sorted(set(o["sku"]))) if n_off else pd.Index([])
    n_sku = len(skus)
    si = skus.get_indexer(o["sku"]) if n_off else np.zeros(0, int)
    need = req.reindex(skus).to_numpy(float)  # requirement per SKU
    n_usable = np.bincount(si[usable], minlength=n_sku) if n_off else np.zeros(0, int)
    cls = pd.Series(skus, index=skus).map(abc).astype(object).fillna("").to_numpy() if n_sku else np.zeros(0, object)
    diversify = np.isin(cls, list(cfg.diversify_classes))
    share_on = diversify & (n_usable * cfg.max_supplier_share >= 1.0 - 1e-9)  # enough offers to obey it
    need_n = np.where(diversify, np.minimum(cfg.min_suppliers, n_usable), 0)
    share_rows = np.flatnonzero(share_on[si] & usable) if n_off else np.zeros(0, int)
    biggest_lot = np.zeros(n_sku)
    np.maximum.at(biggest_lot, si, np.where(usable, off.low, 0.0))
    return SkuData(skus, si, need, share_on, need_n, share_rows, np.flatnonzero(need_n > 1), biggest_lot)


def _constraints(off: OfferData, sk: SkuData, capped: pd.Index, supplier_capacity: pd.Series,
                 cfg: AllocationSettings) -> Rows:  # fmt: skip
    """The rows of the module docstring, in its order: requirement, lots (top and MOQ), supplier capacity,
    maximum share, minimum number of suppliers."""
    n_off, n_sku, si, m = len(off.m), len(sk.index), sk.sku_of, off.m
    iy, is_ = n_off, 2 * n_off
    rows = Rows()
    rows.add(si, np.arange(n_off), m)  # requirement: sum m n + s >= Q
    rows.add(np.arange(n_sku), is_ + np.arange(n_sku), np.ones(n_sku))
    rows.close(sk.need, np.full(n_sku, np.inf))
    rows.add(np.arange(n_off), np.arange(n_off), m)  # lots: m n - top y <= 0 and m n - low y >= 0
    rows.add(np.arange(n_off), iy + np.arange(n_off), -off.top)
    rows.close(np.full(n_off, -np.inf), np.zeros(n_off))
    rows.add(np.arange(n_off), np.arange(n_off), m)
    rows.add(np.arange(n_off), iy + np.arange(n_off), -off.low)
    rows.close(np.zeros(n_off), np.full(n_off, np.inf))
    if len(capped):  # supplier capacity, shared by its SKUs
        sj = capped.get_indexer(off.frame["supplier"])
        k = np.flatnonzero(sj >= 0)
        rows.add(sj[k], k, m[k])
        rows.close(np.full(len(capped), -np.inf), supplier_capacity.reindex(capped).to_numpy(float))
    if len(sk.share_rows):
        _share_rows(rows, off, sk, cfg.max_supplier_share)
    if len(sk.min_skus):
        _min_supplier_rows(rows, sk, iy, 2 * n_off + n_sku + len(sk.share_rows))
    return rows


def _share_rows(rows: Rows, off: OfferData, sk: SkuData, share: float) -> None:
    """m_o n_o - share x sum_{o' in i} m_o' n_o' - e_o <= 0 for each share row o."""
    si, m, E = sk.sku_of, off.m, len(sk.share_rows)
    ie = 2 * len(m) + len(sk.index)
    members = pd.Series(np.arange(len(m))).groupby(si).apply(list).to_dict()
    rr, cc, vv = [], [], []
    for t, oi in enumerate(sk.share_rows):
        peers = [p for p in members[si[oi]] if off.usable[p]]
        rr += [t] * (len(peers) + 1)
        cc += peers + [ie + t]
        vv += [m[p] * ((1.0 if p == oi else 0.0) - share) for p in peers] + [-1.0]
    rows.add(np.array(rr), cc, vv)
    rows.close(np.full(E, -np.inf), np.zeros(E))


def _min_supplier_rows(rows: Rows, sk: SkuData, iy: int, iu: int) -> None:
    """sum_{o in i} y_o + u_i >= min(min_suppliers, usable offers) for each diversified SKU i."""
    U, si = len(sk.min_skus), sk.sku_of
    pos = pd.Series(-1, index=range(len(sk.index)))
    pos[sk.min_skus] = np.arange(U)
    k = np.flatnonzero(pos.to_numpy()[si] >= 0)
    rows.add(pos.to_numpy()[si[k]], iy + k, np.ones(len(k)))
    rows.add(np.arange(U), iu + np.arange(U), np.ones(U))
    rows.close(sk.need_n[sk.min_skus].astype(float), np.full(U, np.inf))


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


def _report(model: AllocationModel, costs: Costs, sol: Solution, method: str, heuristic: float = float("nan"),
            exact_seconds: float = float("nan")) -> Allocation:  # fmt: skip
    """The solution as frames: one line per offer, one row per SKU, and the problems for Issues."""
    lines, bought = _lines(model, costs, sol.qty)
    problems = _shortfalls(model, lines, sol.short, costs, method == "exact")
    notes = lines["note"].to_numpy(object)
    problems += _diversity_problems(model, lines["share"].to_numpy(), sol, notes)
    lines["note"] = notes
    return Allocation(lines, _per_sku(model, lines, bought, sol), problems, sol.status, sol.gap, sol.objective,
                      method, heuristic, exact_seconds)  # fmt: skip


LINE_COLUMNS = ["rank", "score", "unit_price", "moq", "order_multiple", "capacity_units", "co2_kg_per_unit",
                "on_time_rate", "lead_time_days"]  # fmt: skip


def _lines(model: AllocationModel, costs: Costs, qty: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per offer: its data, quantity, share of the SKU's purchase and costs; and units per SKU."""
    o, skus, si = model.offers.frame, model.skus.index, model.skus.sku_of
    lines = o[["sku", "supplier"]].copy()
    for col in LINE_COLUMNS:
        lines[col] = o[col].to_numpy() if col in o else np.nan
    bought = np.bincount(si, weights=qty, minlength=len(skus)) if len(skus) else np.zeros(0)
    lines["requirement"] = o["sku"].map(model.requirement).to_numpy(float)
    lines["quantity"] = qty
    lines["share"] = np.divide(qty, bought[si], out=np.zeros(len(o)), where=bought[si] > 0)
    lines["purchase_value"] = qty * model.offers.price
    lines["co2_kg"] = qty * offer_co2(o)
    lines["carbon_cost"] = lines["co2_kg"] * costs.per_t / 1000.0  # at the price in force, not the tie-break
    lines["risk_cost"] = qty * model.offers.risk
    lines["note"] = np.where(model.offers.usable, "", "unusable: offer capacity below its minimum lot")
    return lines, bought


def _shortfalls(model: AllocationModel, lines: pd.DataFrame, short: np.ndarray, costs: Costs,
                proved: bool) -> list[tuple[str, str, str]]:  # fmt: skip
    """(sku, cause, message) for each SKU without an offer and each SKU bought short, naming the real cause:
    units an offer still had room for are blamed on the flat shortage penalty (buying costs more) or on the
    heuristic (the exact solve did not finish), never on capacity; otherwise the capacity that binds, with the
    heuristic named beside it when the plan is not proved optimal (``proved``)."""
    o, skus, si, req = model.offers.frame, model.skus.index, model.skus.sku_of, model.requirement
    problems = [(s, "offers", "no offer for this SKU; its requirement cannot be allocated") for s in model.no_offer]
    room = _room(model, lines["quantity"].to_numpy(float))
    sup_used = lines[lines["quantity"] > 0].groupby("supplier")["quantity"].sum()
    full = {s for s in model.capped if sup_used.get(s, 0.0) >= model.supplier_capacity[s] - 1e-6}
    offer_caps = o["capacity_units"].astype(float).fillna(np.inf).to_numpy()
    for i in np.flatnonzero(short > 1e-6):
        k = np.flatnonzero(si == i)
        usable = model.offers.usable[k]
        offer_cap = float(np.sum(np.where(usable, offer_caps[k], 0.0)))
        at_full = sorted(set(o["supplier"].to_numpy()[k]) & full)
        open_k = k[room[k]]
        if len(open_k) and costs.unit[open_k].min() > costs.shortage[i]:
            kind = "penalty"
            why = (
                f"buying costs {costs.unit[open_k].min():,.2f} per unit, above the shortage penalty "
                f"{costs.shortage[i]:,.2f}: raise shortage_penalty_per_unit or set penalty_scaling to auto"
            )
        elif len(open_k):
            kind = "heuristic"
            why = (
                "offers " + ", ".join(sorted(set(o["supplier"].to_numpy()[open_k]))) + " still have room: the "
                "exact allocation did not finish within allocation_exact_time_limit_s, the heuristic left them"
            )
        elif not usable.any():
            why, kind = "offer capacity: no offer can deliver its minimum lot", "offer capacity"
        elif offer_cap < req[skus[i]] and not at_full:
            why, kind = f"offer capacity: its offers can deliver {offer_cap:,.0f} units in all", "offer capacity"
        elif at_full:
            why = "supplier capacity: " + ", ".join(at_full) + " fully used by all their SKUs"
            kind = "supplier capacity"
        else:
            why, kind = "the offers' minimum lots do not fit the capacity left", "offer lots"
        if not proved and kind not in ("penalty", "heuristic"):
            why += (
                "; but this plan is the heuristic's, not proved optimal (allocation_exact_time_limit_s): a "
                "better plan may buy them by moving other SKUs"
            )
            kind = "heuristic"
        problems.append((skus[i], kind, f"{short[i]:,.0f} of {req[skus[i]]:,.0f} units cannot be bought ({why})"))
    return problems


def _room(model: AllocationModel, qty: np.ndarray) -> np.ndarray:
    """Per offer: True when one more lot fits (its next multiple, or its minimum lot if unused) under the
    offer's capacity and its supplier's capacity left after the plan ``qty``."""
    off = model.offers
    supplier = off.frame["supplier"].to_numpy()
    used_by = pd.Series(qty).groupby(supplier).sum()
    left = pd.Series(off.supplier_cap, index=supplier).groupby(level=0).first() - used_by
    lot = np.where(qty > 0, off.m, off.low)
    cap = off.frame["capacity_units"].astype(float).fillna(np.inf).to_numpy()
    return off.usable & (qty + lot <= cap + 1e-9) & (pd.Series(supplier).map(left).to_numpy(float) >= lot - 1e-9)


def _diversity_problems(model: AllocationModel, shares: np.ndarray, sol: Solution,
                        notes: np.ndarray) -> list[tuple[str, str, str]]:  # fmt: skip
    """Offers over the maximum share (also noted on their line) and SKUs short of suppliers."""
    o, sk, cfg = model.offers.frame, model.skus, model.cfg
    problems = []
    for t, oi in enumerate(sk.share_rows):
        if sol.over_share[t] > 1e-6:
            msg = f"share {shares[oi]:.0%} above the maximum {cfg.max_supplier_share:.0%}"
            msg += " (the other offers' capacity or lots do not allow less)"
            notes[oi] = msg
            problems.append((o["sku"].iat[oi], "max supplier share", f"{o['supplier'].iat[oi]}: {msg}"))
    for t, i in enumerate(sk.min_skus):
        if sol.missing[t] > 0.5:
            problems.append((sk.index[i], "min suppliers",
                             f"{int(sk.need_n[i] - sol.missing[t])} supplier(s) used, {int(sk.need_n[i])} required "
                             "(the others' capacity or minimum lots do not fit the requirement)"))  # fmt: skip
    return problems


def _per_sku(model: AllocationModel, lines: pd.DataFrame, bought: np.ndarray, sol: Solution) -> pd.DataFrame:
    """Per SKU: requirement, units bought, shortfall, suppliers used and the HHI of its shares; SKUs
    without an offer at the end (all short)."""
    skus, si, req, qty = model.skus.index, model.skus.sku_of, model.requirement, sol.qty
    shares = lines["share"].to_numpy()
    per = pd.DataFrame(
        {
            "sku": skus,
            "requirement": req.reindex(skus).to_numpy(float),
            "bought": bought,
            "shortfall": sol.short,
            "suppliers_used": np.bincount(si[qty > 0], minlength=len(skus)) if len(skus) else [],
            "hhi": hhi_by_group(si, shares, len(skus)) if len(skus) else [],
        }
    )
    if model.no_offer:
        no_offer = model.no_offer
        extra = pd.DataFrame({"sku": no_offer, "requirement": req.reindex(no_offer).to_numpy(), "bought": 0.0})
        extra["shortfall"], extra["suppliers_used"], extra["hhi"] = extra["requirement"], 0, np.nan
        per = pd.concat([per, extra], ignore_index=True)
    return per


def spend_hhi(lines: pd.DataFrame) -> float:
    """Herfindahl-Hirschman index of spend by supplier: sum_j (spend_j / total spend)^2 (1 = one supplier)."""
    return hhi(lines.groupby("supplier")["purchase_value"].sum())
