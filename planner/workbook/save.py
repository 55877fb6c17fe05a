"""Atomic saves: write a temporary file in the destination folder, flush it to disk, then rename it over the
destination in one step (os.replace). A crash or kill at any moment leaves either the old file or the new
one, never a half-written workbook."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from planner.model.errors import OutputError


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_save(path: Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` atomically."""
    path = Path(path)
    check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".~planner-{path.stem}-", suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except PermissionError as exc:
        raise OutputError(f"{path}: cannot be replaced, the file is open in another program or read-only "
                          f"({exc.strerror})") from exc  # fmt: skip
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
