"""Atomic saves: write a temporary file in the destination folder, flush it to disk, then rename it over the
destination in one step (os.replace). A crash or kill at any moment leaves either the old file or the new
one, never a half-written workbook."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from planner.model.errors import OutputError
from planner.workbook.interrupts import (
    interrupts_allowed,
    interrupts_deferred,
    note_saved,
    raise_if_stop_requested,
)


def lock_file(path: Path) -> Path | None:
    """The lock file Excel (~$name) or LibreOffice (.~lock.name#) keeps while the workbook is open."""
    for candidate in (path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")):
        if candidate.exists():
            return candidate
    return None


def check_writable(path: Path) -> None:
    """Refuse early, with a clear message, when the destination is open elsewhere or not writable."""
    lock = lock_file(path)
    if lock is not None:
        raise OutputError(f"{path}: the file is open in another program ({lock.name} exists); close it and re-run")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{path}: not writable (check the file and folder permissions)")


TEMP_PREFIX = ".~planner-"
STALE_AFTER_S = 3600  # a temporary without a live owner, or older than this, is left from a killed save


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete temporaries an earlier save of ``path`` left behind when it was killed (kill -9, power cut):
    those whose process is gone, or, for a name without a process id, older than an hour."""
    removed = []
    for tmp in Path(path.parent or ".").glob(f"{TEMP_PREFIX}{path.stem}-*{path.suffix}"):
        pid = tmp.name[len(TEMP_PREFIX) + len(path.stem) + 1 :].split("-", 1)[0]
        alive = pid.isdigit() and _process_alive(int(pid))
        old = time.time() - tmp.stat().st_mtime > STALE_AFTER_S
        if (pid.isdigit() and not alive) or (not pid.isdigit() and old):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_save(path: Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` atomically. A stop (Ctrl-C,
    SIGTERM) at any moment leaves ``path`` as it was and no temporary: only ``write`` and the flush may be
    cut; creating the temporary, the last check before the rename, the rename and the removal may not
    (planner/workbook/interrupts.py). A stop arriving during the rename or after it cannot undo the save: it
    is raised once the rename is done."""
    path = Path(path)
    check_writable(path)
    remove_stale_temporaries(path)
    with interrupts_deferred():
        tmp = _new_temporary(path)
        try:
            with interrupts_allowed():
                write(tmp)
                _flush(tmp, path)
            raise_if_stop_requested()  # one Python dropped in a finaliser while writing: nothing is saved
            os.replace(tmp, path)
            note_saved(str(path))
        except PermissionError as exc:
            raise OutputError(f"{path}: cannot be replaced, the file is open in another program or read-only "
                              f"({exc.strerror})") from exc  # fmt: skip
        except OSError as exc:
            raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
        finally:
            if os.path.exists(tmp):
                with contextlib.suppress(OSError):  # a folder turned read-only: the next run removes it
                    os.unlink(tmp)
    return path


def _new_temporary(path: Path) -> str:
    """An empty temporary file beside ``path``, named after it and this process (so a later run can tell a
    left-over of a killed process)."""
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.stem}-{os.getpid()}-", suffix=path.suffix,
                               dir=path.parent or ".")  # fmt: skip
    os.close(fd)
    return tmp


def _flush(tmp: str, path: Path) -> None:
    """The written temporary on disk, with the permissions of the file it replaces (or the umask's)."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
