"""The Python API behind every channel: read -> validate -> plan -> (write)."""

from __future__ import annotations

import io
from pathlib import Path

from planner.model.errors import OutputError
from planner.model.inputs import Inputs
from planner.model.results import PlanResult
from planner.pipeline.plan import plan
from planner.workbook.layout import sheet_names
from planner.workbook.merge import merge_output, uses_1904_dates
from planner.workbook.merge import sheet_names as workbook_sheets
from planner.workbook.read import EXCEL_SUFFIXES, check_workbook_file, read_inputs
from planner.workbook.save import atomic_save, check_writable
from planner.workbook.validate import validate_inputs
from planner.workbook.write_openpyxl import output_package


def default_output(path: Path) -> Path:
    """IN.xlsx -> IN.planned.xlsx beside it (IN.xlsm -> IN.planned.xlsm, so macros stay enabled)."""
    return path.with_name(f"{path.stem}.planned{path.suffix}")


def check_output_name(source: Path, dest: Path) -> None:
    """The planned copy keeps its input's kind: .xlsx stays .xlsx and .xlsm (macros) stays .xlsm, since the
    file's inside says which it is and Excel refuses a workbook whose name says otherwise."""
    if dest.suffix.lower() not in EXCEL_SUFFIXES:
        raise OutputError(f"{dest}: the planned workbook must be named .xlsx or .xlsm, like {source.name}")
    if (dest.suffix.lower() == ".xlsm") != (source.suffix.lower() == ".xlsm"):
        raise OutputError(f"{dest}: {source.name} is a {source.suffix.lower()} workbook; name the planned copy "
                          f"{dest.stem}{source.suffix.lower()}")  # fmt: skip


def load(path: str | Path, data: bytes | None = None) -> Inputs:
    """Read and validate the input sheets (raises InputError on structural problems); ``data``: the file's
    bytes when the caller has read them already."""
    return validate_inputs(read_inputs(Path(path), data))


def write_result(source: str | Path, result: PlanResult, dest: str | Path, data: bytes | None = None) -> Path:
    """Write the output sheets into a copy of ``source`` (its bytes ``data``: the very bytes that were planned)
    saved atomically at ``dest`` (may be ``source``; a symbolic link is followed, so the workbook it points
    to is the one replaced). Writing over the source is refused when the file changed since it was read."""
    source, dest = Path(source), Path(dest).resolve()
    data = source.read_bytes() if data is None else data
    check_writable(dest)
    names = sheet_names(result, existing=workbook_sheets(io.BytesIO(data)))
    package = output_package(result, names, date1904=uses_1904_dates(io.BytesIO(data)))

    def write(tmp: str) -> None:
        merge_output(io.BytesIO(data), package, tmp, list(names))
        if dest == source.resolve() and dest.read_bytes() != data:
            raise OutputError(f"{source}: the workbook changed on disk while it was being planned (saved by someone "
                              "else?); nothing was written, run again")  # fmt: skip

    return atomic_save(dest, write)


def plan_workbook(path: str | Path, output: str | Path | None = None, in_place: bool = False) -> PlanResult:
    """Plan a workbook; with ``output`` or ``in_place`` also write the planned workbook. The file is read
    once: the plan and the merged output come from the same bytes."""
    path = Path(path)
    if output is not None and not in_place:
        check_output_name(path, Path(output))
    data = check_workbook_file(path)
    result = plan(load(path, data), source=str(path))
    if in_place:
        write_result(path, result, path, data)
    elif output is not None:
        write_result(path, result, output, data)
    return result
