"""An Office Open XML package (ECMA-376 Part 2, Open Packaging Conventions) at the zip level: parts held as
raw bytes and read lazily, relationships, content types, copying a part with everything it refers to from
another package, dropping parts nothing refers to, and writing the zip with unchanged parts copied as their
compressed bytes. Nothing here knows what a workbook is; planner.workbook.merge uses it to merge output
sheets into a user's workbook.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree

REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCREL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"


def qname(tag: str, ns: str) -> str:
    return f"{{{ns}}}{tag}"


def rels_path(part: str) -> str:
    """The relationships part of ``part`` ('' = the package root: _rels/.rels)."""
    d, name = posixpath.split(part)
    return posixpath.join(d, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """The part a relationship of ``source`` points at (targets are relative to the source's folder)."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relative(source: str, target: str) -> str:
    """The relationship target that points from ``source`` at the part ``target``."""
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=False, resolve_entities=False, huge_tree=True))


def xml_bytes(root: etree._Element) -> bytes:
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
        path = rels_path(part)
        return list(parse_xml(self.read(path))) if self.has(path) else []

    def main_part(self) -> str:
        """The package's main document (for a spreadsheet: the workbook part)."""
        for r in self.rels(""):
            if r.get("Type", "").endswith("/officeDocument"):
                return resolve("", r.get("Target"))
        raise ValueError("no main document part in the package")

    def reachable(self) -> set[str]:
        """Every part reachable through relationships from the package root."""
        seen: set[str] = set()
        todo = [""]
        while todo:
            part = todo.pop()
            for r in self.rels(part):
                if r.get("TargetMode") == "External":
                    continue
                target = resolve(part, r.get("Target"))
                if target not in seen and self.has(target):
                    seen.add(target)
                    todo.append(target)
        return seen

    def drop_unreachable(self) -> None:
        """Remove every part (and its relationships) that nothing refers to any more."""
        live = self.reachable()
        for name in self.names():
            if name == CONTENT_TYPES or name.endswith(".rels"):
                continue
            if name not in live:
                self.removed.add(name)
                self.removed.add(rels_path(name))

    def unique_name(self, folder: str, stem: str, ext: str, taken: set[str]) -> str:
        """folder/stem1.ext, stem2.ext, ...: the first name neither in the package nor in ``taken`` (added)."""
        i = 1
        while True:
            name = f"{folder}/{stem}{i}{ext}"
            if not self.has(name) and name not in taken:
                taken.add(name)
                return name
            i += 1


class ContentTypes:
    """A package's [Content_Types].xml: Default content types by extension, Override ones by part name."""

    def __init__(self, data: bytes):
        self.root = parse_xml(data)

    def overrides(self) -> dict[str, str]:
        return {o.get("PartName"): o.get("ContentType") for o in self.root if o.tag == qname("Override", CT)}

    def defaults(self) -> dict[str, str]:
        return {d.get("Extension"): d.get("ContentType") for d in self.root if d.tag == qname("Default", CT)}

    def add_like(self, part: str, other: ContentTypes, src: str) -> None:
        """Give ``part`` the content type ``src`` has in ``other``: its Override, else its extension's Default
        (added only when this package has no Default for the extension)."""
        ctype = other.overrides().get("/" + src)
        if ctype:
            etree.SubElement(self.root, qname("Override", CT), PartName="/" + part, ContentType=ctype)
            return
        ext = part.rsplit(".", 1)[-1]
        theirs = other.defaults()
        if ext not in self.defaults() and ext in theirs:
            etree.SubElement(self.root, qname("Default", CT), Extension=ext, ContentType=theirs[ext])

    def drop_overrides(self, removed: set[str]) -> None:
        for o in list(self.root):
            if o.tag == qname("Override", CT) and o.get("PartName", "/")[1:] in removed:
                self.root.remove(o)


@dataclass
class PartCopier:
    """Copies parts of ``src`` into ``dest`` with, recursively, every part they refer to, under fresh names
    (``prefix`` + the source name's stem without its number); ``transform(src_name, data)`` may rewrite a
    part's bytes on the way; content types follow the source package's."""

    src: Package
    dest: Package
    src_types: ContentTypes
    dest_types: ContentTypes
    transform: Callable[[str, bytes], bytes]
    prefix: str = ""
    taken: set[str] = field(default_factory=set)

    def unique_name(self, folder: str, stem: str, ext: str) -> str:
        return self.dest.unique_name(folder, stem, ext, self.taken)

    def copy(self, src_name: str, dest_name: str) -> None:
        data = self.transform(src_name, self.src.read(src_name))
        rels = self.src.rels(src_name)
        if rels:
            root = etree.Element(qname("Relationships", REL), nsmap={None: REL})
            for r in rels:
                new = deepcopy(r)
                if r.get("TargetMode") != "External":
                    child = resolve(src_name, r.get("Target"))
                    folder, fname = posixpath.split(child)
                    stem = re.sub(r"\d+$", "", fname.rsplit(".", 1)[0])
                    child_dest = self.unique_name(folder, self.prefix + stem, "." + fname.rsplit(".", 1)[-1])
                    self.copy(child, child_dest)
                    new.set("Target", relative(dest_name, child_dest))
                root.append(new)
            self.dest.write(rels_path(dest_name), xml_bytes(root))
        self.dest.write(dest_name, data)
        self.dest_types.add_like(dest_name, self.src_types, src_name)


def write_zip(pkg: Package, dest: str) -> None:
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
