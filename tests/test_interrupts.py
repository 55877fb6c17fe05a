"""A stop (SIGTERM, Ctrl-C) at any moment of a save leaves the destination as it was and no temporary beside
it. The signal is a real one, sent to this process at a chosen moment: the n-th bytecode the save executes
(its own, and those of tempfile, os.path, contextlib and the writer it calls), for every n. Python runs the
handler there, as it would for a signal arriving from outside at that instant (it runs handlers between
bytecodes). tests/test_hostile.py sends SIGTERM to a real ``planner run`` at a moment it cannot choose."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import tempfile
from pathlib import Path

from planner.workbook.interrupts import interrupts_allowed, stop_on_signals
from planner.workbook.save import TEMP_PREFIX, atomic_save

OLD, NEW = b"the workbook as it was\n", b"the planned workbook\n" * 1000


def write_new(tmp: str) -> None:
    with open(tmp, "wb") as fh:
        fh.write(NEW)


class SignalAt:
    """A tracer that sends SIGTERM to this process at the n-th bytecode executed from the moment the save
    starts creating its temporary (``tempfile.mkstemp`` is called: before that nothing exists that could be
    left behind) in the save and everything it calls; n = 0: never."""

    def __init__(self, n: int):
        self.n, self.seen, self.armed, self.sent = n, 0, False, False

    def __call__(self, frame, event, arg):
        if frame.f_code is tempfile.mkstemp.__code__:
            self.armed = True
        if not self.armed and frame.f_code is not atomic_save.__code__:
            return None  # what runs before the temporary exists (checks, stale clean-up): not traced
        frame.f_trace_opcodes = True
        if event == "opcode" and self.armed:
            self.seen += 1
            if self.seen == self.n:
                sys.settrace(None)
                self.sent = True
                os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at the next bytecode boundary
        return self


def save_signalled_at(n: int, dest: Path, write=write_new) -> tuple[str, SignalAt]:
    """atomic_save(dest, write) under the command line's handlers with SignalAt(n). Returns how it ended
    ("saved" or "interrupted") and the tracer (was the signal sent)."""
    at = SignalAt(n)
    with stop_on_signals():
        try:
            with interrupts_allowed():  # as the command line does: stops raise inside the try that catches them
                sys.settrace(at)
                try:
                    atomic_save(dest, write)
                finally:
                    sys.settrace(None)
        except KeyboardInterrupt:
            return "interrupted", at
        return "saved", at


def test_sigterm_at_every_bytecode_of_a_save_leaves_the_old_file_or_the_new_one_and_no_temporary(tmp_path):
    dest = tmp_path / "out.xlsx"
    found = []  # the destination after a stop at each moment
    for n in itertools.count(1):
        dest.write_bytes(OLD)
        ended, at = save_signalled_at(n, dest)
        left = [p.name for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]
        assert not left, f"SIGTERM at bytecode {n}: {left} left behind"
        if not at.sent:  # n beyond the save's last bytecode: every moment was tried
            assert ended == "saved" and dest.read_bytes() == NEW
            break
        assert ended == "interrupted", f"SIGTERM at bytecode {n} did not stop the run"
        assert dest.read_bytes() in (OLD, NEW), f"bytecode {n}: a partial file"
        found.append(dest.read_bytes() == NEW)
    # a stop before the rename leaves the old file, a stop during or after it (the rename cannot be undone)
    # finds the new one complete: one switch, no mixture
    switch = found.index(True)
    assert not any(found[:switch]) and all(found[switch:])
    assert switch > len(found) / 2  # the rename comes late: most moments are before it
    assert len(found) > 300  # mkstemp, the write, the flush, the rename and the clean-up were all traced


class SignalsWhileCollected:
    """An object whose finaliser is where the signal lands (as in a ZipFile the garbage collector closes):
    Python prints and drops the KeyboardInterrupt the handler raises there."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


def test_a_stop_python_drops_in_a_finaliser_still_stops_the_save(tmp_path):
    dropped = []
    dest = tmp_path / "out.xlsx"
    dest.write_bytes(OLD)

    def write(tmp: str) -> None:
        write_new(tmp)
        SignalsWhileCollected()  # collected at once: SIGTERM inside its __del__

    before = sys.unraisablehook
    sys.unraisablehook = dropped.append  # what Python would print as "Exception ignored in ..."
    try:
        ended, _ = save_signalled_at(0, dest, write)
    finally:
        sys.unraisablehook = before
    assert ended == "interrupted" and dest.read_bytes() == OLD
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert dropped == []  # the command line does not print the dropped interrupt: it acts on it
