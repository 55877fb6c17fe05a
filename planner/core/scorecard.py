"""Supplier scorecard (pure pandas/numpy): a weighted score per offer (supplier x SKU) and its rank per SKU.

Each criterion is scored on [0, 1], 1 = best, by min-max normalisation over the offers for the same SKU,
the set the allocation chooses from, so an unrelated SKU's offer never changes another SKU's scores
(weighted-sum multi-criteria rating, e.g. Chopra & Meindl, *Supply Chain Management*, ch. 15, supplier
scoring and assessment):

    s = (worst - x) / (worst - best)      (s = 1 when every candidate has the same value)

- price: the offer's unit_price against the other offers for the same SKU (lower is better);
- lead_time: the offer's lead time (else the supplier's) (lower is better);
- lead_time_sd: the supplier's lead-time standard deviation (lower is better);
- on_time: the supplier's on_time_rate (higher is better);
- quality: the supplier's defect_rate (lower is better);
- co2: the supplier's co2_kg_per_unit (lower is better).

A missing value takes the median of the known ones (neutral: neither rewarded nor punished) and the offer's
``missing`` column names it. score = sum(w_c x s_c) / sum(w_c) with the weights from Settings;
risk_score = the same without price (sum over c != price), the allocation's risk cost, so that price is
counted once in its objective (as the purchase cost), not again through the score (1.0 when only price
has a weight).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CRITERIA = {  # criterion -> (source column, higher is better, compared per SKU)
    "price": ("unit_price", False, True),
    "lead_time": ("lead_time_days", False, True),
    "lead_time_sd": ("lead_time_sd_days", False, True),
    "on_time": ("on_time_rate", True, True),
    "quality": ("defect_rate", False, True),
    "co2": ("co2_kg_per_unit", False, True),
}
SUPPLIER_FIELDS = ("lead_time_days", "lead_time_sd_days", "on_time_rate", "defect_rate", "co2_kg_per_unit")


def minmax_score(x: pd.Series, higher_is_better: bool, groups: pd.Series | None = None) -> pd.Series:
    """(worst - x) / (worst - best) within each group (or over all rows); 1.0 where all values are equal."""
    g = x.groupby(groups if groups is not None else np.zeros(len(x), int))
    lo, hi = g.transform("min"), g.transform("max")
    span = hi - lo
    good = (x - lo) if higher_is_better else (hi - x)
    return (good / span.where(span > 0)).fillna(1.0).clip(0.0, 1.0)


def offer_table(offers: pd.DataFrame, suppliers: pd.DataFrame) -> pd.DataFrame:
    """Offers joined with their supplier's fields; the offer's own lead time wins over the supplier's."""
    o = offers.drop(columns=[c for c in ("_row",) if c in offers]).copy()
    sup = suppliers.set_index("supplier") if len(suppliers) else pd.DataFrame(columns=list(SUPPLIER_FIELDS))
    for col in SUPPLIER_FIELDS:
        from_supplier = o["supplier"].map(sup[col]).astype(float) if col in sup else np.nan
        if col in o:
            o[col] = o[col].astype(float).fillna(pd.Series(from_supplier, index=o.index))
        else:
            o[col] = from_supplier
    return o.reset_index(drop=True)


def score_offers(offers: pd.DataFrame, suppliers: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """One row per offer: the raw criteria, each criterion's score, the weighted score and its rank among
    the SKU's offers (1 = best; ties share the better rank)."""
    o = offer_table(offers, suppliers)
    total_w = sum(max(float(weights.get(c, 0.0)), 0.0) for c in CRITERIA)
    if total_w <= 0:
        raise ValueError("supplier score weights: at least one weight must be > 0")
    missing = pd.Series("", index=o.index)
    score = np.zeros(len(o))
    for name, (col, higher, per_sku) in CRITERIA.items():
        x = o[col].astype(float)
        known = x.notna()
        if not known.all():
            fill = x.median() if known.any() else 0.0
            missing = missing.where(known, np.where(missing == "", col, missing + ", " + col))
            x = x.fillna(fill)
        s = minmax_score(x, higher, o["sku"] if per_sku else None)
        o[f"{name}_score"] = s
        score += max(float(weights.get(name, 0.0)), 0.0) * s.to_numpy()
    o["score"] = score / total_w
    w_price = max(float(weights.get("price", 0.0)), 0.0)
    risk_w = total_w - w_price
    o["risk_score"] = (score - w_price * o["price_score"].to_numpy()) / risk_w if risk_w > 0 else 1.0
    o["rank"] = o.groupby("sku")["score"].rank(ascending=False, method="min").astype(int)
    o["missing"] = missing
    return o.sort_values(["sku", "rank", "supplier"], kind="stable").reset_index(drop=True)


def supplier_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """Per supplier: SKUs offered, SKUs where it ranks first, mean score and its fixed criteria."""
    g = scored.groupby("supplier", sort=True)
    out = pd.DataFrame(
        {
            "skus_offered": g.size(),
            "ranked_first": g["rank"].apply(lambda r: int((r == 1).sum())),
            "mean_score": g["score"].mean(),
            "on_time_rate": g["on_time_rate"].first(),
            "defect_rate": g["defect_rate"].first(),
            "lead_time_sd_days": g["lead_time_sd_days"].first(),
            "co2_kg_per_unit": g["co2_kg_per_unit"].first(),
        }
    )
    return out.reset_index().sort_values(["mean_score", "supplier"], ascending=[False, True], ignore_index=True)
