"""All input checking in one place: raw sheet tables -> typed frames + the Issues log.

Rules (contract, "Bad input"): a missing required sheet or column is structural and raises InputError.
Row-level problems never stop the run: a bad value in a required column skips the row (error); a bad value
in an optional column is blanked so the default applies (warning); unknown SKUs and duplicate keys skip the
row (error), except Demand where duplicate sku/site/date rows are added up (warning). Every problem is
logged with sheet, Excel row, column, the value found and what was expected.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planner.model.errors import InputError
from planner.model.inputs import Inputs
from planner.model.issues import IssueLog, Reason
from planner.model.settings import FIRST_DATE, LAST_DATE, SETTINGS, WEIGHTS, Settings
from planner.workbook.contract import EXCEL_EPOCH, SHEETS, Column, SheetSpec, key
from planner.workbook.read import RawTable

# --------------------------------------------------------------------------------------------------------
# value conversion, vectorised


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


def to_text(s: pd.Series) -> pd.Series:
    """Cell values as stripped text; a whole number typed as a code (1001.0) becomes '1001'."""
    if _is_text(s):
        return s.str.strip().replace("", None)

    def one(v):
        if v is None:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip() or None

    return s.map(one)


def to_number(s: pd.Series) -> pd.Series:
    """Numbers, and text that reads as a number; anything else (booleans, dates, words) is NaN."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float", "empty"):
        return pd.to_numeric(s, errors="coerce").astype(float)
    bad = s.map(lambda v: isinstance(v, (bool, dt.date, dt.time, dt.timedelta)))
    return pd.to_numeric(s.where(~bad), errors="coerce").astype(float)


def to_date(s: pd.Series) -> pd.Series:
    """Dates from date cells, ISO text (2025-03-31) or Excel serial numbers, between FIRST_DATE and
    LAST_DATE; anything else is NaT."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("date", "datetime", "datetime64"):
        out = pd.to_datetime(s, errors="coerce").dt.normalize()
    else:
        out = pd.to_datetime(s.map(_one_date), errors="coerce")
    return out.where((out >= pd.Timestamp(FIRST_DATE)) & (out <= pd.Timestamp(LAST_DATE)))


def _one_date(v: object) -> pd.Timestamp:
    try:
        if isinstance(v, (dt.datetime, dt.date)):
            return pd.Timestamp(v).normalize()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v < LAST_SERIAL:
            return EXCEL_EPOCH + pd.Timedelta(days=int(v))
        if isinstance(v, str):
            return pd.Timestamp(dt.date.fromisoformat(v.strip()[:10]))
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        pass
    return pd.NaT


LAST_SERIAL = (pd.Timestamp(LAST_DATE) - EXCEL_EPOCH).days + 1


def to_minutes(s: pd.Series) -> pd.Series:
    """Times of day as minutes after midnight: a time cell, the time part of a date-time cell, a fraction of
    a day (Excel's time serial, 0 to 1: 0.5 = 12:00) or text HH:MM; 24:00 is accepted as the day's end.
    Anything else is NaN."""
    return s.map(_one_time).astype(float)


def _one_time(v: object) -> float:
    if isinstance(v, dt.datetime):
        return v.hour * 60.0 + v.minute + v.second / 60.0
    if isinstance(v, dt.time):
        return v.hour * 60.0 + v.minute + v.second / 60.0
    if isinstance(v, dt.timedelta):
        m = v.total_seconds() / 60.0
        return m if 0 <= m <= 1440 else np.nan
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v) * 1440.0 if 0 <= v <= 1 else np.nan
    if isinstance(v, str):
        parts = v.strip().split(":")
        try:
            h, m = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
        except ValueError:
            return np.nan
        return h * 60.0 + m if 0 <= h <= 24 and 0 <= m < 60 and h * 60 + m <= 1440 else np.nan
    return np.nan


def _describe(col: Column) -> str:
    if col.kind == "choice":
        return "one of " + ", ".join(col.choices)
    if col.kind == "date":
        return f"a date from {FIRST_DATE[:4]} to {LAST_DATE[:4]}"
    if col.kind == "time":
        return "a time of day, e.g. 08:30"
    if col.kind == "text":
        return "a value"
    bounds = []
    if col.minimum is not None:
        bounds.append(f"{'>' if col.above_minimum else '>='} {col.minimum:g}")
    bounds.append(f"<= {col.upper:,g}")
    return "a number" + (" " + " and ".join(bounds) if bounds else "") + (f" ({col.unit})" if col.unit else "")


def _convert(col: Column, s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Typed values and a mask of cells that were filled but invalid."""
    filled = s.notna().to_numpy()
    if col.kind == "raw":
        return s.where(s.map(lambda v: not (isinstance(v, str) and not v.strip())), None), np.zeros(len(s), bool)
    if col.kind == "text":
        v = to_text(s)
        return v, filled & v.isna().to_numpy()
    if col.kind == "date":
        v = to_date(s)
        return v, filled & v.isna().to_numpy()
    if col.kind == "time":
        v = to_minutes(s)
        return v, filled & v.isna().to_numpy()
    if col.kind == "choice":
        lookup = {key(c): c for c in col.choices}
        v = to_text(s).map(lambda x: lookup.get(key(x)) if x is not None else None)
        return v, filled & v.isna().to_numpy()
    v = to_number(s)
    x = v.to_numpy()
    bad = filled & ~np.isfinite(x)
    if s.dtype == object:  # a cell holding NaN itself (<v>NaN</v>) is not a blank: it is a bad number
        bad |= s.map(lambda c: isinstance(c, float) and c != c).to_numpy(bool)
    with np.errstate(invalid="ignore"):
        bad |= (x <= col.lower) if col.above_minimum else (x < col.lower)
        bad |= x > col.upper
    return v.where(~bad), bad


def validate_table(raw: RawTable | None, spec: SheetSpec, log: IssueLog) -> tuple[pd.DataFrame, np.ndarray]:
    """Typed frame of one input sheet (columns: the contract's, then '_row' and '_repaired') and the Excel
    rows skipped."""
    if raw is None:
        if spec.required:
            raise InputError(f"Sheet '{spec.name}' is missing: the workbook needs a sheet named '{spec.name}' "
                             f"with one row per {spec.row}")  # fmt: skip
        empty = {c.name: pd.Series(dtype=object) for c in spec.columns}
        return pd.DataFrame(empty | {"_row": pd.Series(dtype=int), "_repaired": pd.Series(dtype=bool)}), _NO_ROWS
    for col in spec.columns:
        if col.required and key(col.name) not in raw.columns:
            found = ", ".join(str(c) for c in raw.data.columns) or "no headers"
            raise InputError(f"Sheet '{raw.sheet}': required column '{col.name}' is missing (found: {found})")
    for problem in raw.problems:  # what the reader left out
        log.add(problem.reason, raw.sheet, problem.rows, problem.column, problem.values, problem.message)
    out = pd.DataFrame({"_row": raw.rows})
    keep = np.ones(len(raw.rows), bool)
    repaired = np.zeros(len(raw.rows), bool)
    for col in spec.columns:
        header = raw.columns.get(key(col.name))
        if header is None:
            out[col.name] = pd.Series([None] * len(out), dtype=object) if col.kind not in ("number", "time") else np.nan
            continue
        src = raw.data[header]
        values, bad = _convert(col, src)
        out[col.name] = values.to_numpy()
        reason, what = (Reason.BAD_REQUIRED_VALUE, "row skipped") if col.required else \
            (Reason.BAD_OPTIONAL_VALUE, "ignored, default used")  # fmt: skip
        if bad.any():
            log.add(reason, raw.sheet, raw.rows[bad], header, src.to_numpy()[bad],
                    f"expected {_describe(col)}; {what}")  # fmt: skip
        if col.required:
            blank = src.isna().to_numpy()
            if blank.any():
                log.add(Reason.BLANK_REQUIRED_VALUE, raw.sheet, raw.rows[blank], header, None,
                        "required value is blank; row skipped")  # fmt: skip
            keep &= ~bad & ~blank
        else:
            repaired |= bad
    out["_repaired"] = repaired
    skipped = raw.rows[~keep]
    out = out.loc[keep]
    if spec.name == "Demand":
        return _sum_duplicates(out, raw, log), skipped
    dup = out.duplicated(list(spec.key), keep="first").to_numpy()
    if dup.any():
        first = out.drop_duplicates(list(spec.key)).set_index(list(spec.key))["_row"]
        firsts = first.reindex(pd.MultiIndex.from_frame(out.loc[dup, list(spec.key)])).to_numpy() \
            if len(spec.key) > 1 else first.reindex(out.loc[dup, spec.key[0]]).to_numpy()  # fmt: skip
        for r, v, f in zip(out.loc[dup, "_row"], out.loc[dup, spec.key[0]], firsts, strict=True):
            log.add(Reason.DUPLICATE_KEY, raw.sheet, r, raw.columns[key(spec.key[0])], v,
                    f"duplicate {'/'.join(spec.key)} (first at row {f}); row skipped")  # fmt: skip
        skipped = np.concatenate([skipped, out.loc[dup, "_row"].to_numpy()])
        out = out.loc[~dup]
    return out.reset_index(drop=True), skipped


def _sum_duplicates(out: pd.DataFrame, raw: RawTable, log: IssueLog) -> pd.DataFrame:
    k = ["sku", "site", "date"]
    dup = out.duplicated(k, keep="first").to_numpy()
    if not dup.any():
        return out.reset_index(drop=True)
    log.add(Reason.DUPLICATE_DEMAND, raw.sheet, out.loc[dup, "_row"].to_numpy(), raw.columns["quantity"],
            out.loc[dup, "quantity"].to_numpy(), "same sku/site/date as an earlier row; quantities added")  # fmt: skip
    summed = out.groupby(k, sort=False, as_index=False).agg(
        quantity=("quantity", "sum"), _row=("_row", "first"), _repaired=("_repaired", "any")
    )
    return summed


def _unknown(df: pd.DataFrame, col: str, known: pd.Index, sheet: str, header: str, log: IssueLog,
             reason: Reason, what: str) -> np.ndarray:  # fmt: skip
    """Mask of the rows whose ``col`` is not in ``known``, each logged."""
    unknown = ~df[col].isin(known).to_numpy()
    if unknown.any():
        log.add(reason, sheet, df.loc[unknown, "_row"].to_numpy(), header, df.loc[unknown, col].to_numpy(), what)
    return unknown


def _check_stock(stock: pd.DataFrame, sheet: str, hdr: dict, log: IssueLog) -> None:
    """A negative on hand is planned as it stands (a shortfall the order makes up) but is listed: it usually
    means a stock count or a booking is wrong."""
    negative = (stock["on_hand"] < 0).to_numpy()
    log.add(Reason.NEGATIVE_ON_HAND, sheet, stock.loc[negative, "_row"].to_numpy(), hdr.get("on_hand", "on_hand"),
            stock.loc[negative, "on_hand"].to_numpy(),
            "on hand is negative: planned as a shortfall to make up; check the stock count")  # fmt: skip


def _check_network(tables: dict[str, pd.DataFrame], names: dict, hdr: dict, log: IssueLog,
                   skipped: dict[str, np.ndarray]) -> None:  # fmt: skip
    """Lanes and Requirements against Sites: a lane from a site to itself is skipped; sites unknown to a
    non-empty Sites sheet are reported (kept: their capacity is just unknown); lanes without any cost or
    with a truck cost but no truck capacity are reported; so are shipped items without a weight, or
    without a volume where lanes count trucks."""
    lanes, sites = tables["Lanes"], tables["Sites"]
    sheet, h = names["Lanes"], hdr["Lanes"]
    if len(lanes):
        loop = (lanes["origin"] == lanes["destination"]).to_numpy()
        log.add(Reason.LANE_TO_ITSELF, sheet, lanes.loc[loop, "_row"].to_numpy(), h.get("destination", "destination"),
                lanes.loc[loop, "destination"].to_numpy(), "lane from a site to itself; row skipped")  # fmt: skip
        skipped["Lanes"] = np.concatenate([skipped["Lanes"], lanes.loc[loop, "_row"].to_numpy()])
        lanes = tables["Lanes"] = lanes.loc[~loop].reset_index(drop=True)
        no_cost = (lanes["cost_per_unit"].isna() & lanes["cost_per_truck"].isna()).to_numpy()
        log.add(Reason.LANE_WITHOUT_COST, sheet, lanes.loc[no_cost, "_row"].to_numpy(),
                h.get("cost_per_unit", "cost_per_unit"),
                None, "lane has neither cost_per_unit nor cost_per_truck: it is treated as free")  # fmt: skip
        half = (lanes["cost_per_truck"].notna() & ~(lanes["truck_capacity_m3"] > 0)).to_numpy()
        log.add(Reason.TRUCK_WITHOUT_CAPACITY, sheet, lanes.loc[half, "_row"].to_numpy(),
                h.get("truck_capacity_m3", "truck_capacity_m3"),
                lanes.loc[half, "truck_capacity_m3"].to_numpy(),
                "cost_per_truck needs a truck_capacity_m3 above 0: the truck cost is ignored")  # fmt: skip
    reqs, items = tables["Requirements"], tables["Items"]
    if len(reqs) and len(lanes):  # items that will be shipped
        shipped = items[items["sku"].isin(reqs["sku"])]
        hi = hdr["Items"]
        no_weight = shipped["unit_weight_kg"].isna().to_numpy()
        log.add(Reason.SHIPPED_WITHOUT_WEIGHT, names["Items"], shipped.loc[no_weight, "_row"].to_numpy(),
                hi.get("unit_weight_kg", "unit_weight_kg"), None,
                "blank, and the item is shipped (Requirements): its transport CO2 counts as 0")  # fmt: skip
        if (lanes["truck_capacity_m3"] > 0).any():
            no_volume = shipped["unit_volume_m3"].isna().to_numpy()
            log.add(Reason.SHIPPED_WITHOUT_VOLUME, names["Items"], shipped.loc[no_volume, "_row"].to_numpy(),
                    hi.get("unit_volume_m3", "unit_volume_m3"), None,
                    "blank, and the item travels on lanes priced per truck: it takes no room in a truck")  # fmt: skip
    if not len(sites):
        return
    known = pd.Index(sites["site"])
    what = "site not on the Sites sheet (used; its type and capacity are unknown)"
    for col in ("origin", "destination"):
        if len(lanes):
            _unknown(lanes, col, known, sheet, h.get(col, col), log, Reason.UNKNOWN_SITE, what)
    if len(reqs):
        _unknown(reqs, "destination", known, names["Requirements"],
                 hdr["Requirements"].get("destination", "destination"), log, Reason.UNKNOWN_SITE, what)  # fmt: skip
    for sheet in ("Open Orders", "Returns"):
        if len(tables[sheet]):
            _unknown(tables[sheet], "site", known, names[sheet], hdr[sheet].get("site", "site"), log,
                     Reason.UNKNOWN_SITE, what)  # fmt: skip


def _check_sources(sites: pd.DataFrame, sheet: str, h: dict, log: IssueLog) -> None:
    """Sites.source links (blanked where invalid, so the site is bought from suppliers): a source not on Sites,
    a store as a source (stores replenish no one) and links that go round in a circle (A -> B -> A, or a site
    its own source) are each logged with their reason."""
    if not len(sites) or sites["source"].isna().all():
        return
    col = h.get("source", "source")
    src = sites["source"]
    unknown = src.notna() & ~src.isin(sites["site"])
    log.add(Reason.UNKNOWN_SOURCE, sheet, sites.loc[unknown, "_row"].to_numpy(), col, src[unknown].to_numpy(),
            "source is not a site on this sheet; the site is planned as bought from suppliers")  # fmt: skip
    kind = src.map(sites.set_index("site")["type"])
    store = src.notna() & ~unknown & (kind == "store")
    log.add(Reason.SOURCE_IS_STORE, sheet, sites.loc[store, "_row"].to_numpy(), col, src[store].to_numpy(),
            "a store replenishes no other site; the site is planned as bought from suppliers")  # fmt: skip
    sites["source"] = src.where(~(unknown | store), None)
    cycle = _on_cycle(dict(zip(sites["site"], sites["source"], strict=True)))
    looped = sites["site"].isin(cycle).to_numpy()
    words = "source links go round in a circle (" + " -> ".join(sorted(cycle)) + "); these links are ignored"
    log.add(Reason.SOURCE_CYCLE, sheet, sites.loc[looped, "_row"].to_numpy(), col,
            sites.loc[looped, "source"].to_numpy(), words)  # fmt: skip
    sites.loc[looped, "source"] = None


def _on_cycle(parent: dict) -> set:
    """The sites whose chain of sources comes back to themselves."""
    out = set()
    for site in parent:
        seen, at = set(), parent.get(site)
        while at is not None and at not in seen and at != site:
            seen.add(at)
            at = parent.get(at)
        if at == site:
            out.add(site)
    return out


def _check_scheduled(tables: dict[str, pd.DataFrame], names: dict, hdr: dict, log: IssueLog) -> None:
    """Open Orders and Stock.on_order for the same sku/site: the Open Orders are the scheduled receipts and
    on_order is not used (logged once per Stock row with on_order > 0)."""
    orders, stock = tables["Open Orders"], tables["Stock"]
    if not len(orders):
        return
    keys = pd.MultiIndex.from_frame(orders[["sku", "site"]])
    both = pd.MultiIndex.from_frame(stock[["sku", "site"]]).isin(keys) & (stock["on_order"] > 0).to_numpy()
    log.add(Reason.OPEN_ORDERS_OVER_ON_ORDER, names["Stock"], stock.loc[both, "_row"].to_numpy(),
            hdr["Stock"].get("on_order", "on_order"), stock.loc[both, "on_order"].to_numpy(),
            "this sku/site has Open Orders: they are the scheduled receipts, on_order is not used")  # fmt: skip


def _check_rounds(tables: dict[str, pd.DataFrame], names: dict, hdr: dict, log: IssueLog,
                  skipped: dict[str, np.ndarray]) -> None:  # fmt: skip
    """Vehicles and Distances against Sites: a shift that ends before it starts skips the vehicle row;
    a vehicle depot or a distance site unknown to Sites is reported; a Distances row from a site to itself is
    skipped; a site with only one coordinate of a pair has the pair blanked."""
    veh, dist, sites = tables["Vehicles"], tables["Distances"], tables["Sites"]
    if len(veh):
        bad = (veh["shift_end"] <= veh["shift_start"]).to_numpy()
        h = hdr["Vehicles"]
        log.add(Reason.BAD_SHIFT, names["Vehicles"], veh.loc[bad, "_row"].to_numpy(), h.get("shift_end", "shift_end"),
                veh.loc[bad, "shift_end"].to_numpy(), "shift_end is not after shift_start; row skipped")  # fmt: skip
        skipped["Vehicles"] = np.concatenate([skipped["Vehicles"], veh.loc[bad, "_row"].to_numpy()])
        tables["Vehicles"] = veh.loc[~bad].reset_index(drop=True)
    if len(dist):
        loop = (dist["origin"] == dist["destination"]).to_numpy()
        log.add(Reason.LANE_TO_ITSELF, names["Distances"], dist.loc[loop, "_row"].to_numpy(),
                hdr["Distances"].get("destination", "destination"), dist.loc[loop, "destination"].to_numpy(),
                "distance from a site to itself; row skipped")  # fmt: skip
        skipped["Distances"] = np.concatenate([skipped["Distances"], dist.loc[loop, "_row"].to_numpy()])
        tables["Distances"] = dist.loc[~loop].reset_index(drop=True)
    if not len(sites):
        return
    for a, b in (("x_km", "y_km"), ("latitude", "longitude")):
        half = (sites[a].isna() != sites[b].isna()).to_numpy()
        for col in (a, b):
            given = half & sites[col].notna().to_numpy()
            log.add(Reason.BAD_OPTIONAL_VALUE, names["Sites"], sites.loc[given, "_row"].to_numpy(),
                    hdr["Sites"].get(col, col), sites.loc[given, col].to_numpy(),
                    f"{a} and {b} go together: the other is blank, both ignored")  # fmt: skip
        sites.loc[half, [a, b]] = np.nan
    known = pd.Index(sites["site"])
    what = "site not on the Sites sheet (it has no position: not routed)"
    if len(tables["Vehicles"]):
        _unknown(tables["Vehicles"], "depot", known, names["Vehicles"], hdr["Vehicles"].get("depot", "depot"), log,
                 Reason.UNKNOWN_SITE, what)  # fmt: skip
    for col in ("origin", "destination"):
        if len(tables["Distances"]):
            _unknown(tables["Distances"], col, known, names["Distances"], hdr["Distances"].get(col, col), log,
                     Reason.UNKNOWN_SITE, what)  # fmt: skip


def _setting_list(spec, raw: object) -> tuple[tuple, list[str]]:
    """A comma (or semicolon) list setting: the valid parts and the parts that are not."""
    parts = [x.strip() for x in str(raw).replace(";", ",").split(",") if x.strip()]
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        parts = [f"{raw:g}"]
    if spec.kind == "classes":
        good = tuple(dict.fromkeys(x.upper() for x in parts if x.upper() in ABC_CLASSES))
        return good, [x for x in parts if x.upper() not in ABC_CLASSES]
    values = pd.to_numeric(pd.Series(parts, dtype=object), errors="coerce").to_numpy(float)
    ok = np.isfinite(values) & (values >= (spec.minimum or 0.0)) & (values <= spec.upper)
    return tuple(float(v) for v in values[ok]), [x for x, good in zip(parts, ok, strict=True) if not good]


def _setting_value(spec, raw: object) -> tuple[object, bool]:
    """One Settings cell as its typed value, and whether it was valid."""
    if spec.kind in ("numbers", "classes"):
        good, bad = _setting_list(spec, raw)
        return good, not bad
    col = _setting_column(spec)
    if spec.kind == "choice":
        raw = dict((key(a), c) for a, c in spec.aliases).get(key(raw), raw)
    v, bad = _convert(col, pd.Series([raw], dtype=object))
    if spec.kind == "int" and not bad[0] and float(v.iloc[0]) != int(v.iloc[0]):
        bad[0] = True
    if bad[0] or v.isna().iloc[0]:
        return None, False
    return (int(v.iloc[0]) if spec.kind == "int" else v.iloc[0]), True


def _setting_column(spec) -> Column:
    kind = {"int": "number", "numbers": "text", "classes": "text"}.get(spec.kind, spec.kind)
    return Column(spec.name, kind, minimum=spec.minimum, maximum=spec.upper, choices=spec.choices)


def parse_settings(df: pd.DataFrame, sheet: str, header: dict[str, str], log: IssueLog) -> Settings:
    """Settings sheet rows -> typed Settings (defaults where absent or invalid; invalid ones are logged)."""
    values: dict[str, object] = {}
    for row, name, raw in zip(df["_row"], df["setting"], df["value"], strict=True):
        spec = SETTINGS.get(key(name))
        if spec is None:
            log.add(Reason.UNKNOWN_SETTING, sheet, row, header.get("setting", "setting"), name,
                    "unknown setting; ignored (see the Instructions sheet for the list)")  # fmt: skip
            continue
        value, ok = _setting_value(spec, raw)
        if not ok and spec.kind in _LIST_WORDS and value:  # a list keeps its valid parts
            log.add(Reason.BAD_SETTING, sheet, row, header.get("value", "value"), raw,
                    f"setting '{spec.name}' expects {_LIST_WORDS[spec.kind]}; the valid ones used")  # fmt: skip
        elif not ok:
            raise InputError(_bad_setting(spec, sheet, row, raw))
        values[spec.name] = value
    return Settings.from_values(values)


def _bad_setting(spec, sheet: str, row: int, raw: object) -> str:
    """One line: a setting that is not valid stops the run (planning weekly from monthly data, or with a
    default where a value was meant, would be quietly wrong)."""
    if spec.kind == "choice":
        also = f" (also {', '.join(a for a, _ in spec.aliases)})" if spec.aliases else ""
        expects = f"one of {', '.join(spec.choices)}{also}"
    else:
        expects = _LIST_WORDS.get(spec.kind) or _describe(_setting_column(spec))
    shown = raw if not isinstance(raw, str) or len(raw) <= 60 else raw[:57] + "..."
    return (f"Sheet '{sheet}' row {row}: setting '{spec.name}' is '{shown}', which is not valid: expected "
            f"{expects}; change the value and run again")  # fmt: skip


_LIST_WORDS = {
    "numbers": "numbers >= 0 separated by commas, e.g. 0,50,100",
    "classes": "ABC classes separated by commas, e.g. A or A,B",
}
ABC_CLASSES = ("A", "B", "C")


def _recent_demand(demand: pd.DataFrame, settings: Settings, log: IssueLog, sheet: str) -> pd.DataFrame:
    """Demand rows within max_history_years before the planning date; older ones are logged and left out
    (one stray row dated 1900 would otherwise stretch the history matrix over 125 years)."""
    start = settings.planning_date - pd.DateOffset(days=round(settings.max_history_years * 365.25))
    old = (demand["date"] < start).to_numpy() if len(demand) else np.zeros(0, bool)
    if not old.any():
        return demand
    log.add(
        Reason.DEMAND_TOO_OLD,
        sheet,
        demand.loc[old, "_row"].to_numpy(),
        "date",
        demand.loc[old, "date"].dt.date.to_numpy(),
        f"more than max_history_years ({settings.max_history_years:g}) before the planning date; not used",
    )
    return demand.loc[~old].reset_index(drop=True)


def _check_weights(settings: Settings, offers: pd.DataFrame, sheet: str) -> None:
    """Supplier scores need a weight above 0 somewhere: all at 0 is a structural problem when Offers exist."""
    if len(offers) and not any(w > 0 for w in settings.weights.values()):
        names = ", ".join(f"weight_{w}" for w in WEIGHTS)
        raise InputError(f"Sheet '{sheet}': the supplier score weights ({names}) are all 0; set at least one "
                         "above 0, e.g. weight_price = 1")  # fmt: skip


_NO_ROWS = np.zeros(0, dtype=int)


def validate_inputs(raw: dict[str, RawTable]) -> Inputs:
    """Every input sheet validated and cross-checked (SKUs known to Items, suppliers to Suppliers)."""
    log = IssueLog()
    tables, skipped = {}, {}
    for name, spec in SHEETS.items():
        tables[name], skipped[name] = validate_table(raw.get(name), spec, log)
    names = {name: (raw[name].sheet if name in raw else name) for name in SHEETS}
    hdr = {name: (raw[name].columns if name in raw else {}) for name in SHEETS}
    skus = pd.Index(tables["Items"]["sku"])
    for sheet in ("Stock", "Demand", "Offers", "Requirements", "Open Orders", "Returns"):
        df = tables[sheet]
        unknown = _unknown(df, "sku", skus, names[sheet], hdr[sheet].get("sku", "sku"), log, Reason.UNKNOWN_SKU,
                           "sku not on the Items sheet; row skipped")  # fmt: skip
        skipped[sheet] = np.concatenate([skipped[sheet], df.loc[unknown, "_row"].to_numpy()])
        tables[sheet] = df.loc[~unknown].reset_index(drop=True)
    if len(tables["Offers"]) and len(tables["Suppliers"]):
        _unknown(tables["Offers"], "supplier", pd.Index(tables["Suppliers"]["supplier"]), names["Offers"],
                 hdr["Offers"].get("supplier", "supplier"), log, Reason.UNKNOWN_SUPPLIER,
                 "supplier not on the Suppliers sheet; its lead time comes from the offer or the item")  # fmt: skip
    _check_network(tables, names, hdr, log, skipped)
    _check_sources(tables["Sites"], names["Sites"], hdr["Sites"], log)
    _check_scheduled(tables, names, hdr, log)
    _check_rounds(tables, names, hdr, log, skipped)
    _check_stock(tables["Stock"], names["Stock"], hdr["Stock"], log)
    stock = tables["Stock"]
    if "Demand" not in raw and stock["forecast_per_day"].isna().any():
        missing = stock.loc[stock["forecast_per_day"].isna(), "_row"].head(5).tolist()
        more = " ..." if len(missing) == 5 else ""
        raise InputError(
            "Sheet 'Demand' is missing and Stock rows without forecast_per_day need it "
            f"(Stock rows {', '.join(map(str, missing))}{more})"
        )
    settings = parse_settings(tables["Settings"], names["Settings"], hdr["Settings"], log)
    _check_weights(settings, tables["Offers"], names["Settings"])
    tables["Demand"] = _recent_demand(tables["Demand"], settings, log, names["Demand"])
    return Inputs(tables, settings, log, names, {k: np.sort(v).astype(int) for k, v in skipped.items()})
