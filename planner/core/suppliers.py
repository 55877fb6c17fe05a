"""Supplier choice per SKU and purchase orders grouped by supplier (pure pandas, no I/O).

Rule (contract): for each SKU the cheapest offer by unit_price is chosen, ties broken by the shorter lead
time, then by supplier name. Its lead time is the one used for that SKU: the offer's, else the supplier's,
else the item's, else Settings (resolved in plan.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.inventory import round_up

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


def quota_suppliers(lines: pd.DataFrame, quota: pd.DataFrame) -> pd.Series:
    """Supplier of each order line under a quota arrangement (as SAP's MM quota arrangement): the lines of a
    SKU, in order_date then site order, each go whole to the supplier with the lowest quota rating
    (units assigned so far / its allocated quantity); ties go to the larger quota, then by name. A line is
    never split, so no part of it falls below a supplier's MOQ. ``lines``: sku, site, order_date,
    suggested_order; ``quota``: sku, supplier, quantity (> 0). SKUs without a quota keep NaN."""
    quota = quota.loc[quota["quantity"] > 0]
    out = pd.Series(np.nan, index=lines.index, dtype=object)
    shares = {sku: list(zip(g["supplier"], g["quantity"], strict=True)) for sku, g in quota.groupby("sku")}
    single = {sku: s[0][0] for sku, s in shares.items() if len(s) == 1}
    out[:] = lines["sku"].map(single)
    multi = lines.loc[lines["sku"].isin([s for s, v in shares.items() if len(v) > 1])]
    for sku, group in multi.sort_values(["order_date", "site"], kind="stable").groupby("sku", sort=False):
        assigned = {sup: 0.0 for sup, _ in shares[sku]}
        for idx, qty in zip(group.index, group["suggested_order"], strict=True):
            sup = min(shares[sku], key=lambda s: (assigned[s[0]] / s[1], -s[1], s[0]))[0]
            assigned[sup] += float(qty)
            out[idx] = sup
    return out


def follow_allocation(plan: pd.DataFrame, quota: pd.DataFrame, offers: pd.DataFrame) -> pd.DataFrame:
    """The plan rows with suggested orders, re-sourced by ``quota_suppliers``: a line moved to another
    supplier takes that offer's price, lead time (offer, else supplier, else the line's) and lot rules
    (quantity rounded up to its order_multiple, at least its MOQ); expected_arrival = order_date + lead time."""
    rows = plan.loc[plan["suggested_order"] > 0].copy()
    new = quota_suppliers(rows, quota)
    moved = new.notna() & (new != rows["supplier"])
    if not moved.any():
        return rows
    o = offers.set_index(["sku", "supplier"])
    keys = pd.MultiIndex.from_arrays([rows.loc[moved, "sku"], new[moved]])
    take = o.reindex(keys)
    lots = take["moq"].to_numpy(float), take["order_multiple"].to_numpy(float)
    rows.loc[moved, "suggested_order"] = round_up(rows.loc[moved, "suggested_order"].to_numpy(float), *lots)
    rows.loc[moved, "supplier"] = new[moved].to_numpy()
    rows.loc[moved, "unit_price"] = take["unit_price"].to_numpy(float)
    lt = take["lead_time_days"].astype(float).to_numpy()
    rows.loc[moved, "lead_time_days"] = np.where(np.isnan(lt), rows.loc[moved, "lead_time_days"], lt)
    rows["expected_arrival"] = rows["order_date"] + pd.to_timedelta(np.ceil(rows["lead_time_days"]), unit="D")
    return rows
