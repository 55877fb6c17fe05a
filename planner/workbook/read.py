"""Read a workbook's input sheets into raw tables (object columns, one Excel row number per row).

python-calamine reads the cells (Rust, several times faster than openpyxl on large sheets). A sheet's table
is its first Excel Table (ListObject) when it has one, else the block whose first non-empty row holds the
headers (row 1 in the contract's template). Fully blank rows and headerless columns are dropped.

Reading is bounded before calamine sees a byte (calamine holds a sheet as one dense rectangle, so one stray
cell at XFD20000 would cost gigabytes): the package is checked for what it is (an encrypted or old-format
file, Strict Open XML), each input sheet's uncompressed size is checked against ``max_input_mb``, and its
cells are scanned for the extent actually used; cells far to the right of the data (beyond column
``MAX_COLUMN``) are left out and reported, and a sheet whose used rectangle still holds more than
``max_input_cells`` cells is refused. The file is read once: the bytes planned are the bytes merged."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine as calamine
from lxml import etree

from planner.model.errors import InputError
from planner.model.issues import Reason
from planner.model.settings import SETTINGS
from planner.workbook.contract import SHEETS, key

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls, or an encrypted .xlsx
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
MAX_COLUMN = 702  # column ZZ: cells beyond it on an input sheet are left out (the contract's widest has 15)
SCAN_CHUNK = 1 << 24


@dataclass
class ReadProblem:
    """Something the reader left out, for the issue log."""

    reason: Reason
    rows: list
    column: str
    values: list
    message: str


@dataclass
class RawTable:
    sheet: str  # sheet name as in the workbook
    data: pd.DataFrame  # columns = original header texts, object values, None for blank
    rows: np.ndarray  # Excel row number of each data row
    columns: dict[str, str]  # contract column key -> header text found
    problems: list[ReadProblem] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    """Reading limits (Settings max_input_mb and max_input_cells)."""

    max_bytes: float = SETTINGS["max_input_mb"].default * 1e6
    max_cells: float = SETTINGS["max_input_cells"].default


def check_workbook_file(path: Path) -> bytes:
    """Structural check before anything is parsed; returns the file's bytes (read once)."""
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        raise InputError(f"{path}: not an Excel workbook (.xlsx or .xlsm expected, found '{path.suffix}')")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a workbook")
    data = path.read_bytes()
    check_workbook_bytes(path, data)
    return data


def check_workbook_bytes(path: Path, data: bytes) -> None:
    if data.startswith(CFB_MAGIC):
        if ENCRYPTED_MARK in data:
            raise InputError(f"{path}: the workbook is password-protected (encrypted); save a copy without a "
                             "password (File > Info > Protect Workbook) and plan that")  # fmt: skip
        raise InputError(f"{path}: an old-format Excel file (.xls) named {path.suffix}; open it in Excel and "
                         "save it as Excel Workbook (.xlsx)")  # fmt: skip
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError(f"{path}: not a valid Excel workbook (the file is not an .xlsx package, or it is cut "
                         "short)")  # fmt: skip


def _open(path: Path, data: bytes) -> calamine.CalamineWorkbook:
    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    except Exception as exc:  # calamine raises several types for broken packages
        raise InputError(f"{path}: cannot be read as a workbook ({_short(exc)})") from exc


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def table_frame(header: list, body: list[list], first_row: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Header texts + body rows -> (data with one column per named header, Excel row of each data row).
    ``first_row`` is the Excel row number of the first body row; fully blank rows are dropped."""
    names = [str(h).strip() if h not in (None, "") else "" for h in header]
    keep = [i for i, n in enumerate(names) if n]
    data = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(len(names)))
    data = data.reindex(columns=keep)
    data.columns = [names[i] for i in keep]
    data = data.replace("", None)
    rows = first_row + np.arange(len(data))
    nonblank = data.notna().any(axis=1).to_numpy()
    return data.loc[nonblank].reset_index(drop=True), rows[nonblank]


def _tables_by_sheet(wb: calamine.CalamineWorkbook) -> dict[str, calamine.CalamineTable]:
    """Each sheet's first Excel Table, every table loaded once."""
    out: dict[str, calamine.CalamineTable] = {}
    for name in wb.table_names:
        try:
            table = wb.get_table_by_name(name)
        except Exception as exc:  # a corrupt sheet under the table: one line naming the table
            raise InputError(f"the Excel Table '{name}' cannot be read ({_short(exc)})") from exc
        out.setdefault(table.sheet, table)
    return out


def _table_for_sheet(wb: calamine.CalamineWorkbook, sheet: str, table=None, last_row: int | None = None) -> tuple:
    """The sheet's Excel Table ``table`` (and what is typed below it, reported), else its block from the
    first row. ``last_row``: the sheet's last row element (Excel row number) when known; the sheet itself is
    loaded beside its table only when rows lie below the table."""
    if table is not None:
        data, rows = table_frame(list(table.columns), table.to_python(), table.start[0] + 1)
        if last_row is not None and last_row <= table.end[0] + 1:
            return data, rows, []
        ws = wb.get_sheet_by_name(sheet)
        below = _below_table(ws, table.end[0], table.name) if ws.end[0] > table.end[0] else []
        return data, rows, below
    ws = wb.get_sheet_by_name(sheet)
    values = ws.to_python()  # skips the empty area above and left of the data
    if not values:
        return pd.DataFrame(), np.zeros(0, int), []
    # header row's Excel number is start row (0-based) + 1; data begins one below
    data, rows = table_frame(values[0], values[1:], ws.start[0] + 2)
    return data, rows, []


def _below_table(ws: calamine.CalamineSheet, table_end: int, table: str) -> list[ReadProblem]:
    """Non-blank rows typed below an Excel Table: not part of it, so not read; reported."""
    top = ws.start[0]
    below = [top + i + 1 for i, row in enumerate(ws.iter_rows()) if top + i > table_end
             and any(v not in (None, "") for v in row)]  # fmt: skip
    if not below:
        return []
    return [ReadProblem(Reason.ROWS_BELOW_TABLE, below, "", [None] * len(below),
                        f"typed below the Excel Table '{table}', so not part of it: not read (extend the table "
                        "to include the row)")]  # fmt: skip


def collect_tables(sheet_names: list[str], table_of: Callable[[str], tuple]) -> dict:
    """Every contract input sheet among ``sheet_names``, matched by name tolerantly, as a RawTable;
    ``table_of(sheet)`` gives the sheet's table (data, Excel row numbers[, problems]). Shared by every reader.
    Two sheets matching one input name, or two headers matching one column, are structural problems."""
    by_key: dict[str, str] = {}
    for n in sheet_names:
        if key(n) in by_key and key(n) in SHEETS_BY_KEY:
            raise InputError(f"Sheets '{by_key[key(n)]}' and '{n}' both match the input sheet "
                             f"'{SHEETS_BY_KEY[key(n)]}': rename or delete one of them")  # fmt: skip
        by_key.setdefault(key(n), n)
    out: dict[str, RawTable] = {}
    for spec in SHEETS.values():
        sheet = by_key.get(key(spec.name))
        if sheet is None:
            continue
        data, rows, *more = table_of(sheet)
        out[spec.name] = RawTable(sheet, data, rows, _columns(sheet, data), more[0] if more else [])
    return out


SHEETS_BY_KEY = {key(s): s for s in SHEETS}


def _columns(sheet: str, data: pd.DataFrame) -> dict[str, str]:
    """Contract column key -> header; two headers with one key ('Unit Cost' and 'unit_cost') are refused."""
    cols: dict[str, str] = {}
    for header in data.columns:
        k = key(header)
        if k in cols:
            raise InputError(f"Sheet '{sheet}': the columns '{cols[k]}' and '{header}' are the same column "
                             "(names match ignoring case, spaces and '_'); keep one of them")  # fmt: skip
        cols[k] = header
    return cols


def read_inputs(path: Path, data: bytes | None = None) -> dict[str, RawTable]:
    """Every contract input sheet present in the workbook, read with python-calamine from ``data`` (the
    file's bytes; read from ``path`` when not given), within the reading limits. Order: every input sheet
    part is scanned (streamed, bounded), far cells are dropped, the Settings sheet alone is read for the
    limits, each sheet is checked against them, and only then are the tables loaded."""
    if data is None:
        data = check_workbook_file(path)
    else:
        check_workbook_bytes(path, data)
    parts = _input_parts(path, data)
    data, scans = _scanned(path, data, parts)
    wb = _open(path, data)
    try:
        limits = _limits(path, wb, [n for n in parts if key(n) == "settings"])
        for scan in scans.values():
            scan.check(path, limits)
        by_sheet = _read_or_fail(path, "", lambda: _tables_by_sheet(wb))
        tables = collect_tables(list(wb.sheet_names),
                                lambda s: _read_sheet(path, wb, s, by_sheet.get(s), scans.get(s)))  # fmt: skip
    finally:
        wb.close()
    for table in tables.values():
        scan = scans.get(table.sheet)
        table.problems += scan.problems() if scan is not None and scan.far_cells else []
    return tables


def _read_sheet(path: Path, wb: calamine.CalamineWorkbook, sheet: str, table=None,
                scan: SheetScan | None = None) -> tuple:  # fmt: skip
    last_row = scan.last_row if scan is not None else None
    return _read_or_fail(path, sheet, lambda: _table_for_sheet(wb, sheet, table, last_row))


def _read_or_fail(path: Path, sheet: str, read: Callable):
    """``read()``, with a corrupt part turned into one line naming the sheet."""
    try:
        return read()
    except MemoryError:
        raise
    except InputError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InputError(f"{path}: {exc}") from exc
    except Exception as exc:  # calamine raises several types for broken parts
        where = f"sheet '{sheet}'" if sheet else "its Excel Tables"
        raise InputError(f"{path}: {where} cannot be read ({_short(exc)})") from exc


def _input_parts(path: Path, data: bytes) -> dict[str, str]:
    """Input sheet name -> its part in the package. Strict Open XML is refused here."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            workbook = zf.read("xl/workbook.xml")
            if STRICT_NS in workbook[:4096]:
                raise InputError(f"{path}: saved as Strict Open XML, which planner does not read; save it as "
                                 "Excel Workbook (.xlsx)")  # fmt: skip
            parts = sheet_parts(workbook, zf.read("xl/_rels/workbook.xml.rels"))
            shared = next((i for i in zf.infolist() if i.filename == "xl/sharedStrings.xml"), None)
    except (zipfile.BadZipFile, KeyError, EOFError, etree.XMLSyntaxError) as exc:
        raise InputError(f"{path}: the workbook package is damaged ({_short(exc)})") from exc
    if shared is not None and shared.file_size > Limits().max_bytes:
        raise InputError(_too_big(path, "shared strings", f"{shared.file_size / 1e6:,.0f} MB of text",
                                  "max_input_mb", Limits().max_bytes / 1e6))  # fmt: skip
    return {name: part for name, part in parts.items() if key(name) in SHEETS_BY_KEY}


def sheet_parts(workbook_xml: bytes, rels_xml: bytes) -> dict[str, str]:
    """Sheet name -> part name (xl/worksheets/sheetN.xml), from workbook.xml and its relationships."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}  # fmt: skip
    target = {r.get("Id"): r.get("Target") for r in _safe_xml(rels_xml).iterfind("p:Relationship", ns)}
    out = {}
    for sheet in _safe_xml(workbook_xml).iterfind("m:sheets/m:sheet", ns):
        t = target.get(sheet.get(f"{{{ns['r']}}}id"), "")
        out[sheet.get("name")] = t.lstrip("/") if t.startswith("/") else posixpath.normpath(f"xl/{t}")
    return out


def _safe_xml(data: bytes) -> etree._Element:
    """Parse without resolving entities or reaching the network (no billion laughs, no XXE)."""
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))


def _scanned(path: Path, data: bytes, parts: dict[str, str]) -> tuple[bytes, dict[str, SheetScan]]:
    """Each input sheet part scanned; the package with the far cells left out."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            scans = {name: _scan_sheet(zf, name, part) for name, part in parts.items()}
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise InputError(f"{path}: the workbook package is damaged ({_short(exc)})") from exc
    settings = next((scan for scan in scans.values() if key(scan.sheet) == "settings"), None)
    if settings is not None:
        settings.check(path, Limits())  # the limits themselves are read from it under the defaults
    far = {parts[name] for name, scan in scans.items() if scan.far_cells}
    if far:
        data = rewrite_parts(data, {part: _without_far_cells for part in far})
    return data, scans


def rewrite_parts(data: bytes, edit: dict[str, Callable[[bytes], bytes]]) -> bytes:
    """A copy of the package with the named parts passed through their edit function."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, edit[info.filename](body) if info.filename in edit else body)
    return out.getvalue()


def _limits(path: Path, wb: calamine.CalamineWorkbook, settings: list[str]) -> Limits:
    """The reading limits: max_input_mb and max_input_cells where the Settings sheet gives them (a name cell
    with its value to the right), else the defaults. Only the Settings sheet is loaded."""
    found: dict[str, float] = {}
    if settings:
        rows = _read_or_fail(path, settings[0], lambda: wb.get_sheet_by_name(settings[0]).to_python())
        for row in rows:
            for name, value in zip(row, row[1:], strict=False):
                if isinstance(name, str) and key(name) in LIMIT_SETTINGS:
                    number = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce").iloc[0]
                    found[key(name)] = float(number) if np.isfinite(number) else found.get(key(name), np.nan)
    default = Limits()
    mb = found.get("max_input_mb", np.nan)
    cells = found.get("max_input_cells", np.nan)
    return Limits(max(mb, 1.0) * 1e6 if np.isfinite(mb) else default.max_bytes,
                  max(cells, 1.0) if np.isfinite(cells) else default.max_cells)  # fmt: skip


LIMIT_SETTINGS = ("max_input_mb", "max_input_cells")


@dataclass
class SheetScan:
    sheet: str
    size: int
    last_row: int = 0
    widest: int = 26  # columns the used range spans at most (26 when no cell lies beyond column Z)
    far_cells: list[str] = field(default_factory=list)  # columns with cells beyond MAX_COLUMN (ZZ)

    def problems(self) -> list[ReadProblem]:
        columns = ", ".join(self.far_cells[:3]) + (" ..." if len(self.far_cells) > 3 else "")
        return [ReadProblem(Reason.FAR_CELLS, [None], "", [columns],
                            f"cells in columns beyond ZZ ({columns}) left out: the input tables are narrower, and a "
                            "stray value far to the right would make the sheet huge")]  # fmt: skip

    def check(self, path: Path, limits: Limits) -> None:
        """Refuse a sheet over the size or the cell limit (before calamine loads it)."""
        if self.size > limits.max_bytes:
            raise InputError(_too_big(path, self.sheet, f"{self.size / 1e6:,.0f} MB of XML", "max_input_mb",
                                      limits.max_bytes / 1e6))  # fmt: skip
        cells = self.last_row * self.widest
        if cells > limits.max_cells:
            raise InputError(_too_big(path, self.sheet, f"a used range of {cells:,.0f} cells", "max_input_cells",
                                      limits.max_cells))  # fmt: skip


def _scan_sheet(zf: zipfile.ZipFile, sheet: str, part: str) -> SheetScan:
    """Size, last row, width and far cells of one sheet part, streamed in chunks (a chunk overlaps the
    previous one by 64 bytes so no reference is cut). A part far larger than any limit is not read through:
    its declared size is enough to refuse it."""
    info = zf.getinfo(part)
    scan, tail, wide = SheetScan(sheet, info.file_size), b"", set()
    if info.file_size > SETTINGS["max_input_mb"].upper * 1e6:
        return scan
    with zf.open(part) as fh:
        while chunk := fh.read(SCAN_CHUNK):
            window = tail + chunk
            wide.update(WIDE_CELL.findall(window))
            last = window.rfind(b'<row r="')
            found = ROW_NUMBER.match(window, last) if last >= 0 else None
            scan.last_row = int(found.group(1)) if found else scan.last_row
            tail = window[-64:]
    columns = {_column_number(c) for c in wide}
    scan.widest = max([26, *(c for c in columns if c <= MAX_COLUMN)])
    scan.far_cells = sorted({c.decode() for c in wide if _column_number(c) > MAX_COLUMN})
    return scan


WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,3})\d')  # a cell in column AA or beyond
ROW_NUMBER = re.compile(rb'<row r="(\d+)"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _too_big(path: Path, sheet: str, what: str, setting: str, limit: float) -> str:
    return (f"{path}: sheet '{sheet}' holds {what}, above the limit {setting} = {limit:,.0f} (Settings); raise "
            "the limit if the workbook is genuine")  # fmt: skip


FAR_CELL_ELEMENT = re.compile(rb'<c r="[A-Z]{3}\d+"[^>]*?(?:/>|>.*?</c>)', re.S)  # a cell beyond column ZZ


def _without_far_cells(xml: bytes) -> bytes:
    """The sheet XML without its cells beyond column ZZ."""
    return FAR_CELL_ELEMENT.sub(b"", xml)
