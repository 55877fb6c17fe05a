"""workbook/planner.xlsm, the file desktop Excel users open: built from workbook/src by workbook/build.py,
with a valid Planner ribbon whose callbacks exist in its VBA project (read back with oletools) and call
macros that exist in planner.channels.excel.macros."""

from __future__ import annotations

import importlib
import inspect
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from conftest import ROOT
from lxml import etree
from oletools.olevba import VBA_Parser, decompress_stream
from xlwings.server import custom_functions_meta, custom_scripts_meta

sys.path.insert(0, str(ROOT / "workbook"))
import build  # noqa: E402  (workbook/build.py)
from ovba_compress import compress  # noqa: E402

XLSM = ROOT / "workbook" / "planner.xlsm"
UI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
# the elements and attributes of the customUI 2009 schema (MS-CUSTOMUI2) this ribbon uses
ALLOWED = {
    "customUI": {"onLoad"},
    "ribbon": {"startFromScratch"},
    "tabs": set(),
    "tab": {"id", "label", "insertAfterMso", "insertBeforeMso", "visible", "keytip"},
    "group": {"id", "label", "visible", "keytip"},
    "button": {"id", "label", "size", "imageMso", "onAction", "screentip", "supertip", "keytip", "enabled"},
}
PARENT = {"ribbon": "customUI", "tabs": "ribbon", "tab": "tabs", "group": "tab", "button": "group"}
ST_UNIQUE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,1023}$")  # xsd:ID, 1 to 1024 characters


def ribbon() -> etree._Element:
    with zipfile.ZipFile(XLSM) as z:
        rels = etree.fromstring(z.read("_rels/.rels"))
        target = next(r.get("Target") for r in rels if r.get("Type") == build.UI_REL)
        return etree.fromstring(z.read(target))


def vba_modules() -> dict[str, str]:
    parser = VBA_Parser(str(XLSM))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


@pytest.mark.slow
def test_the_committed_workbook_is_what_the_sources_build(tmp_path):
    fresh = build.build(tmp_path / "planner.xlsm")
    assert fresh.read_bytes() == XLSM.read_bytes(), "run: python workbook/build.py"


@pytest.mark.slow
def test_the_package_is_a_macro_enabled_workbook():
    with zipfile.ZipFile(XLSM) as z:
        types = z.read("[Content_Types].xml").decode()
        assert build.XLSM_MAIN in types and 'Extension="bin"' in types
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        assert build.VBA_REL in rels and 'Target="vbaProject.bin"' in rels
    wb = openpyxl.load_workbook(XLSM, keep_vba=True, read_only=False)
    assert wb.code_name == "ThisWorkbook"
    code_names = [ws.sheet_properties.codeName for ws in wb.worksheets]
    assert code_names == [f"Sheet{i}" for i in range(1, len(wb.worksheets) + 1)]
    modules = vba_modules()
    assert set(code_names) | {"ThisWorkbook", "Planner"} == set(modules)  # a document module per sheet
    assert "Items" in wb.sheetnames and wb["xlwings.conf"]["A1"].value == "UDF Modules"


def test_the_ribbon_xml_follows_the_customui_schema():
    root = ribbon()
    assert root.tag == f"{{{UI_NS}}}customUI"
    ids = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments
        ns, name = el.tag[1:].split("}")
        assert ns == UI_NS and name in ALLOWED, el.tag
        assert set(el.attrib) <= ALLOWED[name], (name, set(el.attrib) - ALLOWED[name])
        if name in PARENT:
            assert etree.QName(el.getparent()).localname == PARENT[name]
        if "id" in el.attrib:
            assert ST_UNIQUE_ID.match(el.get("id"))
            ids.append(el.get("id"))
        assert len(el.get("label", "")) <= 1024 and len(el.get("supertip", "")) <= 1024
        assert el.get("size", "normal") in ("normal", "large")
    assert len(ids) == len(set(ids)), "control ids must be unique"
    buttons = root.findall(f".//{{{UI_NS}}}button")
    assert len(buttons) == 7 and all(b.get("label") and b.get("onAction") for b in buttons)


def test_every_button_callback_exists_in_the_vba_project():
    code = vba_modules()["Planner"]
    for button in ribbon().iter(f"{{{UI_NS}}}button"):
        callback = button.get("onAction")
        assert re.search(rf"^Sub {callback}\(control As IRibbonControl\)\r?$", code, re.MULTILINE), callback
    assert "Application.Run \"'xlwings.xlam'!RunPython\", command" in code


def test_every_runpython_target_imports_and_is_a_registered_macro():
    code = vba_modules()["Planner"]
    targets = re.findall(r'RunPlanner "import ([\w.]+) as (\w+); \2\.(\w+)\(\)"', code)
    assert len(targets) == 7
    for module_name, _, function in targets:
        module = importlib.import_module(module_name)
        fn = getattr(module, function)
        assert inspect.signature(fn).parameters["book"].default is None  # RunPython calls it without arguments
        assert function in {s["function_name"] for s in custom_scripts_meta(module)}


def test_the_udf_modules_setting_names_the_functions():
    wb = openpyxl.load_workbook(XLSM, read_only=True)
    conf = {row[0]: row[1] for row in wb["xlwings.conf"].iter_rows(values_only=True)}
    module = importlib.import_module(conf["UDF Modules"])
    names = [f["name"] for f in custom_functions_meta(module)["functions"]]
    assert "PLANNER.EOQ" in names and len(names) == 14


@pytest.mark.parametrize("size", [0, 1, 3, 100, 1000, 4095, 4096, 4097, 8192, 12000])
def test_ovba_compression_round_trips_through_oletools(size):
    rng = random.Random(size)
    text = "".join(rng.choice(["Attribute VB_Name", " = ", "Sheet", "\r\n", "x", "RunPython "]) for _ in range(size))
    noise = bytes(rng.randrange(256) for _ in range(size - size % 4096))  # incompressible: whole raw chunks
    for data in (text.encode()[:size], noise):
        assert bytes(decompress_stream(bytearray(compress(data)))) == data


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None and not os.environ.get("CI"), reason="LibreOffice not installed (CI installs it)")
@pytest.mark.slow
def test_libreoffice_opens_the_macro_workbook(tmp_path):
    proc = subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
         "--outdir", str(tmp_path), str(XLSM)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    items = (tmp_path / "planner-Items.csv").read_text().splitlines()  # sheet 2: Items
    assert items[0].startswith("sku,description,unit_cost") and len(items) > 100
