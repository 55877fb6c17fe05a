"""The command line called in-process (``planner.channels.cli.main([...])``), so its branches count in
coverage: ``--debug``, Ctrl-C and SIGTERM, ``--quiet``, batches with bad files, ``validate`` and ``new``.
test_cli.py and test_first_hour.py run the same commands as a user does, in a real process."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import runpy
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT, minimal_sheets, write_blocks

from planner.channels.api import load, plan_workbook
from planner.channels.cli import EXIT_FAILED, EXIT_INPUT, EXIT_OK, main
from planner.workbook.template import write_template

BUNDLED_SAMPLE = ROOT / "workbook" / "sample.xlsx"  # 200 SKUs x 3 sites: several seconds to plan


def words(text: str) -> str:
    """Console text with rich's line wrapping undone."""
    return " ".join(text.split())


def count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def own_signal_handlers():
    """main() installs a SIGTERM handler in the process that calls it: put pytest's own back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


@pytest.fixture
def wide(monkeypatch):
    """A wide console, so rich does not wrap the paths the assertions look for."""
    monkeypatch.setenv("COLUMNS", "250")


def test_one_workbook_reports_what_the_plan_holds(tmp_path, capsys, wide):
    sheets = minimal_sheets()
    sheets["Items"].append(["C", "cheap", 1, 0.2])  # one data issue (an error: the row is skipped)
    src = write_blocks(tmp_path / "a.xlsx", sheets)
    assert main(["run", str(src)]) == EXIT_OK
    out = words(capsys.readouterr().out)
    want = plan_workbook(src)  # the API's own result, counted here independently of the command line
    data = want.issues[want.issues["category"] == "data"]
    orders = int((want.reorder["suggested_order"] > 0).sum())
    assert out.startswith(f"planned {len(want.reorder)} SKU-sites of a.xlsx in ")
    assert f": {count(orders, 'order')} to place; {count(len(data), 'data issue')} " \
        f"({count(int((data['severity'] == 'error').sum()), 'error')}). " in out  # fmt: skip
    assert out.endswith(f"Result: {tmp_path / 'a.planned.xlsx'}")
    assert "Reorder Plan" in openpyxl.load_workbook(tmp_path / "a.planned.xlsx", read_only=True).sheetnames
    assert main(["run", str(src), "-o", str(tmp_path / "quiet.xlsx"), "-q"]) == EXIT_OK
    assert capsys.readouterr().out == "" and (tmp_path / "quiet.xlsx").exists()  # -q: success is silent


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
    assert "in plan_workbook" in debug.err and debug.err.rstrip().endswith("ValueError: embedded null byte")
    assert list(tmp_path.iterdir()) == [src]


def interrupt_the_run(signum: int, argv: list[str]) -> tuple[int, list[float], float]:
    """main(argv) while another thread sends ``signum`` to this process 1 s in, and again every 0.5 s while
    the run goes on (as a user presses Ctrl-C again: Python drops an interrupt raised inside a finaliser).
    Returns the exit code, the times of the signals and the start time."""
    stop, sent = threading.Event(), []

    def send() -> None:
        if stop.wait(1.0):
            return
        while True:
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signum)
            if stop.wait(0.5):
                return

    sender = threading.Thread(target=send)
    t0 = time.perf_counter()
    sender.start()
    try:
        try:
            code = main(argv)
        finally:
            signal.signal(signum, signal.SIG_IGN)  # a signal after the run has ended is dropped
            stop.set()
            sender.join()
    except KeyboardInterrupt:  # never let it reach pytest, which would stop the whole session
        pytest.fail("the interrupt escaped the command line (signalled again while it was stopping)")
    return code, sent, t0


def test_ctrl_c_stops_the_run_exit_130_and_no_file_changed(tmp_path, capsys):
    """A real SIGINT (what Ctrl-C sends) 1 s into planning the 200-SKU sample in place: main's own handler
    (planner.workbook.interrupts, installed whatever the handler before it: a test runner started in the
    background inherits SIGINT ignored) raises KeyboardInterrupt wherever the run is; the command line exits 130
    and the workbook is byte for byte the one it was, with no temporary file left beside it."""
    src = tmp_path / "sample.xlsx"
    shutil.copyfile(BUNDLED_SAMPLE, src)
    before = digest(src)
    code, sent, t0 = interrupt_the_run(signal.SIGINT, ["run", "--in-place", "-q", str(src)])
    assert code == 130, f"the run ended ({code}) before an interrupt came: plan a larger workbook"
    assert capsys.readouterr().err == "planner: interrupted; no file was changed\n"
    assert digest(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.xlsx"]
    assert sent and sent[0] - t0 >= 1.0


def test_sigterm_stops_the_run_like_ctrl_c(tmp_path, capsys):
    """SIGTERM (kill, a service manager stopping) while planning: main's own handler turns it into the
    Ctrl-C path. Until main installs it, a handler of the test's only counts (so a missing handler in main
    shows as a finished run, not as a killed pytest)."""
    early = []
    signal.signal(signal.SIGTERM, lambda signum, frame: early.append(signum))
    src = tmp_path / "sample.xlsx"
    shutil.copyfile(BUNDLED_SAMPLE, src)
    out = tmp_path / "out.xlsx"
    code, sent, _ = interrupt_the_run(signal.SIGTERM, ["run", str(src), "-o", str(out), "-q"])
    assert code == 130 and not early and sent
    assert capsys.readouterr().err == "planner: interrupted; no file was changed\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.xlsx"]


def test_a_stop_once_a_batch_saved_its_first_workbook_names_what_was_saved(tmp_path, capsys):
    """SIGTERM the moment the first planned copy of a batch of two is in place (a real signal, sent as the
    save returns; Python runs the handler there): exit 130, the message names that copy (complete, it
    stays) and says nothing else changed; the second workbook is not planned, no temporary is left."""
    from planner.workbook.save import atomic_save

    a, b = (write_blocks(tmp_path / f"{n}.xlsx", minimal_sheets()) for n in "ab")
    before = {p.name: digest(p) for p in (a, b)}

    def signal_once_saved(frame, event, arg):
        if event == "return" and frame.f_code is atomic_save.__code__:
            sys.setprofile(None)
            os.kill(os.getpid(), signal.SIGTERM)

    sys.setprofile(signal_once_saved)
    try:
        code = main(["run", str(a), str(b), "-o", str(tmp_path / "out"), "-q"])
    finally:
        sys.setprofile(None)
    first = tmp_path / "out" / "a.planned.xlsx"
    assert code == 130
    assert (
        capsys.readouterr().err == f"planner: interrupted; saved before the stop: {first}; no other file was changed\n"
    )
    assert "Reorder Plan" in openpyxl.load_workbook(first, read_only=True).sheetnames
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.planned.xlsx"]
    assert {p.name: digest(p) for p in (a, b)} == before


def test_main_in_another_thread_leaves_the_signal_handlers_alone(tmp_path, capsys):
    """Python lets only the main thread set signal handlers; main() called from a worker thread (as a server
    would) runs without its SIGTERM handler instead of failing."""
    src = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    before = signal.getsignal(signal.SIGTERM)
    codes = []
    worker = threading.Thread(target=lambda: codes.append(main(["validate", str(src)])))
    worker.start()
    worker.join()
    assert codes == [EXIT_OK] and signal.getsignal(signal.SIGTERM) is before
    assert capsys.readouterr().out.startswith("a.xlsx: rows read: ")


def test_quiet_hides_the_progress_bar_and_the_table(tmp_path, capsys, monkeypatch):
    """In a terminal (rich told so by TTY_COMPATIBLE/TTY_INTERACTIVE) several workbooks show a progress bar
    with the file being planned, then the summary table; -q leaves only the closing count; one workbook never
    shows a bar."""
    for name, value in {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "TERM": "xterm", "COLUMNS": "200"}.items():
        monkeypatch.setenv(name, value)
    files = [str(write_blocks(tmp_path / f"{n}.xlsx", minimal_sheets())) for n in ("a", "b")]
    runs = {}
    for flag in ([], ["-q"]):
        out = tmp_path / ("quiet" if flag else "loud")
        assert main(["run", *files, "-o", str(out), *flag]) == EXIT_OK  # the folder is created
        runs[bool(flag)] = capsys.readouterr().out
        assert sorted(p.name for p in out.iterdir()) == ["a.planned.xlsx", "b.planned.xlsx"]
    loud, quiet = runs[False], runs[True]
    bar = [ln for ln in loud.splitlines() if "planning" in ln]
    assert bar and "planning b.xlsx" in bar[-1] and "━" in bar[-1] and "2/2" in bar[-1]  # file, bar, count
    assert "planner run" in loud and "2 planned, 0 failed" in loud
    assert words(quiet) == "2 planned, 0 failed"
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
    assert main(["run", str(folder), "-o", str(out)]) == EXIT_INPUT
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["a.planned.xlsx", "c.planned.xlsx"]
    assert text.rstrip().endswith("2 planned, 2 failed")
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
    (tmp_path / "x.xlsx").write_text("a file where the output folder should be")
    assert main(["run", a, b, "-o", str(tmp_path / "x.xlsx")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err == f"planner: -o {tmp_path / 'x.xlsx'}: is a file; with 2 workbooks -o must be a folder\n"
    assert main(["run", a, b, "-o", str(tmp_path / "x.xlsx" / "out")]) == EXIT_INPUT
    assert "the folder cannot be created (Not a directory)" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", str(empty)]) == EXIT_INPUT
    assert f"planner: no workbook found in {empty}" in words(capsys.readouterr().out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx", "empty", "x.xlsx"]


def test_validate_counts_lists_and_exits_by_the_worst_workbook(tmp_path, capsys, wide):
    ok = write_blocks(tmp_path / "ok.xlsx", minimal_sheets())
    sheets = minimal_sheets()
    sheets["Items"] += [["C", "cheap", 1, 0.2], ["D", -1.0, 1, 0.2], ["E", 2.0, 1, 7],
                        ["F", dt.datetime(2026, 1, 5), 1, 0.2]]  # 3 errors, 1 warning  # fmt: skip
    rows = write_blocks(tmp_path / "rows.xlsx", sheets)
    broken = minimal_sheets()
    del broken["Stock"]
    structural = write_blocks(tmp_path / "structural.xlsx", broken)
    empty = write_template(tmp_path / "empty.xlsx")

    assert main(["validate", str(ok)]) == EXIT_OK
    sizes = ", ".join(f"{k} {len(v)}" for k, v in load(ok).tables.items() if len(v))
    assert capsys.readouterr().out == f"ok.xlsx: rows read: {sizes}; 0 issues (0 errors)\n"

    assert main(["validate", str(rows), "--show", "1"]) == EXIT_FAILED
    issues = load(rows).issues.frame()
    assert (issues["severity"] == "error").sum() == 3 and len(issues) == 4
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("; 4 issues (3 errors)")
    first = issues.iloc[0]
    assert lines[1] == (f"  {first['severity']:7} {first['sheet']} row {first['row']}, column {first['column']} "
                        f"(found {first['value']!r}): {first['message']}")  # fmt: skip
    assert lines[2] == "  ... 3 more (all of them on the Issues sheet after a run)" and len(lines) == 3
    assert main(["validate", str(rows), "--show", "4"]) == EXIT_FAILED
    shown = " | ".join(capsys.readouterr().out.splitlines()[1:])
    for found in ("'cheap'", "-1", "2026-01-05", "7"):  # text quoted, numbers as typed, dates in ISO
        assert f"(found {found}):" in shown

    assert main(["validate", str(empty)]) == EXIT_INPUT
    said = words(capsys.readouterr().out)
    assert said == "empty.xlsx: nothing to plan, sheet 'Stock' has no usable rows (every sheet is empty)"

    assert main(["validate", str(ok), str(structural), str(rows)]) == EXIT_INPUT
    said = words(capsys.readouterr().out)
    assert "planner: Sheet 'Stock' is missing" in said and "rows.xlsx: " in said and "ok.xlsx: " in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.xlsx", "ok.xlsx", "rows.xlsx", "structural.xlsx"]


def test_new_writes_the_sample_or_the_template_and_protects_files(tmp_path, capsys, wide):
    path = tmp_path / "s.xlsx"
    assert main(["new", str(path), "--sample", "--skus", "3", "--seed", "1"]) == EXIT_OK
    assert words(capsys.readouterr().out) == f"wrote sample {path}"
    assert len(load(path)["Items"]) == 3
    before = digest(path)
    assert main(["new", str(path)]) == EXIT_INPUT
    assert "already exists" in capsys.readouterr().err and digest(path) == before
    assert main(["new", str(path), "--force"]) == EXIT_OK
    assert words(capsys.readouterr().out) == f"wrote template {path}"
    assert all(len(t) == 0 for t in load(path).tables.values())
    missing = tmp_path / "nowhere" / "t.xlsx"
    assert main(["new", str(missing)]) == EXIT_INPUT  # an OutputError reaches main: one line on stderr
    assert capsys.readouterr().err == f"planner: {missing}: the folder {missing.parent} does not exist\n"
    assert main(["new", str(tmp_path / "t.csv")]) == EXIT_INPUT
    assert capsys.readouterr().err.endswith("a new workbook must be named .xlsx or .xlsm\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.xlsx"]


def test_python_m_planner_runs_the_command_line(tmp_path, capsys, monkeypatch):
    """``python -m planner`` (planner/__main__.py, planner.channels.entry) in this process: main()'s exit code
    as the process's, and the stop signals ignored once the run has settled (the process only exits then);
    this test puts pytest's handlers back."""
    src = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    monkeypatch.setattr(sys, "argv", ["planner", "validate", str(src)])
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_module("planner", run_name="__main__")
        settled = [signal.getsignal(sig) for sig in handlers]
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert done.value.code == EXIT_OK and capsys.readouterr().out.startswith("a.xlsx: rows read: ")
    assert settled == [signal.SIG_IGN, signal.SIG_IGN]


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("planner ")


def test_an_error_a_stop_caused_is_the_stop(tmp_path, capsys, monkeypatch):
    """A module whose initialisation a stop cut raises ImportError, not KeyboardInterrupt: after a recorded
    stop, main() reports the interruption (130, no traceback); the same error without a stop is a failure
    and propagates."""
    from planner.channels import cli
    from planner.workbook import interrupts

    def cut_import(args, console):
        interrupts.record_stop(signal.SIGTERM, None)  # the handler ran inside an extension's initialisation
        raise ImportError("initialization failed")

    src = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    monkeypatch.setattr(cli, "cmd_validate", cut_import)
    assert main(["validate", str(src)]) == 130
    assert "interrupted; no file was changed" in capsys.readouterr().err

    def broken(args, console):
        raise ImportError("broken")

    monkeypatch.setattr(cli, "cmd_validate", broken)
    with pytest.raises(ImportError, match="broken"):
        main(["validate", str(src)])


class SignalAtOpcode:
    """A tracer that sends ``sig`` to this process at the n-th bytecode executed in ``codes`` (the entry's and
    the command line's own functions, not what they call) from the moment planner's handler replaced the
    caller's: Python runs the handler at the next bytecode boundary, as for a signal arriving from outside at
    that instant."""

    def __init__(self, n: int, codes: set, sig: int):
        self.n, self.codes, self.sig, self.seen, self.sent = n, codes, sig, 0, False
        self.outside = signal.getsignal(sig)  # the caller's handler: counting starts once planner's is in

    def __call__(self, frame, event, arg):
        if frame.f_code not in self.codes:
            return None
        frame.f_trace_opcodes = True
        if event == "opcode" and signal.getsignal(self.sig) is not self.outside:
            self.seen += 1
            if self.seen == self.n:
                self.sent = True
                os.kill(os.getpid(), self.sig)
        return self


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_at_every_bytecode_of_the_entry_and_the_command_line_ends_cleanly(tmp_path, capsys, sig):
    """planner.channels.entry.main (the ``planner`` script) validating a workbook in this process, the signal
    sent at the n-th bytecode of the entry, the command line's main, its commands' loop, stop_on_signals and
    interrupts_allowed, for every n: main returns (no exception escapes, nothing printed about one), 130 with
    the one-line message while the run is on, 0 once it has settled; the stop signals are ignored afterwards
    and no stop stays recorded; every moment before the run's end stops it, every later one is ignored. The
    hand-offs between handlers (the entry's, the run's, the settled state) once let a stop land where nothing
    caught it: a traceback (review finding)."""
    from planner.channels import cli, entry
    from planner.workbook import interrupts

    src = write_blocks(tmp_path / "a.xlsx", minimal_sheets())
    functions = (entry.main, entry._settle, cli.main, cli.cmd_validate, interrupts.stop_on_signals.__wrapped__,
                 interrupts.interrupts_allowed.__wrapped__)  # fmt: skip
    codes = {f.__code__ for f in functions}
    handlers = {s: signal.getsignal(s) for s in interrupts.STOP_SIGNALS}
    ended = []
    try:
        for n in itertools.count(1):
            at = SignalAtOpcode(n, codes, sig)
            sys.settrace(at)
            try:
                code = entry.main(["validate", str(src)])
            finally:
                sys.settrace(None)
            out, err = capsys.readouterr()
            settled = [signal.getsignal(s) for s in interrupts.STOP_SIGNALS]
            for s, handler in handlers.items():
                signal.signal(s, handler)
            if not at.sent:  # n beyond the last bytecode: every moment was tried
                assert code == EXIT_OK
                break
            assert code in (EXIT_OK, 130), n
            assert "Traceback" not in err and "Exception ignored" not in err, (n, err)
            assert code == EXIT_OK or "planner: interrupted; no file was changed" in err, (n, err)
            assert settled == [signal.SIG_IGN, signal.SIG_IGN] and not interrupts.stop_requested(), n
            assert interrupts._Stops.deferring == 0, n
            ended.append(code)
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
    # one switch: every moment up to the end of the run stops it, every later one is ignored
    switch = ended.index(EXIT_OK)
    assert len(ended) > 100 and switch > len(ended) / 2
    assert ended == [130] * switch + [EXIT_OK] * (len(ended) - switch)
