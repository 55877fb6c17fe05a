"""Merge generated output sheets into the user's workbook at the package (zip) level.

Every part of the original workbook (input sheets, other sheets, formulas, names, VBA, pivot caches,
images) is copied unchanged. Only workbook.xml, its relationships, styles.xml and [Content_Types].xml are
edited: output sheets that exist already are replaced where they stand, new ones are appended, their styles
are appended to the workbook's styles, and parts nothing refers to any more are dropped. No openpyxl
round-trip of the input, so nothing it does not understand is lost, and a million-row Demand sheet is
copied, not parsed.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from planner.workbook.contract import key

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCREL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_TYPE = DOCREL + "/worksheet"
CALC_CHAIN_TYPE = DOCREL + "/calcChain"
STYLE_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
               "tableStyles", "colors", "extLst"]  # fmt: skip


def _q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


def _rels_path(part: str) -> str:
    d, name = posixpath.split(part)
    return posixpath.join(d, "_rels", name + ".rels")


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=False, resolve_entities=False, huge_tree=True))


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@dataclass
class Package:
    """A zip package held as raw bytes per part (parts are read lazily from the source zip)."""

    zf: zipfile.ZipFile
    changed: dict[str, bytes] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    added_order: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        base = [n for n in self.zf.namelist() if n not in self.removed]
        return base + [n for n in self.added_order if n not in base and n not in self.removed]

    def has(self, name: str) -> bool:
        return name not in self.removed and (name in self.changed or name in self.zf.NameToInfo)

    def read(self, name: str) -> bytes:
        return self.changed[name] if name in self.changed else self.zf.read(name)

    def write(self, name: str, data: bytes) -> None:
        if not self.has(name) and name not in self.added_order:
            self.added_order.append(name)
        self.removed.discard(name)
        self.changed[name] = data

    def rels(self, part: str) -> list[etree._Element]:
        path = _rels_path(part)
        return list(_xml(self.read(path))) if self.has(path) else []

    def workbook_part(self) -> str:
        for r in self.rels(""):
            if r.get("Type", "").endswith("/officeDocument"):
                return _resolve("", r.get("Target"))
        raise ValueError("no workbook part in the package")

    def reachable(self) -> set[str]:
        """Every part reachable through relationships from the package root."""
        seen: set[str] = set()
        todo = [""]
        while todo:
            part = todo.pop()
            for r in self.rels(part):
                if r.get("TargetMode") == "External":
                    continue
                target = _resolve(part, r.get("Target"))
                if target not in seen and self.has(target):
                    seen.add(target)
                    todo.append(target)
        return seen


def _unique(pkg: Package, folder: str, stem: str, ext: str, taken: set[str]) -> str:
    i = 1
    while True:
        name = f"{folder}/{stem}{i}{ext}"
        if not pkg.has(name) and name not in taken:
            taken.add(name)
            return name
        i += 1


def _merge_styles(dest: etree._Element, src: etree._Element) -> tuple[dict[int, int], int]:
    """Append src's fonts, fills, borders, number formats, cell formats and dxfs to dest.
    Returns (cell format index map src -> dest, dxf offset)."""

    def section(root, tag, create=False):
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

    offsets = {}
    for tag in ("fonts", "fills", "borders", "dxfs"):
        s = section(src, tag)
        items = list(s) if s is not None else []
        d = section(dest, tag, create=bool(items))
        offsets[tag] = len(d) if d is not None else 0
        for el in items:
            d.append(deepcopy(el))
        if d is not None:
            d.set("count", str(len(d)))
    fmt_map: dict[int, int] = {}
    s_fmts = section(src, "numFmts")
    if s_fmts is not None and len(s_fmts):
        d_fmts = section(dest, "numFmts", create=True)
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
    s_xfs, d_xfs = section(src, "cellXfs"), section(dest, "cellXfs", create=True)
    xf_map = {0: 0}
    base = len(d_xfs)
    for i, xf in enumerate(s_xfs):
        new = deepcopy(xf)
        n = int(new.get("numFmtId", "0"))
        new.set("numFmtId", str(fmt_map.get(n, n)))
        for attr, tag in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            new.set(attr, str(int(new.get(attr, "0")) + offsets[tag]))
        new.set("xfId", "0")
        d_xfs.append(new)
        xf_map[i] = base + i
    d_xfs.set("count", str(len(d_xfs)))
    return xf_map, offsets["dxfs"]


_CELL_STYLE = re.compile(rb'(<(?:c|row)\b[^>]*?\ss=")(\d+)(")')
_COL_STYLE = re.compile(rb'(<col\b[^>]*?\sstyle=")(\d+)(")')
_DXF = re.compile(rb'(\sdxfId=")(\d+)(")')


def _restyle(sheet_xml: bytes, xf_map: dict[int, int], dxf_offset: int) -> bytes:
    sub = lambda m: m.group(1) + str(xf_map.get(int(m.group(2)), 0)).encode() + m.group(3)  # noqa: E731
    out = _COL_STYLE.sub(sub, _CELL_STYLE.sub(sub, sheet_xml))
    out = _DXF.sub(lambda m: m.group(1) + str(int(m.group(2)) + dxf_offset).encode() + m.group(3), out)
    return out.replace(b' tabSelected="1"', b"")


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names of a workbook, in order, from its workbook.xml (nothing else is read)."""
    with zipfile.ZipFile(path) as z:
        pkg = Package(z)
        return [s.get("name") for s in _xml(pkg.read(pkg.workbook_part())).find(_q("sheets"))]


def merge_output(original: str, generated: bytes, dest: str, output_sheets: list[str]) -> None:
    """Write ``dest``: the original package with ``output_sheets`` (names in the generated package)
    replaced or appended. ``dest`` must not be ``original`` (the caller saves atomically)."""
    import io

    with zipfile.ZipFile(original) as zo, zipfile.ZipFile(io.BytesIO(generated)) as zg:
        pkg, gen = Package(zo), Package(zg)
        wb_part, gen_wb = pkg.workbook_part(), gen.workbook_part()
        wb = _xml(pkg.read(wb_part))
        wb_rels_path = _rels_path(wb_part)
        wb_rels = _xml(pkg.read(wb_rels_path))
        ct = _xml(pkg.read("[Content_Types].xml"))
        gen_ct = _xml(gen.read("[Content_Types].xml"))

        styles_rel = next(r for r in wb_rels if r.get("Type", "").endswith("/styles"))
        styles_part = _resolve(wb_part, styles_rel.get("Target"))
        gen_styles = next(r for r in gen.rels(gen_wb) if r.get("Type", "").endswith("/styles"))
        styles = _xml(pkg.read(styles_part))
        xf_map, dxf_offset = _merge_styles(styles, _xml(gen.read(_resolve(gen_wb, gen_styles.get("Target")))))
        pkg.write(styles_part, _bytes(styles))

        sheets_el = wb.find(_q("sheets"))
        existing = {key(s.get("name")): s for s in sheets_el}
        rel_by_id = {r.get("Id"): r for r in wb_rels}
        gen_sheets = {s.get("name"): s for s in _xml(gen.read(gen_wb)).find(_q("sheets"))}
        gen_rel_by_id = {r.get("Id"): r for r in gen.rels(gen_wb)}
        table_ids, table_names = _tables_in_use(pkg, existing, output_sheets, rel_by_id, wb_part)
        taken: set[str] = set()
        overrides = {o.get("PartName"): o.get("ContentType") for o in gen_ct if o.tag == _q("Override", CT)}
        defaults = {d.get("Extension") for d in ct if d.tag == _q("Default", CT)}
        gen_defaults = {d.get("Extension"): d.get("ContentType") for d in gen_ct if d.tag == _q("Default", CT)}

        def add_ct(part: str, src: str) -> None:
            ctype = overrides.get("/" + src)
            if ctype:
                etree.SubElement(ct, _q("Override", CT), PartName="/" + part, ContentType=ctype)
            else:
                ext = part.rsplit(".", 1)[-1]
                if ext not in defaults and ext in gen_defaults:
                    etree.SubElement(ct, _q("Default", CT), Extension=ext, ContentType=gen_defaults[ext])
                    defaults.add(ext)

        def copy_part(src: str, dest_name: str) -> None:
            """Copy a generated part and, recursively, what it refers to, under fresh names."""
            data = gen.read(src)
            if src.startswith("xl/worksheets/"):
                data = _restyle(data, xf_map, dxf_offset)
            elif src.startswith("xl/tables/"):
                data = _renumber_table(data, table_ids, table_names)
            rels = gen.rels(src)
            if rels:
                root = etree.Element(_q("Relationships", REL), nsmap={None: REL})
                for r in rels:
                    new = deepcopy(r)
                    if r.get("TargetMode") != "External":
                        child = _resolve(src, r.get("Target"))
                        folder, fname = posixpath.split(child)
                        stem = re.sub(r"\d+$", "", fname.rsplit(".", 1)[0])
                        ext = "." + fname.rsplit(".", 1)[-1]
                        child_dest = _unique(pkg, folder, "planner_" + stem, ext, taken)
                        copy_part(child, child_dest)
                        new.set("Target", _relative(dest_name, child_dest))
                    root.append(new)
                pkg.write(_rels_path(dest_name), _bytes(root))
            pkg.write(dest_name, data)
            add_ct(dest_name, src)

        next_sheet_id = max([int(s.get("sheetId")) for s in sheets_el] + [0]) + 1
        rid_nums = [int(m.group(1)) for r in wb_rels if (m := re.fullmatch(r"rId(\d+)", r.get("Id", "")))]
        next_rid = max(rid_nums + [0]) + 1
        replaced: list[str] = []
        for name in output_sheets:
            g = gen_sheets[name]
            g_part = _resolve(gen_wb, gen_rel_by_id[g.get(_q("id", DOCREL))].get("Target"))
            dest_part = _unique(pkg, "xl/worksheets", "planner_sheet", ".xml", taken)
            copy_part(g_part, dest_part)
            old = existing.get(key(name))
            if old is not None and rel_by_id.get(old.get(_q("id", DOCREL)), None) is not None \
                    and rel_by_id[old.get(_q("id", DOCREL))].get("Type") == WORKSHEET_TYPE:  # fmt: skip
                rel_by_id[old.get(_q("id", DOCREL))].set("Target", _relative(wb_part, dest_part))
                old.set("name", name)
                replaced.append(name)
            else:
                if old is not None:  # a chart sheet or dialog with an output name: give way
                    sheets_el.remove(old)
                rid = f"rId{next_rid}"
                next_rid += 1
                etree.SubElement(wb_rels, _q("Relationship", REL), Id=rid, Type=WORKSHEET_TYPE,
                                 Target=_relative(wb_part, dest_part))  # fmt: skip
                s = etree.SubElement(sheets_el, _q("sheet"), name=name, sheetId=str(next_sheet_id))
                s.set(_q("id", DOCREL), rid)
                next_sheet_id += 1
        _drop_filter_names(wb, replaced)
        for r in list(wb_rels):  # Excel rebuilds the calculation chain; a stale one makes it "repair"
            if r.get("Type") == CALC_CHAIN_TYPE:
                wb_rels.remove(r)
        pkg.write(wb_part, _bytes(wb))
        pkg.write(wb_rels_path, _bytes(wb_rels))

        live = pkg.reachable()
        for name in pkg.names():
            if name == "[Content_Types].xml" or name.endswith(".rels"):
                continue
            if name not in live:
                pkg.removed.add(name)
                pkg.removed.add(_rels_path(name))
        for o in list(ct):
            if o.tag == _q("Override", CT) and o.get("PartName", "/")[1:] in pkg.removed:
                ct.remove(o)
        pkg.write("[Content_Types].xml", _bytes(ct))
        _write_zip(pkg, dest)


def _tables_in_use(pkg, existing, output_sheets, rel_by_id, wb_part) -> tuple[set[int], set[str]]:
    """Ids and names of the Excel Tables on sheets that stay (output sheets being replaced don't count)."""
    replaced = {key(n) for n in output_sheets}
    ids, names = set(), set()
    for k, s in existing.items():
        rel = rel_by_id.get(s.get(_q("id", DOCREL)))
        if k in replaced or rel is None or rel.get("TargetMode") == "External":
            continue
        sheet_part = _resolve(wb_part, rel.get("Target"))
        for r in pkg.rels(sheet_part):
            if r.get("Type", "").endswith("/table"):
                t = _xml(pkg.read(_resolve(sheet_part, r.get("Target"))))
                ids.add(int(t.get("id")))
                names.add(t.get("displayName", "").lower())
    return ids, names


def _renumber_table(data: bytes, ids: set[int], names: set[str]) -> bytes:
    t = _xml(data)
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
    return _bytes(t)


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


def _write_zip(pkg: Package, dest: str) -> None:
    """Write the package; parts that did not change are copied as their compressed bytes (no inflate and
    deflate of a million-row sheet), with the same CRC and sizes."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
        for name in pkg.names():
            if name in pkg.changed:
                out.writestr(name, pkg.changed[name])
            else:
                _copy_raw(pkg.zf, out, pkg.zf.getinfo(name))


def _copy_raw(src: zipfile.ZipFile, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Append one entry's compressed data unchanged (its local header is rebuilt without a data
    descriptor since sizes and CRC are known). zipfile has no public call for this."""
    src.fp.seek(info.header_offset)
    header = src.fp.read(zipfile.sizeFileHeader)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    src.fp.seek(info.header_offset + zipfile.sizeFileHeader + name_len + extra_len)
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type, new.CRC = info.compress_type, info.CRC
    new.compress_size, new.file_size = info.compress_size, info.file_size
    new.external_attr, new.create_system = info.external_attr, info.create_system
    new.flag_bits = info.flag_bits & ~0x08 & ~0x01  # sizes in the header; never encrypted here
    new.header_offset = out.fp.tell()
    out.fp.write(new.FileHeader(zip64=new.file_size > zipfile.ZIP64_LIMIT or new.compress_size > zipfile.ZIP64_LIMIT))
    remaining = info.compress_size
    while remaining:
        chunk = src.fp.read(min(remaining, 1 << 20))
        out.fp.write(chunk)
        remaining -= len(chunk)
    out.filelist.append(new)
    out.NameToInfo[new.filename] = new
    out.start_dir = out.fp.tell()
