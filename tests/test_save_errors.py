"""Saving where the operating system refuses: a read-only folder, a read-only file, a folder that becomes
read-only while the planned workbook is being saved, a 'folder' that is a file, a destination that is a
folder. Each gives one clear OutputError (exit 2 from the command line) and leaves no file behind.

Read-only is made for real: ``chmod`` for an ordinary user; as root (who may write whatever the permission
bits say) the ext4 immutable attribute (``chattr +i``), which stops root too. A probe write checks the OS
really refuses before a test relies on it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import minimal_sheets, write_blocks

from planner.channels.api import plan_workbook, write_result
from planner.channels.cli import EXIT_INPUT, main
from planner.model.errors import OutputError
from planner.workbook.save import atomic_save

ROOT_USER = os.geteuid() == 0


def _chattr(path: Path, flag: str) -> bool:
    chattr = shutil.which("chattr")
    return chattr is not None and subprocess.run([chattr, flag, str(path)], capture_output=True).returncode == 0


def lock(path: Path) -> None:
    """Make a folder or file read-only for this process, root included; skip when this file system cannot."""
    if ROOT_USER:
        if not _chattr(path, "+i"):
            pytest.skip(f"running as root and {path.parent} does not take the immutable attribute (chattr +i)")
    else:
        path.chmod(0o555 if path.is_dir() else 0o444)
    probe = path / "probe" if path.is_dir() else path
    try:
        with open(probe, "a"):
            pass
    except PermissionError:
        return
    unlock(path)
    (path / "probe").unlink() if path.is_dir() else None
    pytest.skip(f"{path} could not be made read-only here")


def unlock(path: Path) -> None:
    if ROOT_USER:
        _chattr(path, "-i")
    else:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def locked(tmp_path):
    """lock(path) for the test; every locked path is unlocked afterwards (pytest can clean up)."""
    done: list[Path] = []

    def make(path: Path) -> Path:
        lock(path)
        done.append(path)
        return path

    yield make
    for path in reversed(done):
        unlock(path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_read_only_output_folder(tmp_path, locked, capsys):
    src = write_blocks(tmp_path / "in.xlsx", minimal_sheets())
    folder = tmp_path / "ro"
    folder.mkdir()
    locked(folder)
    dest = folder / "out.xlsx"
    with pytest.raises(OutputError) as err:
        plan_workbook(src, output=dest)
    assert str(err.value) == f"{dest}: not writable (check the file and folder permissions)"
    assert main(["run", str(src), "-o", str(dest)]) == EXIT_INPUT
    assert " ".join(capsys.readouterr().out.split()) == f"planner: {dest}: not writable (check the file and " \
        "folder permissions)"  # fmt: skip
    assert list(folder.iterdir()) == []


def test_in_place_in_a_read_only_folder_changes_nothing(tmp_path, locked):
    folder = tmp_path / "ro"
    folder.mkdir()
    src = write_blocks(folder / "in.xlsx", minimal_sheets())
    before = digest(src)
    locked(folder)
    with pytest.raises(OutputError, match="not writable"):
        plan_workbook(src, in_place=True)
    assert digest(src) == before and [p.name for p in folder.iterdir()] == ["in.xlsx"]


def test_a_read_only_destination_file_is_not_replaced(tmp_path, locked):
    src = write_blocks(tmp_path / "in.xlsx", minimal_sheets())
    dest = tmp_path / "out.xlsx"
    dest.write_bytes(b"an earlier result")
    locked(dest)
    with pytest.raises(OutputError, match="not writable"):
        plan_workbook(src, output=dest)
    assert dest.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]


def test_a_folder_that_turns_read_only_during_the_save(tmp_path, locked):
    """The checks pass, the temporary file is written, then the folder is made read-only (a share remounted
    read-only, permissions changed by someone else) before the rename."""
    folder = tmp_path / "share"
    folder.mkdir()
    dest = folder / "out.xlsx"

    def write(tmp: str) -> None:
        Path(tmp).write_bytes(b"a planned workbook")
        locked(folder)

    with pytest.raises(OutputError, match="cannot be replaced"):
        atomic_save(dest, write)
    assert not dest.exists()


def test_a_folder_that_is_a_file(tmp_path):
    """A path whose parent is a file: no permission bit involved, so this holds for root too."""
    src = write_blocks(tmp_path / "in.xlsx", minimal_sheets())
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    dest = tmp_path / "notes.txt" / "out.xlsx"
    with pytest.raises(OutputError) as err:
        plan_workbook(src, output=dest)
    assert str(err.value) == f"{dest}: the folder {dest.parent} does not exist"
    assert (tmp_path / "notes.txt").read_text() == "a file, not a folder"


def test_a_destination_that_is_a_folder_fails_at_the_rename_and_cleans_up(tmp_path):
    """The checks pass (the folder exists and is writable), the workbook is written to a temporary file, and
    the rename onto the folder fails (EISDIR): an OutputError, the folder untouched, no temporary file."""
    src = write_blocks(tmp_path / "in.xlsx", minimal_sheets())
    dest = tmp_path / "out.xlsx"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    result = plan_workbook(src)
    with pytest.raises(OutputError) as err:
        write_result(src, result, dest)
    assert str(err.value) == f"{dest}: cannot be written (Is a directory)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]
