"""The command line called in-process (``planner.channels.cli.main([...])``), so its branches count in
coverage: ``--debug``, Ctrl-C, ``--quiet``, batches with bad files, ``validate`` and ``new``. test_cli.py runs
the same commands as a user does, in a real process."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT, minimal_sheets, write_blocks

from planner.channels.api import load, plan_workbook
from planner.channels.cli import EXIT_FAILED, EXIT_INPUT, EXIT_OK, main

BUNDLED_SAMPLE = ROOT / "workbook" / "sample.xlsx"  # 200 SKUs x 3 sites: several seconds to plan


def words(text: str) -> str:
    """Console text with rich's line wrapping undone."""
    return " ".join(text.split())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def wide(monkeypatch):
    """A wide console, so rich does not wrap the paths the assertions look for."""
    monkeypatch.setenv("COLUMNS", "250")


def test_one_workbook_reports_what_the_plan_holds(tmp_path, capsys, wide):
    src = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    assert main(["run", str(src)]) == EXIT_OK
    out = words(capsys.readouterr().out)
    want = plan_workbook(src)  # the API's own result, counted here independently of the command line
    orders = int((want.reorder["suggested_order"] > 0).sum())
    errors = int((want.issues["severity"] == "error").sum())
    assert f"planned {len(want.reorder)} SKU-sites of a.xlsx in " in out
    assert f"{orders} orders to place, {len(want.issues)} data issues ({errors} errors)" in out
    assert out.endswith(f"Result: {tmp_path / 'a.planned.xlsx'}")
    assert "Reorder Plan" in openpyxl.load_workbook(tmp_path / "a.planned.xlsx", read_only=True).sheetnames


def test_debug_shows_the_traceback_of_an_unexpected_failure(tmp_path, capsys, wide):
    """An output path with a NUL character: the OS layer refuses it with ValueError (not OSError), an
    error the planner does not anticipate. The run says 'internal error' and exits 1; only --debug adds the
    traceback (on stderr); nothing is written either way."""
    src = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    dest = str(tmp_path / "bad\0name.xlsx")
    assert main(["run", str(src), "-o", dest]) == EXIT_FAILED
    plain = capsys.readouterr()
    assert words(plain.out) == "planner: internal error: ValueError('embedded null byte')"
    assert "Traceback" not in plain.out + plain.err

    assert main(["run", str(src), "-o", dest, "--debug"]) == EXIT_FAILED
    debug = capsys.readouterr()
    assert words(debug.out) == words(plain.out)
    assert debug.err.startswith("Traceback (most recent call last):")
    assert "in atomic_save" in debug.err and debug.err.rstrip().endswith("ValueError: embedded null byte")
    assert list(tmp_path.iterdir()) == [src]


def test_ctrl_c_stops_the_run_exit_130_and_no_file_changed(tmp_path, capsys):
    """A real SIGINT (what Ctrl-C sends) 1 s into planning the 200-SKU sample in place: Python's default
    handler raises KeyboardInterrupt wherever the run is; the command line exits 130 and the workbook is
    byte for byte the one it was, with no temporary file left beside it. Ctrl-C is pressed again every
    0.5 s while the run goes on, as a user would: Python drops an interrupt that lands inside a finaliser."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C raises KeyboardInterrupt
    src = tmp_path / "sample.xlsx"
    shutil.copyfile(BUNDLED_SAMPLE, src)
    before = digest(src)
    stop, pressed = threading.Event(), []

    def press_ctrl_c() -> None:
        if stop.wait(1.0):
            return
        while True:
            pressed.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)
            if stop.wait(0.5):
                return

    sender = threading.Thread(target=press_ctrl_c)
    t0 = time.perf_counter()
    sender.start()
    try:
        try:
            code = main(["run", "--in-place", "-q", str(src)])
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a press after the run has ended is dropped
            stop.set()
            sender.join()
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except KeyboardInterrupt:  # never let it reach pytest, which would stop the whole session
        pytest.fail("Ctrl-C escaped the command line (pressed again while it was stopping)")
    assert code == 130, f"the run ended ({code}) before an interrupt came: plan a larger workbook"
    assert capsys.readouterr().err == "planner: interrupted; no file was changed\n"
    assert digest(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.xlsx"]
    assert pressed and pressed[0] - t0 >= 1.0


def test_quiet_hides_the_progress_bar(tmp_path, capsys, monkeypatch):
    """In a terminal (rich told so by TTY_COMPATIBLE/TTY_INTERACTIVE) several workbooks show a progress bar
    with the file being planned; -q leaves only the summary table; one workbook never shows a bar."""
    for name, value in {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "TERM": "xterm", "COLUMNS": "200"}.items():
        monkeypatch.setenv(name, value)
    files = [str(write_blocks(tmp_path / f"{n}.xlsx", minimal_sheets())) for n in ("a", "b")]
    runs = {}
    for flag in ([], ["-q"]):
        out = tmp_path / ("quiet" if flag else "loud")
        out.mkdir()
        assert main(["run", *files, "-o", str(out), *flag]) == EXIT_OK
        runs[bool(flag)] = capsys.readouterr().out
        assert sorted(p.name for p in out.iterdir()) == ["a.planned.xlsx", "b.planned.xlsx"]
    loud, quiet = runs[False], runs[True]
    bar = [ln for ln in loud.splitlines() if "planning" in ln]
    assert bar and "planning b.xlsx" in bar[-1] and "━" in bar[-1] and "2/2" in bar[-1]  # file, bar, count
    assert "planning" not in quiet and "2/2" not in quiet
    for text in (loud, quiet):
        assert "planner run" in text and "2 planned, 0 failed" in text
    assert main(["run", files[0], "-o", str(tmp_path / "one.xlsx")]) == EXIT_OK
    assert "planning" not in capsys.readouterr().out


def test_a_bad_file_among_good_ones_fails_only_itself(tmp_path, capsys, wide):
    """A folder with two good workbooks, one missing its Items sheet and one that is not a workbook (plus a
    lock file and an earlier planned output, which are not picked up): the good ones are planned, each bad
    one is reported with its reason, and the exit code is 2 (the worst: a structural input problem)."""
    folder = tmp_path / "in"
    folder.mkdir()
    good = [write_blocks(folder / f"{n}.xlsx", minimal_sheets()) for n in ("a", "c")]
    bad = minimal_sheets()
    del bad["Items"]
    write_blocks(folder / "b.xlsx", bad)
    (folder / "d.xlsx").write_text("not a zip package")
    (folder / "~$a.xlsx").write_text("Excel's lock file")
    shutil.copyfile(good[0], folder / "old.planned.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["run", str(folder), "-o", str(out), "-q"]) == EXIT_INPUT
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["a.planned.xlsx", "c.planned.xlsx"]
    assert "2 planned, 2 failed" in text
    table = [ln for ln in text.splitlines() if "│" in ln and ".xlsx" in ln]
    assert [ln.split("│")[1].strip() for ln in table] == ["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"]
    n_rows = len(plan_workbook(good[0]).reorder)
    for line in table:
        cells = [c.strip() for c in line.split("│")[1:-1]]
        state = "failed" if cells[0] in ("b.xlsx", "d.xlsx") else "ok"
        assert cells[1] == state and cells[2] == str(n_rows if state == "ok" else 0)
    said = words(text)
    assert "b.xlsx: Sheet 'Items' is missing" in said
    assert "d.xlsx: " in said and "not a valid Excel workbook" in said


def test_batch_arguments_that_cannot_work_are_refused(tmp_path, capsys, wide):
    a = str(write_blocks(tmp_path / "a.xlsx", minimal_sheets()))
    b = str(write_blocks(tmp_path / "b.xlsx", minimal_sheets()))
    assert main(["run", a, b, "-o", str(tmp_path / "x.xlsx")]) == EXIT_INPUT
    assert "-o must be an existing folder when planning 2 workbooks" in words(capsys.readouterr().out)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", str(empty)]) == EXIT_INPUT
    assert f"planner: no workbook found in {empty}" in words(capsys.readouterr().out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx", "empty"]


def test_validate_counts_lists_and_exits_by_the_worst_workbook(tmp_path, capsys, wide):
    ok = write_blocks(tmp_path / "ok.xlsx", minimal_sheets())
    sheets = minimal_sheets()
    sheets["Items"] += [["C", "cheap", 1, 0.2], ["D", -1.0, 1, 0.2], ["E", 2.0, 1, 7]]  # 2 errors, 1 warning
    rows = write_blocks(tmp_path / "rows.xlsx", sheets)
    broken = minimal_sheets()
    del broken["Stock"]
    structural = write_blocks(tmp_path / "structural.xlsx", broken)

    assert main(["validate", str(ok)]) == EXIT_OK
    tables = load(ok).tables
    sizes = ", ".join(f"{k} {len(v)}" for k, v in tables.items() if len(v))
    assert capsys.readouterr().out == f"ok.xlsx: {sizes} rows; 0 issues (0 errors)\n"

    assert main(["validate", str(rows), "--show", "1"]) == EXIT_FAILED
    issues = load(rows).issues.frame()
    assert (issues["severity"] == "error").sum() == 2 and len(issues) == 3
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("3 issues (2 errors)")
    first = issues.iloc[0]
    assert lines[1].split() == ["error", f"Items!{first['column']}", "row", f"{first['row']}:",
                                *repr(first["value"]).split(), "-", *first["message"].split()]  # fmt: skip
    assert lines[2] == "  ... 2 more (all of them on the Issues sheet after a run)" and len(lines) == 3

    assert main(["validate", str(ok), str(structural), str(rows)]) == EXIT_INPUT
    said = words(capsys.readouterr().out)
    assert "planner: Sheet 'Stock' is missing" in said and "rows.xlsx: " in said and "ok.xlsx: " in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.xlsx", "rows.xlsx", "structural.xlsx"]


def test_new_writes_the_sample_and_refuses_a_missing_folder(tmp_path, capsys, wide):
    path = tmp_path / "s.xlsx"
    assert main(["new", str(path), "--sample", "--skus", "3", "--seed", "1"]) == EXIT_OK
    assert words(capsys.readouterr().out) == f"wrote sample {path}"
    assert len(load(path)["Items"]) == 3
    assert main(["new", str(tmp_path / "t.xlsx")]) == EXIT_OK
    assert all(len(t) == 0 for t in load(tmp_path / "t.xlsx").tables.values())
    missing = tmp_path / "nowhere" / "t.xlsx"
    assert main(["new", str(missing)]) == EXIT_INPUT  # an OutputError reaches main: one line on stderr
    err = capsys.readouterr().err
    assert err == f"planner: {missing}: the folder {missing.parent} does not exist\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.xlsx", "t.xlsx"]


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("planner ")
