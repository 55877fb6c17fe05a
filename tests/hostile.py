"""Hostile and odd workbooks for the hostile-input suite (tests/test_hostile.py, issue 10).

Every case starts from the repository's small sample, ``sample_frames(n_skus=20)`` written by
``write_template`` (Excel Tables, inline strings, dates as serial numbers; without Offers, Requirements and
Lanes so a plan takes a second, not ten), and is then edited at the package level with zipfile and lxml,
the way a damaged download, another program or a hostile sender would produce it. No mocks: every builder
writes a real file. ``build(name, folder)`` writes one case and returns its path; ``CASES`` names them all.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import posixpath
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import msoffcrypto
from lxml import etree

from planner.workbook.sample import sample_frames
from planner.workbook.template import write_template

ROOT = Path(__file__).resolve().parents[1]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOCREL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKGREL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
DML = "http://schemas.openxmlformats.org/drawingml/2006/main"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
SML_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
EPOCH_1900, EPOCH_1904 = dt.date(1899, 12, 30), dt.date(1904, 1, 1)
DAYS_1904 = (EPOCH_1904 - EPOCH_1900).days  # 1,462
SECRET = "HOSTILE-XXE-SECRET-7f3a"  # what an external entity would leak if it were resolved
# Text Excel reads as a number, date, time or formula when typed (or written through Range.value).
NUMBER_LIKE = ("1E5", "12E4", "2E-3", "SEPT2", "Jan-25", "12:30 PM", "=SUM(A1)", "+1", "@x")
EXCEL_MAX_TEXT = 32_767  # characters in one cell


def q(tag: str, ns: str = MAIN) -> str:
    return f"{{{ns}}}{tag}"


@dataclass(frozen=True)
class Raw:
    """A cell value written verbatim into <v> (INF, 1e309, -0: what no library writes but a file can hold)."""

    text: str


# --------------------------------------------------------------------------------------------------------
# the sample, and a package held part by part


@functools.cache
def base_bytes() -> bytes:
    """The small sample as .xlsx bytes (built once per session)."""
    frames = sample_frames(n_skus=20)
    for name in ("Offers", "Requirements", "Lanes"):
        del frames[name]
    with tempfile.TemporaryDirectory() as tmp:
        return write_template(Path(tmp) / "base.xlsx", frames).read_bytes()


class Book:
    """A workbook package as ordered {part name: bytes}, edited part by part and saved as a new zip."""

    def __init__(self, data: bytes | None = None):
        with zipfile.ZipFile(io.BytesIO(base_bytes() if data is None else data)) as z:
            self.parts = {i.filename: z.read(i.filename) for i in z.infolist()}

    def xml(self, part: str) -> etree._Element:
        return etree.fromstring(self.parts[part], etree.XMLParser(resolve_entities=False))

    def put(self, part: str, root: etree._Element | bytes) -> None:
        data = root if isinstance(root, bytes) else etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                                                   standalone=True)  # fmt: skip
        self.parts[part] = data

    @contextmanager
    def edit(self, part: str) -> Iterator[etree._Element]:
        root = self.xml(part)
        yield root
        self.put(part, root)

    def save(self, path: Path, level: int = 6) -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
            for name, data in self.parts.items():
                z.writestr(name, data)
        return path

    # -- relationships, content types, sheets

    def rels(self, part: str) -> str:
        folder, name = posixpath.split(part)
        return posixpath.join(folder, "_rels", name + ".rels")

    def add_rel(self, part: str, rtype: str, target: str, external: bool = False) -> str:
        path = self.rels(part)
        root = self.xml(path) if path in self.parts else etree.Element(q("Relationships", PKGREL), nsmap={None: PKGREL})
        rid = f"rIdH{len(root) + 1}"
        rel = etree.SubElement(root, q("Relationship", PKGREL), Id=rid, Type=rtype, Target=target)
        if external:
            rel.set("TargetMode", "External")
        self.put(path, root)
        return rid

    def add_override(self, part: str, ctype: str) -> None:
        with self.edit("[Content_Types].xml") as ct:
            etree.SubElement(ct, q("Override", CT), PartName="/" + part, ContentType=ctype)

    def add_default(self, ext: str, ctype: str) -> None:
        with self.edit("[Content_Types].xml") as ct:
            if not any(d.get("Extension") == ext for d in ct):
                ct.insert(0, etree.Element(q("Default", CT), Extension=ext, ContentType=ctype))

    def add_part(self, part: str, data: bytes, ctype: str | None = None) -> None:
        self.parts[part] = data
        if ctype:
            self.add_override(part, ctype)

    def sheet_names(self) -> list[str]:
        return [s.get("name") for s in self.xml("xl/workbook.xml").find(q("sheets"))]

    def sheet_part(self, name: str) -> str:
        sheet = next(s for s in self.xml("xl/workbook.xml").find(q("sheets")) if s.get("name") == name)
        rid = sheet.get(q("id", DOCREL))
        rel = next(r for r in self.xml("xl/_rels/workbook.xml.rels") if r.get("Id") == rid)
        target = rel.get("Target")
        return target[1:] if target.startswith("/") else posixpath.normpath("xl/" + target)

    def add_sheet(
        self, name: str, part: str, data: bytes, position: int | None = None, kind: str = "worksheet"
    ) -> None:
        self.add_part(part, data, f"{SML_CT}.{kind}+xml")
        rid = self.add_rel("xl/workbook.xml", f"{DOCREL}/{kind}", "/" + part)
        with self.edit("xl/workbook.xml") as wb:
            sheets = wb.find(q("sheets"))
            new_id = max(int(s.get("sheetId")) for s in sheets) + 1
            el = etree.Element(q("sheet"), name=name, sheetId=str(new_id))
            el.set(q("id", DOCREL), rid)
            sheets.insert(len(sheets) if position is None else position, el)

    def define_name(self, name: str, text: str, local_to: str | None = None) -> None:
        with self.edit("xl/workbook.xml") as wb:
            names = wb.find(q("definedNames"))
            if names is None:
                names = etree.Element(q("definedNames"))
                wb.find(q("calcPr")).addprevious(names)
            el = etree.SubElement(names, q("definedName"), name=name)
            if local_to is not None:
                el.set("localSheetId", str([s.get("name") for s in wb.find(q("sheets"))].index(local_to)))
            el.text = text

    @contextmanager
    def sheet(self, name: str) -> Iterator[etree._Element]:
        with self.edit(self.sheet_part(name)) as ws:
            yield ws


# --------------------------------------------------------------------------------------------------------
# cells


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[str, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    return m.group(1), int(m.group(2))


def cell_text(c: etree._Element | None) -> str | None:
    if c is None:
        return None
    t = c.find(f"{q('is')}/{q('t')}")
    if t is not None:
        return t.text or ""
    v = c.find(q("v"))
    return None if v is None else v.text


def _row(ws: etree._Element, r: int) -> etree._Element:
    data = ws.find(q("sheetData"))
    for row in data:
        n = int(row.get("r"))
        if n == r:
            return row
        if n > r:
            new = etree.Element(q("row"), r=str(r))
            row.addprevious(new)
            return new
    return etree.SubElement(data, q("row"), r=str(r))


def _cell(ws: etree._Element, ref: str) -> etree._Element:
    letters, r = split_ref(ref)
    row = _row(ws, r)
    for c in row:
        n = col_number(split_ref(c.get("r"))[0])
        if c.get("r") == ref:
            return c
        if n > col_number(letters):
            new = etree.Element(q("c"), r=ref)
            c.addprevious(new)
            return new
    return etree.SubElement(row, q("c"), r=ref)


def set_cell(ws: etree._Element, ref: str, value, style: str | None = None) -> None:
    """Write one cell: None clears it; text is an inline string; Raw goes verbatim into <v>; a date is its
    1900-system serial number (with ``style``, a date format)."""
    c = _cell(ws, ref)
    for child in list(c):
        c.remove(child)
    for attr in ("t",):
        c.attrib.pop(attr, None)
    if style is not None:
        c.set("s", style)
    if value is None:
        c.getparent().remove(c)
        return
    if isinstance(value, str):
        c.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(c, q("is")), q("t"))
        t.text = value
        if value != value.strip():
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return
    if isinstance(value, bool):
        c.set("t", "b")
        text = str(int(value))
    elif isinstance(value, dt.date):
        text = str((value - EPOCH_1900).days if not isinstance(value, dt.datetime) else
                   (value - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1))  # fmt: skip
    elif isinstance(value, Raw):
        text = value.text
    else:
        text = repr(float(value)) if isinstance(value, float) else str(value)
    etree.SubElement(c, q("v")).text = text


def headers(ws: etree._Element) -> dict[str, str]:
    """Header text -> column letters, from row 1."""
    return {cell_text(c): split_ref(c.get("r"))[0] for c in _row(ws, 1)}


def last_row(ws: etree._Element) -> int:
    return max(int(r.get("r")) for r in ws.find(q("sheetData")))


def find_row(ws: etree._Element, column: str, text: str) -> int:
    for row in ws.find(q("sheetData")):
        for c in row:
            if c.get("r") == f"{column}{row.get('r')}" and cell_text(c) == text:
                return int(row.get("r"))
    raise KeyError(text)


def date_style(book: Book) -> str:
    """The cell format index of the sample's dates (yyyy-mm-dd)."""
    with book.sheet("Settings") as ws:
        return _cell(ws, "B2").get("s")


def extend_table(book: Book, sheet: str, last: str) -> None:
    """Make the sheet's Excel Table reach ``last`` (e.g. 'P21'), adding columns named from row 1."""
    part = book.sheet_part(sheet)
    rel = next(r for r in book.xml(book.rels(part)) if r.get("Type").endswith("/table"))
    tpart = rel.get("Target").lstrip("/")
    with book.sheet(sheet) as ws:
        names = list(headers(ws))
    with book.edit(tpart) as t:
        ref = "A1:" + last
        t.set("ref", ref)
        t.find(q("autoFilter")).set("ref", ref)
        cols = t.find(q("tableColumns"))
        for name in names[len(cols) :]:
            etree.SubElement(cols, q("tableColumn"), id=str(len(cols) + 1), name=name)
        cols.set("count", str(len(cols)))
    with book.sheet(sheet) as ws:
        ws.find(q("dimension")).set("ref", ref)


def drop_table(book: Book, sheet: str) -> None:
    """Turn the sheet's Excel Table into a plain block (the table part and its reference removed)."""
    part = book.sheet_part(sheet)
    rels = book.xml(book.rels(part))
    for r in list(rels):
        if r.get("Type").endswith("/table"):
            rels.remove(r)
            del book.parts[r.get("Target").lstrip("/")]
            with book.edit("[Content_Types].xml") as ct:
                for o in list(ct):
                    if o.get("PartName") == r.get("Target"):
                        ct.remove(o)
    book.put(book.rels(part), rels)
    with book.sheet(sheet) as ws:
        ws.remove(ws.find(q("tableParts")))


# --------------------------------------------------------------------------------------------------------
# malformed packages


def truncated_zip(folder: Path) -> Path:
    data = base_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) * 3 // 5])
    return path


def corrupt_zip_member(folder: Path) -> Path:
    """The Demand sheet's deflate stream damaged in the middle (the zip directory is intact)."""
    path = Book().save(folder / "corrupt_member.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet4.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + info.compress_size // 2, start + info.compress_size // 2 + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def corrupt_sheet_xml(folder: Path) -> Path:
    """The Items sheet's XML cut off in the middle of a cell (not well-formed)."""
    book = Book()
    part = book.sheet_part("Items")
    data = book.parts[part]
    book.parts[part] = data[: data.index(b'<row r="10"') + 25]
    return book.save(folder / "corrupt_sheet_xml.xlsx")


def missing_styles(folder: Path) -> Path:
    """No styles part (another program's minimal writer): the workbook relationship and override gone."""
    book = Book()
    del book.parts["xl/styles.xml"]
    with book.edit("xl/_rels/workbook.xml.rels") as rels:
        for r in list(rels):
            if r.get("Type").endswith("/styles"):
                rels.remove(r)
    with book.edit("[Content_Types].xml") as ct:
        for o in list(ct):
            if o.get("PartName") == "/xl/styles.xml":
                ct.remove(o)
    for name in book.sheet_names():  # the cells' style indices would point nowhere
        part = book.sheet_part(name)
        book.parts[part] = re.sub(rb' s="\d+"', b"", book.parts[part])
    return book.save(folder / "missing_styles.xlsx")


LAUGHS = b"".join(
    [b'<!ENTITY lol0 "lol">']
    + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode() for i in range(1, 10)]
)  # &lol9; is 10^9 x "lol": 3 GB of text from a 1 KB declaration


def _doctype(root: str, decl: bytes) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!DOCTYPE ' + root.encode() + b" [" + decl + b"]>"


def _entity_in_sheet(folder: Path, name: str, decl: bytes, ref: bytes) -> Path:
    """Items B2 (a description) holds the entity reference; the sheet declares it."""
    book = Book()
    part = book.sheet_part("Items")
    with book.sheet("Items") as ws:
        set_cell(ws, "B2", "ENTITY_HERE")
    data = book.parts[part]
    data = data[data.index(b"<worksheet") :] if data.startswith(b"<?xml") else data
    book.parts[part] = _doctype("worksheet", decl) + data.replace(b"ENTITY_HERE", ref)
    return book.save(folder / name)


def _entity_in_shared_strings(folder: Path, name: str, decl: bytes, ref: bytes) -> Path:
    """Items B2 is shared string 0, and the shared string table declares and uses the entity."""
    book = Book()
    sst = (_doctype("sst", decl) + f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode() + ref
           + b"</t></si></sst>")  # fmt: skip
    book.add_part("xl/sharedStrings.xml", sst, f"{SML_CT}.sharedStrings+xml")
    book.add_rel("xl/workbook.xml", f"{DOCREL}/sharedStrings", "sharedStrings.xml")
    with book.sheet("Items") as ws:
        set_cell(ws, "B2", Raw("0"))
        _cell(ws, "B2").set("t", "s")
    return book.save(folder / name)


def _secret_file(folder: Path) -> bytes:
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    return f'<!ENTITY xxe SYSTEM "{secret.resolve().as_uri()}">'.encode()


def billion_laughs_sheet(folder: Path) -> Path:
    return _entity_in_sheet(folder, "laughs_sheet.xlsx", LAUGHS, b"&lol9;")


def billion_laughs_shared_strings(folder: Path) -> Path:
    return _entity_in_shared_strings(folder, "laughs_sst.xlsx", LAUGHS, b"&lol9;")


def xxe_sheet(folder: Path) -> Path:
    return _entity_in_sheet(folder, "xxe_sheet.xlsx", _secret_file(folder), b"&xxe;")


def xxe_shared_strings(folder: Path) -> Path:
    return _entity_in_shared_strings(folder, "xxe_sst.xlsx", _secret_file(folder), b"&xxe;")


ZIP_BOMB_BYTES = 4 << 30  # inflated size of the bomb's Demand sheet: 4 GiB from a ~4 MB file


def zip_bomb(folder: Path) -> Path:
    """The Demand sheet's first data row holds one inline string of 4 GiB of 'A' (a 4 MB file). The deflate
    stream is built from one compressed 16 MiB block repeated (a full flush makes each copy independent), and
    the entry is appended to the zip as package.py copies raw entries."""
    book = Book()
    part = book.sheet_part("Demand")
    head, tail = book.parts[part].split(b'<c r="B2"', 1)
    head += b'<c r="B2" t="inlineStr"><is><t>'
    tail = b'</t></is></c><c r="Z2"' + tail
    chunk, copies = b"A" * (16 << 20), ZIP_BOMB_BYTES // (16 << 20)
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = z.compress(head) + z.flush(zlib.Z_FULL_FLUSH)
    block = z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH)
    last = z.compress(tail) + z.flush()
    crc = zlib.crc32(head)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    path = folder / "zip_bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in book.parts.items():
            if name != part:
                out.writestr(name, data)
        info = zipfile.ZipInfo(part, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type, info.CRC = zipfile.ZIP_DEFLATED, zlib.crc32(tail, crc)
        info.file_size = len(head) + copies * len(chunk) + len(tail)
        info.compress_size = len(first) + copies * len(block) + len(last)
        info.header_offset = out.fp.tell()
        out.fp.write(info.FileHeader(zip64=True))
        out.fp.write(first + block * copies + last)
        out.filelist.append(info)
        out.NameToInfo[part] = info
        out.start_dir = out.fp.tell()
    return path


def huge_dimension(folder: Path) -> Path:
    """Every input sheet claims the whole grid: <dimension ref="A1:XFD1048576"/> (the cells are the sample's)."""
    book = Book()
    for name in book.sheet_names():
        with book.sheet(name) as ws:
            ws.find(q("dimension")).set("ref", "A1:XFD1048576")
    return book.save(folder / "huge_dimension.xlsx")


def _stray_cell(folder: Path, row: int) -> Path:
    """One value far away on Settings: XFD<row> (the last column), outside its Table."""
    book = Book()
    with book.sheet("Settings") as ws:
        set_cell(ws, f"XFD{row}", 1)
        ws.find(q("dimension")).set("ref", f"A1:XFD{row}")
    return book.save(folder / f"stray_cell_xfd{row}.xlsx")


def stray_cell_xfd5000(folder: Path) -> Path:
    return _stray_cell(folder, 5000)


def stray_cell_xfd20000(folder: Path) -> Path:
    return _stray_cell(folder, 20000)


def stray_cell_xfd1048576(folder: Path) -> Path:
    return _stray_cell(folder, 1048576)


STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    b"http://schemas.openxmlformats.org/drawingml/2006/main": b"http://purl.oclc.org/ooxml/drawingml/main",
}  # fmt: skip


def strict_ooxml(folder: Path) -> Path:
    """The sample in ISO 29500 Strict: purl.oclc.org namespaces and relationship types, conformance="strict"
    (what Excel writes with "Strict Open XML Spreadsheet")."""
    book = Book()
    for name, data in book.parts.items():
        if name.endswith((".xml", ".rels")) and name != "[Content_Types].xml":
            for old, new in STRICT.items():
                data = data.replace(old, new)
            book.parts[name] = data
    book.parts["xl/workbook.xml"] = book.parts["xl/workbook.xml"].replace(
        b"<workbook ", b'<workbook conformance="strict" ', 1
    )
    return book.save(folder / "strict.xlsx")


PASSWORD = "hostile"


def encrypted(folder: Path) -> Path:
    """The sample encrypted with a password (ECMA-376 Agile: an OLE compound file, not a zip)."""
    path = folder / "encrypted.xlsx"
    with path.open("wb") as out:
        msoffcrypto.OfficeFile(io.BytesIO(base_bytes())).encrypt(PASSWORD, out)
    return path


def _cfb(stream_name: str, data: bytes) -> bytes:
    """A compound file (CFB v3, 512-byte sectors) holding one stream of at least 4,096 bytes."""
    data = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\0")
    n = len(data) // 512
    free, end, fat_sect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    fat = [fat_sect, end] + [3 + i for i in range(n - 1)] + [end]
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3, 0xFFFE,
                         9, 6, b"\0" * 6, 0, 1, 1, 0, 4096, end, 0, end, 0)  # fmt: skip
    header += struct.pack("<109I", 0, *([free] * 108))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, free, free, child, b"\0" * 16, 0, 0, 0,
                           start, size)  # fmt: skip

    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, free, free, free, b"\0" * 16, 0, 0, 0, 0, 0)
    directory = entry("Root Entry", 5, 1, end, 0) + entry(stream_name, 2, free, 2, len(data)) + empty * 2
    return header + fat_bytes + directory + data


def _biff8() -> bytes:
    """The start of an Excel 97-2003 Workbook stream: globals BOF, code page, EOF; a sheet BOF and EOF."""

    def rec(kind: int, body: bytes) -> bytes:
        return struct.pack("<HH", kind, len(body)) + body

    bof = lambda dt_: rec(0x0809, struct.pack("<HHHHII", 0x0600, dt_, 0x0DBB, 0x07CC, 0, 0x0206))  # noqa: E731
    return bof(0x0005) + rec(0x0042, struct.pack("<H", 1200)) + rec(0x000A, b"") + bof(0x0010) + rec(0x000A, b"")


def xls_renamed(folder: Path) -> Path:
    """An Excel 97-2003 (.xls, BIFF8 in a compound file) workbook renamed to .xlsx."""
    path = folder / "old_format.xlsx"
    path.write_bytes(_cfb("Workbook", _biff8()))
    return path


def xls_named(folder: Path) -> Path:
    path = folder / "old_format.xls"
    path.write_bytes(_cfb("Workbook", _biff8()))
    return path


def xlsb_named(folder: Path) -> Path:
    """A zip package named .xlsb (binary workbook): the planner reads .xlsx and .xlsm only."""
    path = folder / "binary.xlsb"
    path.write_bytes(base_bytes())
    return path


def ods_named(folder: Path) -> Path:
    """A minimal OpenDocument spreadsheet with an Items sheet."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        '<office:spreadsheet><table:table table:name="Items"><table:table-row><table:table-cell '
        'office:value-type="string"><text:p>sku</text:p></table:table-cell></table:table-row></table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    path = folder / "calc.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


# --------------------------------------------------------------------------------------------------------
# odd values


def duplicate_headers(folder: Path) -> Path:
    """Items has both 'unit_cost' (column C) and 'Unit Cost' (new column P, twice the price) in its Table."""
    book = Book()
    with book.sheet("Items") as ws:
        col = headers(ws)["unit_cost"]
        set_cell(ws, "P1", "Unit Cost", style=_cell(ws, "A1").get("s"))
        for r in range(2, last_row(ws) + 1):
            set_cell(ws, f"P{r}", float(cell_text(_cell(ws, f"{col}{r}"))) * 2)
        end = last_row(ws)
    extend_table(book, "Items", f"P{end}")
    return book.save(folder / "duplicate_headers.xlsx")


def duplicate_headers_block(folder: Path) -> Path:
    """Stock as a plain block (no Table) with 'on_hand' typed twice (H holds other numbers)."""
    book = Book()
    drop_table(book, "Stock")
    with book.sheet("Stock") as ws:
        set_cell(ws, "H1", "on_hand")
        for r in range(2, last_row(ws) + 1):
            set_cell(ws, f"H{r}", 1000 + r)
    return book.save(folder / "duplicate_headers_block.xlsx")


BELOW_TABLE = (("SKU-0001", "DC-East", 5.0), ("SKU-0002", "DC-East", 7.0))


def rows_below_table(folder: Path) -> Path:
    """Two Stock rows typed directly under the Stock Table (outside its range; Excel did not extend it)."""
    book = Book()
    with book.sheet("Stock") as ws:
        end = last_row(ws)
        for i, (sku, site, on_hand) in enumerate(BELOW_TABLE, end + 1):
            set_cell(ws, f"A{i}", sku)
            set_cell(ws, f"B{i}", site)
            set_cell(ws, f"C{i}", on_hand)
        ws.find(q("dimension")).set("ref", f"A1:G{end + len(BELOW_TABLE)}")
    return book.save(folder / "rows_below_table.xlsx")


def below_table_rows() -> list[int]:
    with Book().sheet("Stock") as ws:
        end = last_row(ws)
    return [end + 1, end + 2]


def two_sheets_one_name(folder: Path) -> Path:
    """'Stock' and 'stock ' (trailing space, a plain block with other on-hand figures) both in the workbook."""
    book = Book()
    ws = book.xml(book.sheet_part("Stock"))  # a copy: the Stock sheet itself stays as it is
    for el in ("tableParts", "legacyDrawing"):
        ws.remove(ws.find(q(el)))
    for r in range(2, last_row(ws) + 1):
        set_cell(ws, f"C{r}", 9999)
    book.add_sheet("stock ", "xl/worksheets/sheet_stock2.xml", etree.tostring(ws))
    return book.save(folder / "two_sheets_one_name.xlsx")


NONFINITE = {  # (sheet, key in column A, column header): raw <v> text
    ("Items", "SKU-0001", "moq"): "INF",
    ("Items", "SKU-0002", "order_multiple"): "1e309",
    ("Items", "SKU-0003", "moq"): "1e308",
    ("Items", "SKU-0004", "unit_cost"): "1e308",
    ("Items", "SKU-0005", "order_cost"): "NaN",
    ("Items", "SKU-0006", "lead_time_days"): "-INF",
}


def nonfinite_numbers(folder: Path) -> Path:
    """inf, 1e309 (inf once parsed), 1e308, NaN, -inf as raw cell values in Items; on_hand -0 on a Stock row."""
    book = Book()
    with book.sheet("Items") as ws:
        cols = headers(ws)
        for (_, sku, column), raw in NONFINITE.items():
            set_cell(ws, f"{cols[column]}{find_row(ws, 'A', sku)}", Raw(raw))
    with book.sheet("Stock") as ws:
        set_cell(ws, "C2", Raw("-0"))
    return book.save(folder / "nonfinite.xlsx")


def nonfinite_cells() -> list[tuple[str, int, str]]:
    """(sheet, Excel row, column) of each non-finite or extreme value nonfinite_numbers writes."""
    with Book().sheet("Items") as ws:
        return [(s, find_row(ws, "A", k), c) for (s, k, c) in NONFINITE]


def _setting(folder: Path, name: str, file: str, value, style: str | None = None) -> Path:
    book = Book()
    with book.sheet("Settings") as ws:
        try:
            r = find_row(ws, "A", name)
        except KeyError:
            r = last_row(ws) + 1
            set_cell(ws, f"A{r}", name)
        set_cell(ws, f"B{r}", value, style=style)
    return book.save(folder / file)


def settings_order_cost_1e308(folder: Path) -> Path:
    return _setting(folder, "order_cost", "order_cost_1e308.xlsx", 1e308)


def settings_planning_date_9999(folder: Path) -> Path:
    return _setting(folder, "planning_date", "planning_date_9999.xlsx", dt.date(9999, 12, 31))


def settings_planning_date_text(folder: Path) -> Path:
    return _setting(folder, "planning_date", "planning_date_text.xlsx", "next Monday")


def items_lead_time_1e12(folder: Path) -> Path:
    """SKU-0007's lead_time_days is 1e12 days (a typo for a date, say)."""
    book = Book()
    with book.sheet("Items") as ws:
        set_cell(ws, f"{headers(ws)['lead_time_days']}{find_row(ws, 'A', 'SKU-0007')}", 1e12)
    return book.save(folder / "lead_time_1e12.xlsx")


def _date_styles(book: Book) -> set[str]:
    styles = book.xml("xl/styles.xml")
    custom = {f.get("numFmtId"): f.get("formatCode") for f in styles.iter(q("numFmt"))}
    out = set()
    for i, xf in enumerate(styles.find(q("cellXfs"))):
        fid = xf.get("numFmtId", "0")
        if 14 <= int(fid) <= 22 or re.search(r"[yd]", custom.get(fid, "")):
            out.add(str(i))
    return out


def date1904(folder: Path) -> Path:
    """The sample in the 1904 date system: <workbookPr date1904="1"/> and every date serial 1,462 lower, so
    every date reads as the same day."""
    book = Book()
    dates = _date_styles(book)
    for name in book.sheet_names():
        with book.sheet(name) as ws:
            for c in ws.iter(q("c")):
                v = c.find(q("v"))
                if c.get("s") in dates and v is not None and c.get("t") in (None, "n"):
                    v.text = repr(float(v.text) - DAYS_1904).removesuffix(".0")
    with book.edit("xl/workbook.xml") as wb:
        wb.find(q("workbookPr")).set("date1904", "1")
    return book.save(folder / "date1904.xlsx")


def _rename_skus(book: Book, renames: dict[str, str]) -> None:
    for name in ("Items", "Stock", "Demand"):
        with book.sheet(name) as ws:
            for t in ws.iter(q("t")):
                if t.text in renames:
                    t.text = renames[t.text]


def number_like_skus(folder: Path) -> Path:
    """SKU-0001 .. SKU-0009 renamed to text Excel would read as a number, date, time or formula."""
    book = Book()
    _rename_skus(book, {f"SKU-{i:04d}": code for i, code in enumerate(NUMBER_LIKE, 1)})
    return book.save(folder / "number_like_skus.xlsx")


LONG_TEXT = 40_000


def long_string(folder: Path) -> Path:
    """A 40,000-character description on Items and a 40,000-character unknown SKU on Stock (Excel holds 32,767)."""
    book = Book()
    with book.sheet("Items") as ws:
        set_cell(ws, f"{headers(ws)['description']}2", "d" * LONG_TEXT)
    with book.sheet("Stock") as ws:
        r = last_row(ws)
        set_cell(ws, f"A{r}", "Z" * LONG_TEXT)
    return book.save(folder / "long_string.xlsx")


ANCIENT = dt.date(1900, 1, 2)


def ancient_demand_row(folder: Path) -> Path:
    """One Demand row dated 1900-01-02 (a serial 2 typed as a date) among two years of recent history."""
    book = Book()
    style = date_style(book)
    with book.sheet("Demand") as ws:
        r = last_row(ws) + 1
        for col, value in zip("ABCD", ("SKU-0001", "DC-North", ANCIENT, 5.0), strict=True):
            set_cell(ws, f"{col}{r}", value, style=style if col == "C" else None)
    extend_table(book, "Demand", f"D{r}")
    return book.save(folder / "ancient_demand_row.xlsx")


def ancient_row() -> int:
    with Book().sheet("Demand") as ws:
        return last_row(ws) + 1


# --------------------------------------------------------------------------------------------------------
# rich workbooks

PNG = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
       + struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)))
       + struct.pack(">I", 12) + b"IDAT" + zlib.compress(b"\0\xff\x00\x00")
       + struct.pack(">I", zlib.crc32(b"IDAT" + zlib.compress(b"\0\xff\x00\x00")))
       + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND")))  # fmt: skip  # 1x1 red


def _worksheet(rows: list[list], tail: str = "") -> bytes:
    """A small worksheet part: rows of text/numbers from A1, then ``tail`` (drawing, etc.)."""
    out = []
    for i, row in enumerate(rows, 1):
        cells = []
        for j, v in enumerate(row, 1):
            ref = f"{col_letter(j)}{i}"
            if isinstance(v, str) and v.startswith("="):
                cells.append(f'<c r="{ref}"><f>{v[1:]}</f><v>42</v></c>')
            elif isinstance(v, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
            elif v is not None:
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        out.append(f'<row r="{i}">{"".join(cells)}</row>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
            f'xmlns:r="{DOCREL}"><sheetData>{"".join(out)}</sheetData><pageMargins left="0.7" right="0.7" '
            f'top="0.75" bottom="0.75" header="0.3" footer="0.3"/>{tail}</worksheet>').encode()  # fmt: skip


def _image_drawing() -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="{DML}" '
            f'xmlns:r="{DOCREL}"><xdr:oneCellAnchor><xdr:from><xdr:col>4</xdr:col><xdr:colOff>0</xdr:colOff>'
            '<xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="952500" cy="952500"/><xdr:pic>'
            '<xdr:nvPicPr><xdr:cNvPr id="2" name="Logo"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill>'
            '<a:blip r:embed="rIdH1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:prstGeom '
            'prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor>'
            "</xdr:wsDr>").encode()  # fmt: skip


def _chart() -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<c:chartSpace xmlns:c="{CHART}" '
            f'xmlns:a="{DML}" xmlns:r="{DOCREL}"><c:chart><c:plotArea><c:layout/><c:barChart><c:barDir val="col"/>'
            '<c:grouping val="clustered"/><c:ser><c:idx val="0"/><c:order val="0"/><c:val><c:numRef>'
            '<c:f>Stock!$C$2:$C$61</c:f></c:numRef></c:val></c:ser><c:axId val="1"/><c:axId val="2"/></c:barChart>'
            '<c:catAx><c:axId val="1"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:axPos val="b"/>'
            '<c:crossAx val="2"/></c:catAx><c:valAx><c:axId val="2"/><c:scaling><c:orientation val="minMax"/>'
            '</c:scaling><c:axPos val="l"/><c:crossAx val="1"/></c:valAx></c:plotArea></c:chart></c:chartSpace>'
            ).encode()  # fmt: skip


def _chart_drawing() -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="{DML}" '
            f'xmlns:r="{DOCREL}" xmlns:c="{CHART}"><xdr:absoluteAnchor><xdr:pos x="0" y="0"/><xdr:ext cx="8670000" '
            'cy="6300000"/><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="On hand"/>'
            '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            f'</xdr:xfrm><a:graphic><a:graphicData uri="{CHART}"><c:chart r:id="rIdH1"/></a:graphicData>'
            "</a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:absoluteAnchor></xdr:wsDr>").encode()  # fmt: skip


def add_chart_sheet(book: Book, name: str, position: int) -> None:
    """A chart sheet (a bar chart of Stock on_hand) called ``name`` at ``position``."""
    part = "xl/chartsheets/sheet1.xml"
    data = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<chartsheet xmlns="{MAIN}" '
            f'xmlns:r="{DOCREL}"><sheetPr/><sheetViews><sheetView zoomToFit="1" workbookViewId="0"/></sheetViews>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            '<drawing r:id="rIdH1"/></chartsheet>').encode()  # fmt: skip
    book.add_sheet(name, part, data, position, kind="chartsheet")
    book.add_rel(part, f"{DOCREL}/drawing", "../drawings/drawing_chart1.xml")
    book.add_part(
        "xl/drawings/drawing_chart1.xml", _chart_drawing(), "application/vnd.openxmlformats-officedocument.drawing+xml"
    )
    book.add_rel("xl/drawings/drawing_chart1.xml", f"{DOCREL}/chart", "../charts/chart1.xml")
    book.add_part("xl/charts/chart1.xml", _chart(), "application/vnd.openxmlformats-officedocument.drawingml.chart+xml")


def add_notes_sheet(book: Book) -> None:
    """A user sheet 'Notes' with an image and a formula reading an external workbook (externalLink1)."""
    book.add_part("xl/externalLinks/externalLink1.xml", (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="{MAIN}" '
        f'xmlns:r="{DOCREL}"><externalBook r:id="rIdH1"><sheetNames><sheetName val="Prices"/></sheetNames>'
        '<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>42</v></cell></row></sheetData>'
        "</sheetDataSet></externalBook></externalLink>").encode(), f"{SML_CT}.externalLink+xml")  # fmt: skip
    book.add_rel("xl/externalLinks/externalLink1.xml", f"{DOCREL}/externalLinkPath", "prices.xlsx", external=True)
    rid = book.add_rel("xl/workbook.xml", f"{DOCREL}/externalLink", "externalLinks/externalLink1.xml")
    with book.edit("xl/workbook.xml") as wb:
        refs = etree.Element(q("externalReferences"))
        etree.SubElement(refs, q("externalReference")).set(q("id", DOCREL), rid)
        wb.find(q("sheets")).addnext(refs)
    part = "xl/worksheets/notes.xml"
    rows = [["Our notes", "kept by the buyers"], ["supplier price", "=[1]Prices!$A$1"], ["reviewed", 1]]
    book.add_sheet("Notes", part, _worksheet(rows, '<drawing r:id="rIdH1"/>'))
    book.add_rel(part, f"{DOCREL}/drawing", "../drawings/drawing_notes.xml")
    book.add_part(
        "xl/drawings/drawing_notes.xml", _image_drawing(), "application/vnd.openxmlformats-officedocument.drawing+xml"
    )
    book.add_rel("xl/drawings/drawing_notes.xml", f"{DOCREL}/image", "../media/logo.png")
    book.add_default("png", "image/png")
    book.parts["xl/media/logo.png"] = PNG


def add_pivot(book: Book) -> None:
    """A pivot table (sum of Stock on_hand by site) on a sheet 'Pivot', its cache on the Stock sheet."""
    sites = ("DC-North", "DC-South", "Plant-Lyon")
    cache = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheDefinition xmlns="{MAIN}" '
             f'xmlns:r="{DOCREL}" saveData="0" refreshOnLoad="1" createdVersion="6" refreshedVersion="6" '
             'minRefreshableVersion="3" recordCount="0"><cacheSource type="worksheet"><worksheetSource '
             'ref="A1:C61" sheet="Stock"/></cacheSource><cacheFields count="3"><cacheField name="sku" numFmtId="0">'
             '<sharedItems/></cacheField><cacheField name="site" numFmtId="0"><sharedItems count="3">'
             + "".join(f'<s v="{s}"/>' for s in sites) + '</sharedItems></cacheField><cacheField name="on_hand" '
             'numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" containsNumber="1" '
             'minValue="0" maxValue="100000"/></cacheField></cacheFields></pivotCacheDefinition>').encode()  # fmt: skip
    book.add_part("xl/pivotCache/pivotCacheDefinition1.xml", cache, f"{SML_CT}.pivotCacheDefinition+xml")
    rid = book.add_rel("xl/workbook.xml", f"{DOCREL}/pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")
    with book.edit("xl/workbook.xml") as wb:
        caches = etree.Element(q("pivotCaches"))
        c = etree.SubElement(caches, q("pivotCache"), cacheId="7")
        c.set(q("id", DOCREL), rid)
        wb.find(q("calcPr")).addnext(caches)
    table = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotTableDefinition xmlns="{MAIN}" '
             'name="OnHandBySite" cacheId="7" dataCaption="Values" applyNumberFormats="0" applyBorderFormats="0" '
             'applyFontFormats="0" applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" '
             'updatedVersion="6" minRefreshableVersion="3" createdVersion="6" useAutoFormatting="1" indent="0" '
             'outline="1" outlineData="1"><location ref="A3:B7" firstHeaderRow="1" firstDataRow="1" '
             'firstDataCol="1"/><pivotFields count="3"><pivotField showAll="0"/><pivotField axis="axisRow" '
             'showAll="0"><items count="4"><item x="0"/><item x="1"/><item x="2"/><item t="default"/></items>'
             '</pivotField><pivotField dataField="1" showAll="0"/></pivotFields><rowFields count="1"><field x="1"/>'
             '</rowFields><rowItems count="4"><i><x/></i><i><x v="1"/></i><i><x v="2"/></i><i t="grand"><x/></i>'
             '</rowItems><colItems count="1"><i/></colItems><dataFields count="1"><dataField name="Sum of on_hand" '
             'fld="2" baseField="0" baseItem="0"/></dataFields></pivotTableDefinition>').encode()  # fmt: skip
    book.add_part("xl/pivotTables/pivotTable1.xml", table, f"{SML_CT}.pivotTable+xml")
    book.add_rel("xl/pivotTables/pivotTable1.xml", f"{DOCREL}/pivotCacheDefinition",
                 "../pivotCache/pivotCacheDefinition1.xml")  # fmt: skip
    part = "xl/worksheets/pivot.xml"
    rows = [["On hand by site"], [], ["Row Labels", "Sum of on_hand"], *[[s, 0] for s in sites], ["Grand Total", 0]]
    book.add_sheet("Pivot", part, _worksheet(rows))
    book.add_rel(part, f"{DOCREL}/pivotTable", "../pivotTables/pivotTable1.xml")


def add_vba_and_ribbon(book: Book) -> None:
    """The VBA project and the Planner ribbon of the repository's workbook/planner.xlsm: an .xlsm package."""
    with zipfile.ZipFile(ROOT / "workbook" / "planner.xlsm") as z:
        book.parts["xl/vbaProject.bin"] = z.read("xl/vbaProject.bin")
        book.parts["customUI/customUI14.xml"] = z.read("customUI/customUI14.xml")
    book.add_default("bin", "application/vnd.ms-office.vbaProject")
    book.add_rel(
        "xl/workbook.xml", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin"
    )
    book.add_rel(
        "", "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility", "customUI/customUI14.xml"
    )
    with book.edit("[Content_Types].xml") as ct:
        for o in ct:
            if o.get("PartName") == "/xl/workbook.xml":
                o.set("ContentType", "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    with book.edit("xl/workbook.xml") as wb:
        wb.find(q("workbookPr")).set("codeName", "ThisWorkbook")


RICH_NAMES = ("KPIs", "ReorderPlan", "SupplierPrice", "LocalSetting")


def rich_xlsm(folder: Path) -> Path:
    """The sample as a macro workbook with everything a planner's real file has: VBA and a ribbon, a chart
    sheet called 'Reorder Plan' (second tab), a sheet with an image and a formula on an external workbook, a
    pivot table, defined names 'KPIs' and 'ReorderPlan' (planner's own table names), sheet-local print areas
    and names."""
    book = Book()
    add_vba_and_ribbon(book)
    add_chart_sheet(book, "Reorder Plan", position=1)
    add_notes_sheet(book)
    add_pivot(book)
    book.define_name("KPIs", "Notes!$A$1:$B$3")
    book.define_name("ReorderPlan", "Stock!$A$1:$G$61")
    book.define_name("SupplierPrice", "[1]Prices!$A$1")
    book.define_name("LocalSetting", "Settings!$B$2", local_to="Settings")
    book.define_name("_xlnm.Print_Area", "Items!$A$1:$O$21", local_to="Items")
    book.define_name("_xlnm.Print_Titles", "Stock!$1:$1", local_to="Stock")
    book.define_name("_xlnm.Print_Area", "Notes!$A$1:$D$10", local_to="Notes")
    book.define_name("_xlnm.Print_Area", "Pivot!$A$1:$B$7", local_to="Pivot")
    return book.save(folder / "rich.xlsm")


def output_named_sheets(folder: Path) -> Path:
    """The user's own sheets 'Reorder Plan' (second tab) and 'Reorder_Plan' (after Stock), each with a
    print area, and a name pointing into 'Reorder_Plan'."""
    book = Book()
    book.add_sheet("Reorder Plan", "xl/worksheets/user_plan.xml",
                   _worksheet([["my reorder notes", "typed by hand"], ["SKU-0001", 12]]), position=1)  # fmt: skip
    at = book.sheet_names().index("Stock") + 1
    book.add_sheet("Reorder_Plan", "xl/worksheets/user_plan2.xml",
                   _worksheet([["another plan", "from the ERP"], ["SKU-0002", 30]]), position=at)  # fmt: skip
    book.define_name("_xlnm.Print_Area", "'Reorder Plan'!$A$1:$B$2", local_to="Reorder Plan")
    book.define_name("_xlnm.Print_Area", "Reorder_Plan!$A$1:$B$2", local_to="Reorder_Plan")
    book.define_name("_xlnm.Print_Area", "Items!$A$1:$O$21", local_to="Items")
    book.define_name("ErpPlan", "Reorder_Plan!$A$1:$B$2")
    return book.save(folder / "output_named_sheets.xlsx")


# --------------------------------------------------------------------------------------------------------
# fuzzing: one workbook with chosen cells overwritten


def with_cells(folder: Path, cells: list[tuple[str, str, int, object]], name: str = "fuzz.xlsx") -> Path:
    """The sample with each (sheet, column header, data row index from 0, value) written; dates get the
    sample's date format."""
    book = Book()
    style = date_style(book)
    for sheet in dict.fromkeys(s for s, *_ in cells):
        with book.sheet(sheet) as ws:
            cols, end = headers(ws), last_row(ws)
            for s, column, i, value in cells:
                if s == sheet:
                    ref = f"{cols[column]}{2 + i % (end - 1)}"
                    set_cell(ws, ref, value, style=style if isinstance(value, dt.date) else None)
    return book.save(folder / name)


CASES: dict[str, Callable[[Path], Path]] = {
    f.__name__: f
    for f in (
        truncated_zip, corrupt_zip_member, empty_file, corrupt_sheet_xml, missing_styles, billion_laughs_sheet,
        billion_laughs_shared_strings, xxe_sheet, xxe_shared_strings, zip_bomb, huge_dimension, stray_cell_xfd5000,
        stray_cell_xfd20000, stray_cell_xfd1048576, strict_ooxml, encrypted, xls_renamed, xls_named, xlsb_named,
        ods_named, duplicate_headers, duplicate_headers_block, rows_below_table, two_sheets_one_name,
        nonfinite_numbers, settings_order_cost_1e308, settings_planning_date_9999, settings_planning_date_text,
        items_lead_time_1e12, date1904, number_like_skus, long_string, ancient_demand_row, rich_xlsm,
        output_named_sheets,
    )
}  # fmt: skip


def build(name: str, folder: Path) -> Path:
    """Write case ``name`` into ``folder`` (created if needed) and return the workbook's path."""
    folder.mkdir(parents=True, exist_ok=True)
    return CASES[name](folder)
