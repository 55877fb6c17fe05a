"""The command line as a user runs it: a real process, real files, exit codes, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import minimal_sheets, write_blocks

PLANNER = [sys.executable, "-m", "planner"]
pytestmark = pytest.mark.slow  # every test here starts a process (integration layer)


def run(*args, cwd=None):
    return subprocess.run([*PLANNER, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_console_script_help_reads_well():
    script = Path(sys.executable).parent / "planner"  # the console script pip installed beside python
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for word in ("run", "validate", "new", "Exit codes"):
        assert word in proc.stdout
    assert "--in-place" in run("run", "--help").stdout


def test_folder_with_a_bad_file_goes_on_and_fails_overall(tmp_path):
    write_blocks(tmp_path / "good.xlsx", minimal_sheets())
    bad = minimal_sheets()
    del bad["Items"]
    write_blocks(tmp_path / "bad.xlsx", bad)
    (tmp_path / "notes.txt").write_text("not a workbook, not picked up")
    proc = run("run", tmp_path)
    assert proc.returncode == 2
    assert (tmp_path / "good.planned.xlsx").exists() and not (tmp_path / "bad.planned.xlsx").exists()
    assert "1 planned, 1 failed" in proc.stdout
    assert "Sheet 'Items' is missing" in proc.stdout.replace("\n", "")
    assert "Traceback" not in proc.stdout + proc.stderr
    # planned outputs in the folder are not planned again on the next run
    again = run("run", tmp_path, "-o", tmp_path)
    assert "good.planned.planned" not in again.stdout


def test_several_files_to_an_output_folder(tmp_path):
    a = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    b = write_blocks(tmp_path / "b.xlsx", minimal_sheets())
    out = tmp_path / "out"
    out.mkdir()
    proc = run("run", a, b, "-o", out)
    assert proc.returncode == 0, proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["a.planned.xlsx", "b.planned.xlsx"]


def test_structural_error_is_one_line_exit_2_and_no_file(tmp_path):
    sheets = minimal_sheets()
    sheets["Stock"] = [["sku", "site"], ["A", "S1"]]
    src = write_blocks(tmp_path / "s.xlsx", sheets)
    proc = run("run", src)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1 and "required column 'on_hand' is missing" in lines[0]
    assert not (tmp_path / "s.planned.xlsx").exists()


def test_validate_lists_issues_and_writes_nothing(tmp_path):
    sheets = minimal_sheets()
    sheets["Items"].append(["C", "cheap", 1, 0.2])
    src = write_blocks(tmp_path / "v.xlsx", sheets)
    proc = run("validate", src)
    assert proc.returncode == 1
    assert "Items row 4, column unit_cost (found 'cheap'): expected a number > 0" in proc.stdout
    assert list(tmp_path.iterdir()) == [src]
    assert run("validate", write_blocks(tmp_path / "ok.xlsx", minimal_sheets())).returncode == 0


def test_output_file_option(tmp_path):
    src = write_blocks(tmp_path / "in.xlsx", minimal_sheets())
    proc = run("run", src, "-o", tmp_path / "result.xlsx")
    assert proc.returncode == 0 and (tmp_path / "result.xlsx").exists()
