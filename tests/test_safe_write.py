"""Writing never loses or corrupts data: other sheets, formulas, names and VBA survive; saves are atomic."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings
from conftest import minimal_sheets, write_blocks
from openpyxl.workbook.defined_name import DefinedName

from planner.channels.api import plan_workbook
from planner.model.errors import OutputError
from planner.workbook.contract import OUTPUT_SHEETS
from planner.workbook.sample import sample_frames
from planner.workbook.template import write_template

PLANNER = [sys.executable, "-m", "planner"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def user_workbook(tmp_path: Path) -> Path:
    """Inputs plus things a user keeps in the same file: a formula sheet, a defined name, a chart-free note."""
    path = write_blocks(tmp_path / "user.xlsx", minimal_sheets())
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("My Analysis")
    ws["A1"], ws["A2"], ws["B1"] = 5, 7, "=SUM(A1:A2)*Stock!C2"
    wb.defined_names["budget"] = DefinedName("budget", attr_text="'My Analysis'!$A$1")
    wb.save(path)
    return path


@pytest.mark.slow
def test_default_output_beside_input_and_input_untouched(tmp_path):
    src = user_workbook(tmp_path)
    before = digest(src)
    proc = subprocess.run([*PLANNER, "run", str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert digest(src) == before
    out = tmp_path / "user.planned.xlsx"
    assert str(out) in proc.stdout.replace("\n", "")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[: len(minimal_sheets()) + 1] == [*minimal_sheets(), "My Analysis"]
    assert wb["My Analysis"]["B1"].value == "=SUM(A1:A2)*Stock!C2"
    assert wb.defined_names["budget"].attr_text == "'My Analysis'!$A$1"
    assert set(OUTPUT_SHEETS) <= set(wb.sheetnames)


def test_input_parts_are_copied_byte_for_byte(tmp_path):
    src = user_workbook(tmp_path)
    out = tmp_path / "o.xlsx"
    plan_workbook(src, output=out)
    a, b = parts(src), parts(out)
    for name in a:
        if name.startswith("xl/worksheets/sheet"):
            assert b[name] == a[name], name


def test_in_place_rerun_replaces_only_output_sheets(tmp_path):
    src = user_workbook(tmp_path)
    original = parts(src)
    plan_workbook(src, in_place=True)
    first = openpyxl.load_workbook(src).sheetnames
    charts = [n for n in parts(src) if n.startswith("xl/charts/")]
    wb = openpyxl.load_workbook(src)
    wb["Stock"]["C2"] = 0  # the planner changes stock and plans again
    wb.save(src)
    plan_workbook(src, in_place=True)
    second = openpyxl.load_workbook(src)
    assert second.sheetnames == first  # replaced where they stand: no 'Reorder Plan1'
    assert second["Reorder Plan"]["A1"].value == "sku"
    # not piled up: the KPIs' Pareto chart and the Projected Inventory's SKU-sites at risk, once each
    assert len([n for n in parts(src) if n.startswith("xl/charts/")]) == len(charts) == 2
    ws = second["Reorder Plan"]
    on_hand_col = [c.value for c in ws[1]].index("on_hand")
    a_row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "A")
    assert a_row[on_hand_col] == 0
    assert "xl/worksheets/sheet1.xml" in original


@pytest.mark.slow
def test_xlsm_keeps_its_vba_project(tmp_path):
    xlsm = Path(xlwings.__file__).parent / "quickstart.xlsm"  # a real macro workbook shipped with xlwings
    wb = openpyxl.load_workbook(xlsm, keep_vba=True)
    for name, rows in minimal_sheets().items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    src = tmp_path / "macro.xlsm"
    wb.save(src)
    vba = parts(src)["xl/vbaProject.bin"]
    plan_workbook(src, in_place=True)
    after = parts(src)
    assert after["xl/vbaProject.bin"] == vba
    assert b"macroEnabled" in after["[Content_Types].xml"]
    assert "Reorder Plan" in openpyxl.load_workbook(src, keep_vba=True).sheetnames
    out = subprocess.run([*PLANNER, "run", str(src)], capture_output=True, text=True)
    assert out.returncode == 0 and (tmp_path / "macro.planned.xlsm").exists()


@pytest.mark.slow
def test_table_names_do_not_clash_with_user_tables(tmp_path):
    src = tmp_path / "t.xlsx"
    frames = sample_frames(n_skus=3)
    write_template(src, frames)
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet("Notes")
    ws.append(["a", "b"])
    ws.append([1, 2])
    ws.add_table(openpyxl.worksheet.table.Table(displayName="ReorderPlan", ref="A1:B2"))
    wb.save(src)
    out = tmp_path / "o.xlsx"
    plan_workbook(src, output=out)
    wb = openpyxl.load_workbook(out)
    names = [t for ws in wb for t in ws.tables]
    assert len(names) == len(set(n.lower() for n in names))
    assert "ReorderPlan" in wb["Notes"].tables


@pytest.mark.slow
def test_open_file_gives_clear_message_and_changes_nothing(tmp_path):
    src = user_workbook(tmp_path)
    (tmp_path / "~$user.xlsx").write_text("lock")
    before = digest(src)
    with pytest.raises(OutputError, match="open in another program"):
        plan_workbook(src, in_place=True)
    proc = subprocess.run([*PLANNER, "run", "--in-place", str(src)], capture_output=True, text=True)
    assert proc.returncode == 2 and "open in another program" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert digest(src) == before


def test_missing_output_folder_is_a_clear_message(tmp_path):
    src = user_workbook(tmp_path)
    with pytest.raises(OutputError, match="does not exist"):
        plan_workbook(src, output=tmp_path / "nope" / "x.xlsx")


@pytest.mark.slow
def test_kill_during_in_place_save_leaves_a_valid_workbook(tmp_path):
    """SIGKILL the planner at random moments of an in-place run: the file is always either the original
    or the complete planned workbook, never a broken one."""
    src = tmp_path / "big.xlsx"
    write_template(src, sample_frames(n_skus=40))
    original = digest(src)
    rng = random.Random(1)
    outcomes = set()
    for _ in range(6):
        proc = subprocess.Popen([*PLANNER, "run", "--in-place", "-q", str(src)], stdout=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 3.5))
        proc.send_signal(signal.SIGKILL) if proc.poll() is None else None
        proc.wait()
        names = openpyxl.load_workbook(src, read_only=True).sheetnames  # raises if corrupt
        outcomes.add("planned" if "Reorder Plan" in names else "original")
        if "Reorder Plan" not in names:
            assert digest(src) == original
        for leftover in tmp_path.glob(".~planner-*"):
            os.unlink(leftover)  # a killed process cannot clean its temporary file; it is never the workbook
    assert outcomes  # at least one kill observed either state
