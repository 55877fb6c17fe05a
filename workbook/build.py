"""Build workbook/planner.xlsm, the macro-enabled planning workbook, from text sources:

    python workbook/build.py            (needs the test extras: pip install -e '.[test]')

- the bundled sample (workbook/sample.xlsx) as its sheets,
- an ``xlwings.conf`` sheet: ``UDF Modules = planner.channels.excel.functions``, so the xlwings add-in's
  "Import Functions" brings in the PLANNER_* functions,
- the Planner ribbon tab (workbook/src/customUI14.xml),
- the VBA project compiled from workbook/src/*.bas by ms_ovba (source only: Excel compiles it on open),
  with a document module per sheet whose code name the workbook's sheets carry.

The output is reproducible: same sources, same parts, byte for byte (zip entries carry a fixed date).
"""

from __future__ import annotations

import io
import os
import random
import shutil
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
BASE = HERE / "sample.xlsx"
OUT = HERE / "planner.xlsm"
sys.path[:0] = [str(HERE.parent), str(HERE)]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"  # customUI14 (2009 schema)
WORKBOOK_GUID = uuid.UUID("00020819-0000-0000-C000-000000000046")  # Excel's Workbook class
WORKSHEET_GUID = uuid.UUID("00020820-0000-0000-C000-000000000046")  # Excel's Worksheet class
PROJECT_ID = "{6C1D2E8A-5B0F-4C4E-9E57-2A7C0B6D9F13}"
UDF_MODULES = "planner.channels.excel.functions"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def _config_sheet(base: Path, dest: Path) -> None:
    """base + an xlwings.conf sheet (merged at the package level, as planner writes output sheets)."""
    from openpyxl import Workbook

    from planner.workbook.merge import merge_output

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("xlwings.conf")
    ws.append(["UDF Modules", UDF_MODULES])
    buf = io.BytesIO()
    wb.save(buf)
    merge_output(str(base), buf.getvalue(), str(dest), ["xlwings.conf"])


def vba_project(code_names: list[str], work: Path) -> bytes:
    """vbaProject.bin: ThisWorkbook, one document module per sheet code name, and workbook/src/*.bas."""
    import ms_ovba
    from ms_ovba_compression.ms_ovba import MsOvba
    from ovba_compress import compress

    MsOvba.compress = lambda self, data: compress(bytes(data))  # its own corrupts streams over ~1 KB
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile

    blank = Path(ms_ovba.__file__).parent / "blank_files"
    project = VbaProject()
    project.project_id = PROJECT_ID
    documents = [("ThisWorkbook", blank / "ThisWorkbook.cls", WORKBOOK_GUID)]
    documents += [(name, blank / "Sheet1.cls", WORKSHEET_GUID) for name in code_names]
    for name, template, guid in documents:
        path = work / f"{name}.cls"  # ms_ovba writes beside its input: always a fresh copy in the work folder
        path.write_text(template.read_text().replace('"Sheet1"', f'"{name}"'), newline="")
        module = DocModule(name)
        module.add_file(str(path))
        module.add_guid(guid)
        module.normalize_file()
        project.add_module(module)
    for bas in sorted(SRC.glob("*.bas")):
        path = work / bas.name
        shutil.copyfile(bas, path)
        module = StdModule(bas.stem)
        module.add_file(str(path))
        module.normalize_file()
        project.add_module(module)
    state = random.getstate()
    random.seed(PROJECT_ID)  # the protection-state encryption's random seed bytes ([MS-OVBA] §2.4.3): fixed
    try:
        ProjectOleFile.write_file(project)  # writes vbaProject.bin into the current folder
    finally:
        random.setstate(state)
    return (work / "vbaProject.bin").read_bytes()


def _tostring(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def build(out: Path = OUT, base: Path = BASE) -> Path:
    """Build the macro-enabled workbook at ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        merged = work / "merged.xlsx"
        _config_sheet(base, merged)
        parts = {}
        with zipfile.ZipFile(merged) as z:
            for name in z.namelist():
                parts[name] = z.read(name)

        # code names: the workbook is ThisWorkbook, its sheets Sheet1..SheetN in workbook order
        wb = etree.fromstring(parts["xl/workbook.xml"])
        pr = wb.find(f"{{{MAIN}}}workbookPr")
        if pr is None:
            pr = etree.Element(f"{{{MAIN}}}workbookPr")
            wb.insert(next(i for i, el in enumerate(wb) if el.tag == f"{{{MAIN}}}bookViews"), pr)
        pr.set("codeName", "ThisWorkbook")
        parts["xl/workbook.xml"] = _tostring(wb)
        rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
        targets = {r.get("Id"): r.get("Target") for r in rels}
        code_names = []
        for i, sheet in enumerate(wb.find(f"{{{MAIN}}}sheets"), 1):
            rid = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            part = "xl/" + targets[rid].lstrip("/").removeprefix("xl/")
            parts[part] = _with_code_name(parts[part], f"Sheet{i}")
            code_names.append(f"Sheet{i}")

        cwd = os.getcwd()
        os.chdir(work)
        try:
            parts["xl/vbaProject.bin"] = vba_project(code_names, work)
        finally:
            os.chdir(cwd)
        etree.SubElement(rels, f"{{{REL}}}Relationship", Id="rIdVBA", Type=VBA_REL, Target="vbaProject.bin")
        parts["xl/_rels/workbook.xml.rels"] = _tostring(rels)

        ui = (SRC / "customUI14.xml").read_bytes()
        etree.fromstring(ui)  # well-formed, or the build stops here
        parts["customUI/customUI14.xml"] = ui
        root_rels = etree.fromstring(parts["_rels/.rels"])
        etree.SubElement(root_rels, f"{{{REL}}}Relationship", Id="rIdPlannerUI", Type=UI_REL,
                         Target="customUI/customUI14.xml")  # fmt: skip
        parts["_rels/.rels"] = _tostring(root_rels)

        types = etree.fromstring(parts["[Content_Types].xml"])
        for override in types.findall(f"{{{CT}}}Override"):
            if override.get("ContentType") == XLSX_MAIN:
                override.set("ContentType", XLSM_MAIN)
        if not any(d.get("Extension") == "bin" for d in types.findall(f"{{{CT}}}Default")):
            types.insert(0, etree.Element(f"{{{CT}}}Default", Extension="bin", ContentType=VBA_TYPE))
        parts["[Content_Types].xml"] = _tostring(types)

        staged = work / out.name
        with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as z:
            first = ["[Content_Types].xml", "_rels/.rels"]
            for name in first + sorted(n for n in parts if n not in first):
                info = zipfile.ZipInfo(name, FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, parts[name])
        shutil.move(staged, out)
    return out


def _with_code_name(sheet_xml: bytes, code_name: str) -> bytes:
    """<sheetPr codeName=...> on a worksheet part (sheetPr is the first child of <worksheet>)."""
    root = etree.fromstring(sheet_xml)
    pr = root.find(f"{{{MAIN}}}sheetPr")
    if pr is None:
        pr = etree.Element(f"{{{MAIN}}}sheetPr")
        root.insert(0, pr)
    pr.set("codeName", code_name)
    return _tostring(root)


if __name__ == "__main__":
    path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"built {path}")
