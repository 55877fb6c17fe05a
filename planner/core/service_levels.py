"""Service levels of (s, Q) and (R, S) policies for demand over the protection interval that is normal,
gamma or negative binomial, with periodic review, undershoot and lost sales; vectorised across rows.

Units: quantities in stocking units, demand per day, times in days. Each row's demand over t days has mean
d t and variance t v + d² sigma_L² (v the variance per day; SPT eq. 6.24 for a random lead time), and one
of DISTRIBUTIONS fitted to those two moments:
- ``normal``: the textbook's (SPT §6.7);
- ``gamma``: shape a = mean² / var, scale theta = var / mean (continuous, skewed to the right; SPT §6.7.5
  mentions it for erratic demand; loss functions in closed form with the regularised gamma function);
- ``negbin``: negative binomial with r = mean² / (var - mean), p = mean / var, whole units (Poisson where
  var <= mean), for intermittent, lumpy and slow demand (Axsäter, *Inventory Control*, 3rd ed. (2015),
  §5.3: compound Poisson demand with logarithmic sizes gives negative binomial lead-time demand).

Loss functions from partial moments (closed forms, no support arrays): for the negative binomial,
j P(j; r, p) = mu P(j - 1; r + 1, p) and j (j - 1) P(j; r, p) = mu (r + 1) (1 - p) / p P(j - 2; r + 2, p);
for the gamma, E[X; X > x] = a theta Q(a + 1, x / theta) and E[X²; X > x] = a (a + 1) theta² Q(a + 2, x / theta).

Fill rate (share of demand served from stock, backorders; Axsäter §5.4, SPT §7.2 (R, s, nQ)):
- (s, Q) reviewed every r >= 1 days with the (R, s, nQ) rule (order n Q when IP <= s): after a review the
  inventory position y is uniform on {s + 1, ..., s + Q} (on (s, s + Q] for continuous demand) whatever the
  undershoot, and the units short over the r days up to the next possible arrival are
  E[(D_{L+r} - y)+] - E[(D_L - y)+]; averaged over y this is (G2(s; L+r) - G2(s+Q; L+r) - G2(s; L)
  + G2(s+Q; L)) / Q with G2 the second-order loss, and fill = 1 - that / (d r). Exact for independent daily
  demand and a fixed lead time, so the undershoot of s and the review day are accounted for.
- (s, Q) with continuous review (r = 0): the textbook 1 - G1(s; L) / Q (SPT eq. 6.25 with ESPRC = G1).
- (R, S): 1 - (G1(S; R+L) - G1(S; L)) / (d R): the units short in a cycle are those short when the next
  order arrives less those already short when this cycle's order arrived (Hadley & Whitin §5.2; Axsäter §5.4;
  exact for backorders, independent daily demand and a fixed lead time). SPT eq. 7.8 drops G1(S; L), which
  is negligible where S is far above the demand over L but makes slow movers' S a unit or two too high.
- Lost sales: a cycle's demand is what is served plus what is lost, so fill = 1 / (1 + b) for the
  backorder shortage ratio b = ESPRC / (Q or d R) (SPT §6.7.4, P2 = 1 - ESPRC / (Q + ESPRC)).
Cycle service (share of replenishment cycles without a stockout): P(D_{R+L} <= S) for (R, S); for (s, Q)
P(D_L + U <= s), U the undershoot of s at the review that triggers the order, by moments: E[U] = E[D_r²] /
(2 E[D_r]), E[U²] = E[D_r³] / (3 E[D_r]) (renewal theory, Hadley & Whitin §4.9; D_r taken as gamma for its
third moment), U = 0 with continuous review.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats
from scipy.special import ndtr

DISTRIBUTIONS = ("normal", "gamma", "negbin")
SEARCH_STEPS = 60
CONTINUOUS_TOLERANCE = 0.01  # units: a continuous level is found to within this (or 1e-4 of the spread)


def _arr(*xs):
    """The arguments as float arrays of one shape, at least one-dimensional (copies)."""
    return [np.atleast_1d(a).copy() for a in np.broadcast_arrays(*[np.asarray(x, float) for x in xs])]


def _nb_params(mean, var):
    """(r, p, poisson) of the negative binomial with this mean and variance; Poisson where var <= mean."""
    poisson = var <= mean * (1 + 1e-9)
    excess = np.where(poisson, 1.0, var - mean)
    r = np.where(poisson, np.inf, mean**2 / excess)
    p = np.where(poisson, 1.0, mean / np.where(var > 0, var, 1.0))
    return r, p, poisson


def _discrete_tail(x, mean, var):
    """(P(X > x), E[X; X > x], E[X(X-1); X > x]) of the negative binomial (or Poisson) X, x real."""
    r, p, poisson = _nb_params(mean, var)
    m = np.floor(x) + 1.0  # X > x  <=>  X >= m
    tail, first, second = np.empty_like(m), np.empty_like(m), np.empty_like(m)
    nb, po = ~poisson, poisson
    if nb.any():
        rn, pn, mn = r[nb], p[nb], m[nb]
        tail[nb] = stats.nbinom.sf(mn - 1, rn, pn)
        first[nb] = mean[nb] * stats.nbinom.sf(mn - 2, rn + 1, pn)
        second[nb] = mean[nb] * (rn + 1) * (1 - pn) / pn * stats.nbinom.sf(mn - 3, rn + 2, pn)
    if po.any():
        lam, mp = mean[po], m[po]
        tail[po] = stats.poisson.sf(mp - 1, lam)
        first[po] = lam * stats.poisson.sf(mp - 2, lam)
        second[po] = lam * lam * stats.poisson.sf(mp - 3, lam)
    return tail, first, second


def _tail_moments(kind, x, mean, var):
    """(P(X > x), E[X; X > x], E[X²; X > x]) per row, for X of the row's distribution."""
    x, mean, var, kind = np.broadcast_arrays(*[np.asarray(a, float) for a in (x, mean, var)], np.asarray(kind))
    shape = x.shape
    x, mean, var, kind = (np.atleast_1d(a).ravel() for a in (x, mean, var, kind))
    sd = np.sqrt(np.maximum(var, 0.0))
    z = np.divide(x - mean, sd, out=np.where(x >= mean, np.inf, -np.inf), where=sd > 0)
    phi = np.where(np.isfinite(z), np.exp(-0.5 * np.square(np.where(np.isfinite(z), z, 0.0))) / np.sqrt(2 * np.pi), 0)
    tail = 1 - ndtr(z)
    out = [tail, mean * tail + sd * phi, (mean**2 + var) * tail + sd * phi * (mean + np.where(np.isfinite(x), x, 0))]
    gam = (kind == "gamma") & (mean > 0) & (var > 0)
    if gam.any():
        a, theta = mean[gam] ** 2 / var[gam], var[gam] / mean[gam]
        u = np.maximum(x[gam], 0.0) / theta
        out[0][gam] = special.gammaincc(a, u)
        out[1][gam] = a * theta * special.gammaincc(a + 1, u)
        out[2][gam] = a * (a + 1) * theta**2 * special.gammaincc(a + 2, u)
    nb = (kind == "negbin") & (mean > 0)
    if nb.any():
        t, e1, e2f = _discrete_tail(x[nb], mean[nb], var[nb])
        out[0][nb], out[1][nb], out[2][nb] = t, e1, e2f + e1  # E[X²] = E[X(X-1)] + E[X]
    return [o.reshape(shape) for o in out]


def loss1(kind, x, mean, var) -> np.ndarray:
    """First-order loss G1(x) = E[(X - x)+], units (SPT eq. B.7 for the normal: sigma G(k))."""
    tail, e1, _ = _tail_moments(kind, x, mean, var)
    return np.maximum(e1 - np.asarray(x, float) * tail, 0.0)


def loss2(kind, x, mean, var) -> np.ndarray:
    """Second-order loss, units²: continuous G2(x) = E[((X - x)+)²] / 2 = integral of G1 above x; for the
    negative binomial the sum of G1(y) over the whole units y > x, E[(X - x)(X - x - 1); X > x] / 2 (x whole);
    so the mean of G1 over y uniform on (s, s + Q] is (G2(s) - G2(s + Q)) / Q in both cases."""
    tail, e1, e2 = _tail_moments(kind, x, mean, var)
    x = np.asarray(x, float)
    half_sq = 0.5 * (e2 - 2 * x * e1 + x * x * tail)
    return np.maximum(np.where(np.asarray(kind) == "negbin", half_sq - 0.5 * (e1 - x * tail), half_sq), 0.0)


def cdf(kind, x, mean, var) -> np.ndarray:
    """P(X <= x)."""
    return 1.0 - _tail_moments(kind, x, mean, var)[0]


def demand_variance(days, var_per_day, demand_per_day, lead_time_sd_days) -> np.ndarray:
    """Variance of demand over ``days``: days v + d² sigma_L² (SPT eq. 6.24), units²."""
    return np.asarray(days, float) * var_per_day + np.square(demand_per_day) * np.square(lead_time_sd_days)


def shortage_ratio(level, order_qty, demand_per_day, var_per_day, lead_time_days, lead_time_sd_days, is_rs,
                   review_days, sq_review_days, kind) -> np.ndarray:  # fmt: skip
    """Expected units short per unit of demand with backorders (1 - fill rate), module docstring. ``review_days``
    is R of (R, S); ``sq_review_days`` r of (s, Q) (0: continuous review, the textbook formula)."""
    level, q, d, v, L, sL, R, r = _arr(level, order_qty, demand_per_day, var_per_day, lead_time_days,
                                       lead_time_sd_days, review_days, sq_review_days)  # fmt: skip
    rs = np.broadcast_to(np.asarray(is_rs, bool), level.shape)
    kind = np.broadcast_to(np.asarray(kind), level.shape)
    T = np.where(rs, R + L, L)
    per_cycle = np.where(rs, d * R, q)
    mean_t, var_t = d * T, demand_variance(T, v, d, sL)
    periodic = ~rs & (r > 0)
    textbook = np.zeros(level.shape)
    if (~periodic).any():
        at = ~periodic
        g1 = loss1(kind[at], level[at], mean_t[at], var_t[at])
        rs_at = rs[at]  # (R, S): less what was already short before the cycle's order arrives
        if rs_at.any():
            rows = at & rs  # a mask of the arrays' own shape (a column of cells from Excel is 2-D)
            mean_l, var_l = d[rows] * L[rows], demand_variance(L[rows], v[rows], d[rows], sL[rows])
            g1[rs_at] -= loss1(kind[rows], level[rows], mean_l, var_l)
        textbook[at] = np.divide(g1, per_cycle[at], out=np.zeros(len(g1)), where=per_cycle[at] > 0)
    if periodic.any():
        k, s, qq, dd = kind[periodic], level[periodic], q[periodic], d[periodic]
        mL, vL = dd * L[periodic], var_t[periodic]
        mLr, vLr = dd * (L[periodic] + r[periodic]), demand_variance(L[periodic] + r[periodic], v[periodic], dd,
                                                                      sL[periodic])  # fmt: skip
        short = (loss2(k, s, mLr, vLr) - loss2(k, s + qq, mLr, vLr) - loss2(k, s, mL, vL)
                 + loss2(k, s + qq, mL, vL)) / qq  # fmt: skip
        per_review = dd * r[periodic]
        textbook[periodic] = np.divide(short, per_review, out=np.zeros(len(short)), where=per_review > 0)
    return np.where(d > 0, np.maximum(textbook, 0.0), 0.0)


def fill_rate(level, order_qty, demand_per_day, var_per_day, lead_time_days, lead_time_sd_days, is_rs, review_days,
              sq_review_days, kind, lost_sales=False) -> np.ndarray:  # fmt: skip
    """Fill rate of the level (s or S): 1 - b with backorders, 1 / (1 + b) with lost sales (module docstring)."""
    b = shortage_ratio(level, order_qty, demand_per_day, var_per_day, lead_time_days, lead_time_sd_days, is_rs,
                       review_days, sq_review_days, kind)  # fmt: skip
    return np.clip(np.where(np.asarray(lost_sales, bool), 1.0 / (1.0 + b), 1.0 - b), 0.0, 1.0)


def undershoot_moments(mean_r, var_r) -> tuple[np.ndarray, np.ndarray]:
    """(E[U], Var U) of the undershoot of s by demand over a review interval of mean m and variance v
    (module docstring; the third moment of a gamma, m³ + 3 m v + 2 v² / m); 0 without demand."""
    m, v = _arr(mean_r, var_r)
    pos = m > 0
    m2 = v + m * m
    m3 = m**3 + 3 * m * v + 2 * np.divide(v * v, m, out=np.zeros_like(m), where=pos)
    eu = np.divide(m2, 2 * m, out=np.zeros_like(m), where=pos)
    eu2 = np.divide(m3, 3 * m, out=np.zeros_like(m), where=pos)
    return eu, np.maximum(eu2 - eu * eu, 0.0)


def cycle_service(level, demand_per_day, var_per_day, lead_time_days, lead_time_sd_days, is_rs, review_days,
                  sq_review_days, kind) -> np.ndarray:  # fmt: skip
    """P(no stockout in a replenishment cycle): P(D_{R+L} <= S) for (R, S), P(D_L + U <= s) for (s, Q)."""
    level, d, v, L, sL, R, r = _arr(level, demand_per_day, var_per_day, lead_time_days, lead_time_sd_days,
                                    review_days, sq_review_days)  # fmt: skip
    rs = np.broadcast_to(np.asarray(is_rs, bool), level.shape)
    T = np.where(rs, R + L, L)
    eu, vu = undershoot_moments(d * r, r * v)
    eu, vu = np.where(rs, 0.0, eu), np.where(rs, 0.0, vu)
    return cdf(kind, level, d * T + eu, demand_variance(T, v, d, sL) + vu)


def level_for_target(service_type, target, order_qty, demand_per_day, var_per_day, lead_time_days,
                     lead_time_sd_days, is_rs, review_days, sq_review_days, kind, lost_sales=False,
                     nearest=None) -> np.ndarray:  # fmt: skip
    """The least level (s or S) whose fill rate or cycle service (per ``service_type``) reaches the target,
    per row, by a bracketing search (service rises with the level; _bracketed_search): whole units for
    ``negbin`` rows, to CONTINUOUS_TOLERANCE otherwise; ``nearest`` whole-unit rows one unit lower where that is
    nearer the target (nearest_whole_unit). The level may lie below the mean demand over T (k < 0); 0 without
    demand."""
    target, q, d, v, L, sL, R, r = _arr(target, order_qty, demand_per_day, var_per_day, lead_time_days,
                                        lead_time_sd_days, review_days, sq_review_days)  # fmt: skip
    shape = d.shape  # a column of cells from Excel is 2-D: searched flat, returned in its shape

    def flat(a, dtype=None):
        return np.broadcast_to(np.asarray(a, dtype), shape).ravel()

    target, q, d, v, L, sL, R, r = (a.ravel() for a in (target, q, d, v, L, sL, R, r))
    rs, kind, lost = flat(is_rs, bool), flat(kind), flat(lost_sales, bool)
    fill = flat(np.asarray(service_type) == "fill")
    whole = kind == "negbin"
    nearest = flat(nearest is not None and nearest, bool)

    def service(x, rows):
        args = (d[rows], v[rows], L[rows], sL[rows], rs[rows], R[rows], r[rows], kind[rows])
        f = fill_rate(x, q[rows], *args, lost[rows])
        return np.where(fill[rows], f, cycle_service(x, *args))

    T = np.where(rs, R + L, L) + np.where(rs, 0.0, r)
    spread = np.sqrt(demand_variance(T, v, d, sL)) + d * np.maximum(r, 1.0) + 1.0
    lo = np.where(rs, 0.0, -q) - 1.0
    lo = np.where(whole, np.floor(lo), lo)
    hi, at_hi = _upper_bound(service, target, d * T + 4 * spread, spread)
    hi = np.where(whole, np.ceil(hi), hi)  # whole bounds: the search's points are whole units
    tol = np.where(whole, 1.0, np.maximum(CONTINUOUS_TOLERANCE, 1e-4 * spread))
    search = _bracketed_search(service, target, whole, tol, lo, hi, at_hi)
    level = np.where(d > 0, np.where(whole, np.ceil(search.hi - 1e-9), search.hi), 0.0)
    near = np.flatnonzero(whole & (d > 0) & nearest)
    known = search.exact[near] & (search.hi[near] - search.lo[near] == 1.0)  # both neighbours simulated already
    below, at = search.at_lo[near].copy(), search.at_hi[near].copy()
    if (~known).any():
        redo = near[~known]
        below[~known], at[~known] = service(level[redo] - 1, redo), service(level[redo], redo)
    level[near] -= nearest_whole_unit(below, at, target[near])
    return level.reshape(shape)


def _upper_bound(service, target, hi, spread) -> tuple[np.ndarray, np.ndarray]:
    """A level per row whose service reaches the target, from ``hi`` widened by 4 spreads plus itself until it
    does (at most SEARCH_STEPS times), and the service there."""
    hi = hi.copy()
    at_hi = service(hi, np.arange(len(hi)))
    for _ in range(SEARCH_STEPS):
        short = np.flatnonzero(at_hi < target)
        if not len(short):
            break
        hi[short] += 4 * spread[short] + np.abs(hi[short])
        at_hi[short] = service(hi[short], short)
    return hi, at_hi


class _Bracket:
    """lo (service below the target, or taken to be) and hi (service at or above it) per row, the service at
    each, and whether hi's service was computed at hi itself (``exact``; the first upper bound of a whole-unit
    row is rounded up after its service was computed)."""

    def __init__(self, lo, hi, at_lo, at_hi):
        self.lo, self.hi, self.at_lo, self.at_hi = lo, hi, at_lo, at_hi
        self.exact = np.zeros(len(lo), bool)


def _bracketed_search(service, target, whole, tol, lo, hi, at_hi) -> _Bracket:
    """Shrinks [lo, hi] to ``tol`` (one unit for whole-unit rows) keeping service(lo) < target <= service(hi):
    the Illinois variant of regula falsi (Dowell & Jarratt 1971: the point where the line through the two
    ends meets the target, the end kept twice in a row weighted by one half), whole rows' points rounded down
    inside the bracket, and a bisection step where two steps did not halve the width. Service rises with the
    level, so the result is the same as bisection's (the least whole unit reaching the target; within tol
    for a continuous level), in fewer evaluations of the service. The lower bound is taken to fall short, as
    bisection took it without looking: where its service reaches the target anyway (a service that is not
    monotone in the level, with a lead time of 0 and a lead-time sd) it is taken to serve nothing, so the
    search still looks inside the bracket."""
    rows = np.arange(len(lo))
    b = _Bracket(lo.copy(), hi.copy(), service(lo, rows), at_hi.copy())
    # a lower bound that reaches the target (a service not monotone: a lead time of 0 with a lead-time sd) is
    # taken to serve nothing, as bisection took it; the interpolation's weights (Illinois halves them):
    gap_lo = np.minimum(_probit_gap(np.where(b.at_lo < target, b.at_lo, 0.0), target), -1e-12)
    gap_hi = np.maximum(_probit_gap(b.at_hi, target), 0.0)
    last_side = np.zeros(len(lo), np.int8)
    checked_width = b.hi - b.lo
    for step in range(2 * SEARCH_STEPS):
        open_ = np.flatnonzero(b.hi - b.lo > tol)
        if not len(open_):
            break
        width = b.hi[open_] - b.lo[open_]
        stalled = (step % 2 == 1) & (width > 0.5 * checked_width[open_])
        if step % 2 == 1:
            checked_width[open_] = width
        x = _next_point(b.lo[open_], b.hi[open_], gap_lo[open_], gap_hi[open_], stalled, whole[open_], tol[open_])
        served = service(x, open_)
        meets = served >= target[open_]
        up, down = open_[meets], open_[~meets]
        b.hi[up], b.at_hi[up], gap_hi[up], b.exact[up] = (
            x[meets],
            served[meets],
            _probit_gap(served[meets], target[up]),
            True,
        )
        b.lo[down], b.at_lo[down], gap_lo[down] = (
            x[~meets],
            served[~meets],
            np.minimum(_probit_gap(served[~meets], target[down]), -1e-12),
        )
        gap_lo[up[last_side[up] == 1]] *= 0.5
        gap_hi[down[last_side[down] == -1]] *= 0.5
        last_side[up], last_side[down] = 1, -1
    return b


def _probit_gap(service, target) -> np.ndarray:
    """Phi^-1(service) - Phi^-1(target): service on the normal quantile scale, on which it is close to linear in
    the level (exactly, for the cycle service of normal demand), so the interpolation lands near the root."""
    clip = 1e-12
    return special.ndtri(np.clip(service, clip, 1 - clip)) - special.ndtri(np.clip(target, clip, 1 - clip))


def _next_point(lo, hi, gap_lo, gap_hi, stalled, whole, tol) -> np.ndarray:
    """The next level to evaluate inside (lo, hi): where the line through (lo, gap_lo) and (hi, gap_hi) crosses
    0, or the midpoint for ``stalled`` rows; whole units rounded down, at least lo + 1 and at most hi - 1;
    continuous levels at least tol / 4 inside either end."""
    share = np.divide(-gap_lo, gap_hi - gap_lo, out=np.full(len(lo), 0.5), where=gap_hi - gap_lo > 0)
    x = lo + np.where(stalled, 0.5, share) * (hi - lo)
    whole_x = np.clip(np.floor(x), lo + 1, hi - 1)
    return np.where(whole, whole_x, np.clip(x, lo + tol / 4, hi - tol / 4))


def nearest_whole_unit(service_below, service_at, target) -> np.ndarray:
    """True where one unit below the least level that reaches the target is nearer it: target - service one
    unit below < service at the least level - target (ties keep the least level)."""
    service_below, service_at, target = _arr(service_below, service_at, target)
    return (target - service_below) < (service_at - target)
