"""Supplier choice per SKU and purchase orders grouped by supplier (pure pandas, no I/O).

Rule (contract): for each SKU the cheapest offer by unit_price is chosen, ties broken by the shorter lead
time, then by supplier name. Its lead time is the one used for that SKU: the offer's, else the supplier's,
else the item's, else Settings (resolved in plan.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OFFER_FIELDS = ["supplier", "unit_price", "moq", "order_multiple", "lead_time_days", "capacity_units"]


def cheapest_offers(offers: pd.DataFrame, suppliers: pd.DataFrame) -> pd.DataFrame:
    """One row per SKU: the chosen offer, with the supplier's lead time and its sd filled in where the
    offer has none. Columns: sku, supplier, unit_price, moq, order_multiple, lead_time_days,
    lead_time_sd_days, offers (how many offers the SKU has)."""
    if offers.empty:
        return pd.DataFrame(columns=["sku", *OFFER_FIELDS, "lead_time_sd_days", "offers"])
    sup = suppliers.set_index("supplier") if not suppliers.empty else pd.DataFrame()
    o = offers.copy()
    for col in ("lead_time_days", "lead_time_sd_days"):
        from_supplier = o["supplier"].map(sup[col]) if col in sup else np.nan
        o[col] = o[col].fillna(from_supplier) if col in o else from_supplier
    o["_lt"] = o["lead_time_days"].fillna(np.inf)
    o = o.sort_values(["sku", "unit_price", "_lt", "supplier"], kind="stable")
    counts = o.groupby("sku").size()
    best = o.drop_duplicates("sku", keep="first").drop(columns="_lt")
    best["offers"] = best["sku"].map(counts).to_numpy()
    return best.reset_index(drop=True)


PO_COLUMNS = [
    "supplier", "row_type", "sku", "site", "quantity", "unit_price", "value",
    "order_date", "expected_arrival", "lead_time_days",
]  # fmt: skip


def purchase_orders(plan: pd.DataFrame) -> pd.DataFrame:
    """Lines with suggested_order > 0 grouped by supplier (blank supplier = 'UNASSIGNED'), each group
    followed by a subtotal row, and a grand total row last. value = quantity x unit_price."""
    lines = plan.loc[plan["suggested_order"] > 0].copy()
    lines["supplier"] = lines["supplier"].astype(object).fillna("UNASSIGNED").replace("", "UNASSIGNED")
    lines = lines.assign(
        row_type="line",
        quantity=lines["suggested_order"],
        value=lines["suggested_order"] * lines["unit_price"],
    )
    lines = lines.sort_values(["supplier", "order_date", "sku", "site"], kind="stable")[PO_COLUMNS]
    parts = []
    for supplier, group in lines.groupby("supplier", sort=True):
        sub = {c: None for c in PO_COLUMNS}
        sub.update(
            supplier=supplier,
            row_type="subtotal",
            quantity=group["quantity"].sum(),
            value=group["value"].sum(),
            order_date=group["order_date"].min(),
            expected_arrival=group["expected_arrival"].max(),
        )
        parts += [group, pd.DataFrame([sub])]
    total = {c: None for c in PO_COLUMNS}
    total.update(row_type="total", supplier="All suppliers", quantity=lines["quantity"].sum())
    total["value"] = lines["value"].sum()
    parts = [p.astype(object) for p in parts] + [pd.DataFrame([total], dtype=object)]
    return pd.concat(parts, ignore_index=True)[PO_COLUMNS]
