"""Merge generated output sheets into the user's workbook at the package (zip) level.

Every part of the original workbook (input sheets, other sheets, formulas, names, VBA, pivot caches,
images) is copied unchanged. Only workbook.xml, its relationships, styles.xml and [Content_Types].xml are
edited: output sheets that exist already are replaced where they stand, new ones are appended, their styles
are appended to the workbook's styles, and parts nothing refers to any more are dropped. No openpyxl
round-trip of the input, so nothing it does not understand is lost, and a million-row Demand sheet is
copied, not parsed. The zip, relationships and content types are planner.workbook.package's.
"""

from __future__ import annotations

import io
import re
import zipfile
from copy import deepcopy
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from lxml import etree

from planner.model.errors import InputError
from planner.workbook.package import (
    CONTENT_TYPES,
    DOCREL,
    REL,
    ContentTypes,
    Package,
    PartCopier,
    parse_xml,
    qname,
    relative,
    rels_path,
    resolve,
    write_zip,
    xml_bytes,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKSHEET_TYPE = DOCREL + "/worksheet"
CALC_CHAIN_TYPE = DOCREL + "/calcChain"
RID = qname("id", DOCREL)  # a sheet's relationship id attribute
STYLE_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst"]  # fmt: skip


def _q(tag: str) -> str:
    return qname(tag, MAIN)


@dataclass
class Workbook:
    """A package's workbook part: its XML and its relationships (both edited in place)."""

    pkg: Package
    part: str
    root: etree._Element
    rels: etree._Element

    @classmethod
    def open(cls, pkg: Package) -> Workbook:
        part = pkg.main_part()
        return cls(pkg, part, parse_xml(pkg.read(part)), parse_xml(pkg.read(rels_path(part))))

    @property
    def sheets(self) -> etree._Element:
        return self.root.find(_q("sheets"))

    def rel_by_id(self) -> dict[str, etree._Element]:
        return {r.get("Id"): r for r in self.rels}

    def target(self, rel: etree._Element) -> str:
        return resolve(self.part, rel.get("Target"))

    def styles_part(self) -> str:
        rel = next((r for r in self.rels if r.get("Type", "").endswith("/styles")), None)
        if rel is None:
            raise InputError("the workbook has no styles part (a file written by a minimal tool?): open it in "
                             "Excel or LibreOffice, save it, and plan the saved file")  # fmt: skip
        return self.target(rel)

    def save(self) -> None:
        self.pkg.write(self.part, xml_bytes(self.root))
        self.pkg.write(rels_path(self.part), xml_bytes(self.rels))


def sheet_names(path: str | Path | IO[bytes]) -> list[str]:
    """The sheet names of a workbook (a file name or its bytes as a file object), in order, from its
    workbook.xml (nothing else is read)."""
    with zipfile.ZipFile(path) as z:
        pkg = Package(z)
        return [s.get("name") for s in parse_xml(pkg.read(pkg.main_part())).find(_q("sheets"))]


def uses_1904_dates(path: str | Path | IO[bytes]) -> bool:
    """Whether the workbook counts dates from 1904 (workbookPr date1904, as Mac Excel once did)."""
    with zipfile.ZipFile(path) as z:
        pkg = Package(z)
        pr = parse_xml(pkg.read(pkg.main_part())).find(_q("workbookPr"))
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")


def merge_output(original: str | Path | IO[bytes], generated: bytes, dest: str, output_sheets: list[str]) -> None:
    """Write ``dest``: the original package (a file name or its bytes as a file object) with ``output_sheets``
    (names in the generated package) replaced or appended. ``dest`` must not be ``original`` (the caller
    saves atomically)."""
    with zipfile.ZipFile(original) as zo, zipfile.ZipFile(io.BytesIO(generated)) as zg:
        pkg, gen = Package(zo), Package(zg)
        book, gen_book = Workbook.open(pkg), Workbook.open(gen)
        types = ContentTypes(pkg.read(CONTENT_TYPES))
        styles = parse_xml(pkg.read(book.styles_part()))
        xf_map, dxf_map = _merge_styles(styles, parse_xml(gen.read(gen_book.styles_part())))
        pkg.write(book.styles_part(), xml_bytes(styles))
        table_ids, table_names = _tables_in_use(book, output_sheets)
        adapt = partial(_adapt, xf_map, dxf_map, table_ids, table_names)
        copier = PartCopier(gen, pkg, ContentTypes(gen.read(CONTENT_TYPES)), types, adapt, prefix="planner_")
        placed: dict[str, str] = {}
        replaced = _place_sheets(book, gen_book, copier, output_sheets, placed)
        _drop_filter_names(book.root, replaced)
        _print_names(book.root, gen_book.root, placed)
        for r in list(book.rels):  # Excel rebuilds the calculation chain; a stale one makes it "repair"
            if r.get("Type") == CALC_CHAIN_TYPE:
                book.rels.remove(r)
        book.save()
        pkg.drop_unreachable()
        types.drop_overrides(pkg.removed)
        pkg.write(CONTENT_TYPES, xml_bytes(types.root))
        write_zip(pkg, dest)


def _place_sheets(book: Workbook, gen_book: Workbook, copier: PartCopier, output_sheets: list[str],
                  placed: dict[str, str]) -> list[str]:  # fmt: skip
    """Copy each output sheet in. A worksheet of the same name (ignoring case, as Excel does) is replaced where
    it stands; otherwise the sheet is appended, under a name no other sheet has: a chart sheet or a dialog
    holding the output's name keeps it and its place, so no sheet moves and every sheet-local name and print
    area keeps pointing at its sheet. Returns the names of the worksheets replaced; ``placed`` gets each
    output sheet's name in the workbook."""
    sheets_el = book.sheets
    existing = {s.get("name").lower(): s for s in sheets_el}
    rel_by_id, gen_rel_by_id = book.rel_by_id(), gen_book.rel_by_id()
    gen_sheets = {s.get("name"): s for s in gen_book.sheets}
    next_sheet_id = max([int(s.get("sheetId")) for s in sheets_el] + [0]) + 1
    rid_nums = [int(m.group(1)) for r in book.rels if (m := re.fullmatch(r"rId(\d+)", r.get("Id", "")))]
    next_rid = max(rid_nums + [0]) + 1
    replaced: list[str] = []
    for name in output_sheets:
        dest_part = copier.unique_name("xl/worksheets", "planner_sheet", ".xml")
        copier.copy(gen_book.target(gen_rel_by_id[gen_sheets[name].get(RID)]), dest_part)
        old = existing.get(name.lower())
        rel = rel_by_id.get(old.get(RID)) if old is not None else None
        if rel is not None and rel.get("Type") == WORKSHEET_TYPE:
            rel.set("Target", relative(book.part, dest_part))
            replaced.append(old.get("name"))
            placed[name] = old.get("name")
            continue
        earlier = _earlier_output(book, name, existing)  # this output under a free name in an earlier run
        if earlier is not None:
            rel_by_id[earlier.get(RID)].set("Target", relative(book.part, dest_part))
            replaced.append(earlier.get("name"))
            placed[name] = earlier.get("name")
            continue
        free = _free_name(name, existing)
        placed[name] = free
        rid = f"rId{next_rid}"
        next_rid += 1
        etree.SubElement(book.rels, qname("Relationship", REL), Id=rid, Type=WORKSHEET_TYPE,
                         Target=relative(book.part, dest_part))  # fmt: skip
        s = etree.SubElement(sheets_el, _q("sheet"), name=free, sheetId=str(next_sheet_id))
        s.set(RID, rid)
        existing[free.lower()] = s
        next_sheet_id += 1
    return replaced


def _earlier_output(book: Workbook, name: str, existing: dict[str, etree._Element]) -> etree._Element | None:
    """The worksheet 'name (2)', 'name (3)' ... that planner wrote in an earlier run (its part is one of
    planner's), when a chart sheet or dialog holds ``name`` itself."""
    rel_by_id = book.rel_by_id()
    for i in range(2, 100):
        s = existing.get(f"{name[: 31 - len(f' ({i})')]} ({i})".lower())
        if s is None:
            return None
        rel = rel_by_id.get(s.get(RID))
        if rel is not None and rel.get("Type") == WORKSHEET_TYPE and "planner_sheet" in rel.get("Target", ""):
            return s
    return None


def _free_name(name: str, taken: dict[str, etree._Element]) -> str:
    """``name``, or 'name (2)', 'name (3)' ... the first no sheet has (at most 31 characters, Excel's limit)."""
    i, free = 1, name
    while free.lower() in taken:
        i += 1
        free = f"{name[: 31 - len(f' ({i})')]} ({i})"
    return free


def _adapt(xf_map: dict[int, int], dxf_map: dict[int, int], table_ids: set[int], table_names: set[str], src: str,
           data: bytes) -> bytes:  # fmt: skip
    """A generated part as it goes into the workbook: sheets point at the merged styles, tables get ids and
    names not taken by the tables that stay."""
    if src.startswith("xl/worksheets/"):
        return _restyle(data, xf_map, dxf_map)
    if src.startswith("xl/tables/"):
        return _renumber_table(data, table_ids, table_names)
    return data


def _section(root: etree._Element, tag: str, create: bool = False) -> etree._Element | None:
    """A styles.xml section; with ``create``, a missing one is added where STYLE_ORDER puts it."""
    el = root.find(_q(tag))
    if el is None and create:
        el = etree.Element(_q(tag))
        later = [root.find(_q(t)) for t in STYLE_ORDER[STYLE_ORDER.index(tag) + 1 :]]
        nxt = next((x for x in later if x is not None), None)
        if nxt is None:
            root.append(el)
        else:
            nxt.addprevious(el)
    return el


def _merge_styles(dest: etree._Element, src: etree._Element) -> tuple[dict[int, int], dict[int, int]]:
    """Bring src's fonts, fills, borders, number formats, cell formats and dxfs into dest, reusing every
    entry dest already has (so re-running on the same workbook adds nothing). Returns the cell format and
    dxf index maps src -> dest."""
    maps = {tag: _merge_section(dest, src, tag) for tag in ("fonts", "fills", "borders", "dxfs")}
    fmt_map = _merge_num_fmts(dest, src)
    s_xfs, d_xfs = _section(src, "cellXfs"), _section(dest, "cellXfs", create=True)
    xf_map = {0: 0}
    for i, xf in enumerate(s_xfs):
        new = deepcopy(xf)
        n = int(new.get("numFmtId", "0"))
        new.set("numFmtId", str(fmt_map.get(n, n)))
        for attr, tag in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            new.set(attr, str(maps[tag].get(int(new.get(attr, "0")), 0)))
        new.set("xfId", "0")
        xf_map[i] = _index_of(d_xfs, new)
    d_xfs.set("count", str(len(d_xfs)))
    return xf_map, maps["dxfs"]


def _merge_section(dest: etree._Element, src: etree._Element, tag: str) -> dict[int, int]:
    """Each entry of src's section -> the index of an equal entry in dest's (appended when there is none)."""
    s = _section(src, tag)
    items = list(s) if s is not None else []
    d = _section(dest, tag, create=bool(items))
    mapping = {i: _index_of(d, el) for i, el in enumerate(items)}
    if d is not None:
        d.set("count", str(len(d)))
    return mapping


def _index_of(section: etree._Element, el: etree._Element) -> int:
    """Index of an entry equal to ``el`` in ``section`` (same XML), appending a copy when there is none."""
    wanted = etree.tostring(el, method="c14n")
    for i, have in enumerate(section):
        if etree.tostring(have, method="c14n") == wanted:
            return i
    section.append(deepcopy(el))
    return len(section) - 1


def _merge_num_fmts(dest: etree._Element, src: etree._Element) -> dict[int, int]:
    """Add src's custom number formats that dest lacks (by format code, ids from 164 up); src id -> dest id."""
    fmt_map: dict[int, int] = {}
    s_fmts = _section(src, "numFmts")
    if s_fmts is None or not len(s_fmts):
        return fmt_map
    d_fmts = _section(dest, "numFmts", create=True)
    codes = {f.get("formatCode"): int(f.get("numFmtId")) for f in d_fmts}
    next_id = max([163, *codes.values()]) + 1
    for f in s_fmts:
        code = f.get("formatCode")
        if code not in codes:
            codes[code] = next_id
            etree.SubElement(d_fmts, _q("numFmt"), numFmtId=str(next_id), formatCode=code)
            next_id += 1
        fmt_map[int(f.get("numFmtId"))] = codes[code]
    d_fmts.set("count", str(len(d_fmts)))
    return fmt_map


_CELL_STYLE = re.compile(rb'(<(?:c|row)\b[^>]*?\ss=")(\d+)(")')
_COL_STYLE = re.compile(rb'(<col\b[^>]*?\sstyle=")(\d+)(")')
_DXF = re.compile(rb'(\sdxfId=")(\d+)(")')


def _restyle(sheet_xml: bytes, xf_map: dict[int, int], dxf_map: dict[int, int]) -> bytes:
    sub = lambda m: m.group(1) + str(xf_map.get(int(m.group(2)), 0)).encode() + m.group(3)  # noqa: E731
    out = _COL_STYLE.sub(sub, _CELL_STYLE.sub(sub, sheet_xml))
    out = _DXF.sub(lambda m: m.group(1) + str(dxf_map.get(int(m.group(2)), 0)).encode() + m.group(3), out)
    return out.replace(b' tabSelected="1"', b"")


def _tables_in_use(book: Workbook, output_sheets: list[str]) -> tuple[set[int], set[str]]:
    """Ids and names of the Excel Tables on sheets that stay (worksheets being replaced don't count), and
    the workbook's defined names: a table name must differ from both (Excel keeps them in one namespace)."""
    replaced = {n.lower() for n in output_sheets}
    rel_by_id = book.rel_by_id()
    ids, names = set(), set()
    for s in book.sheets:
        rel = rel_by_id.get(s.get(RID))
        if rel is None or rel.get("TargetMode") == "External":
            continue
        if s.get("name").lower() in replaced and rel.get("Type") == WORKSHEET_TYPE:
            continue
        sheet_part = book.target(rel)
        for r in book.pkg.rels(sheet_part):
            if r.get("Type", "").endswith("/table"):
                t = parse_xml(book.pkg.read(resolve(sheet_part, r.get("Target"))))
                ids.add(int(t.get("id")))
                names.add(t.get("displayName", "").lower())
    defined = book.root.find(_q("definedNames"))
    names |= {dn.get("name", "").lower() for dn in (defined if defined is not None else [])}
    return ids, names


def _renumber_table(data: bytes, ids: set[int], names: set[str]) -> bytes:
    t = parse_xml(data)
    new_id = max(ids | {0}) + 1
    ids.add(new_id)
    t.set("id", str(new_id))
    name, base, i = t.get("displayName"), t.get("displayName"), 1
    while name.lower() in names:
        i += 1
        name = f"{base}{i}"
    names.add(name.lower())
    t.set("displayName", name)
    t.set("name", name)
    return xml_bytes(t)


PRINT_NAMES = ("_xlnm.Print_Titles", "_xlnm.Print_Area")


def _print_names(wb: etree._Element, gen_wb: etree._Element, placed: dict[str, str]) -> None:
    """The output sheets' print titles and print areas (sheet-local defined names of the generated workbook),
    pointed at each sheet by its name and place in the workbook; those the sheets had before go."""
    gen_sheets = [s.get("name") for s in gen_wb.find(_q("sheets"))]
    sheets = [s.get("name") for s in wb.find(_q("sheets"))]
    ours = {sheets.index(n) for n in placed.values()}
    names = wb.find(_q("definedNames"))
    for dn in list(names if names is not None else []):
        if dn.get("name") in PRINT_NAMES and int(dn.get("localSheetId", "-1")) in ours:
            names.remove(dn)
    gen_names = gen_wb.find(_q("definedNames"))
    for dn in gen_names if gen_names is not None else []:
        sheet = placed.get(gen_sheets[int(dn.get("localSheetId", "-1"))]) if dn.get("name") in PRINT_NAMES else None
        if sheet is None:
            continue
        if names is None:
            names = etree.Element(_q("definedNames"))
            next(wb.find(_q(t)) for t in ("externalReferences", "functionGroups", "sheets")
                 if wb.find(_q(t)) is not None).addnext(names)  # fmt: skip
        quoted = "'" + sheet.replace("'", "''") + "'!"
        ranges = ",".join(quoted + part.rsplit("!", 1)[-1] for part in dn.text.split(","))
        etree.SubElement(
            names, _q("definedName"), name=dn.get("name"), localSheetId=str(sheets.index(sheet))
        ).text = ranges
    if names is not None and len(names) == 0:
        wb.remove(names)


def _drop_filter_names(wb: etree._Element, replaced: list[str]) -> None:
    """Hidden _FilterDatabase names of a replaced sheet would point at the old sheet's filter."""
    names = wb.find(_q("definedNames"))
    if names is None or not replaced:
        return
    sheets = [s.get("name") for s in wb.find(_q("sheets"))]
    gone = {i for i, n in enumerate(sheets) if n in replaced}
    for dn in list(names):
        if dn.get("name") == "_xlnm._FilterDatabase" and int(dn.get("localSheetId", "-1")) in gone:
            names.remove(dn)
    if len(names) == 0:
        wb.remove(names)
