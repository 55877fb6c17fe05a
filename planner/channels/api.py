"""The Python API behind every channel: read -> validate -> plan -> (write)."""

from __future__ import annotations

from pathlib import Path

from planner.model.errors import OutputError
from planner.model.inputs import Inputs
from planner.model.results import PlanResult
from planner.pipeline.plan import plan
from planner.workbook.layout import sheet_names
from planner.workbook.package import merge_output
from planner.workbook.package import sheet_names as workbook_sheets
from planner.workbook.read import EXCEL_SUFFIXES, read_inputs
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


def load(path: str | Path) -> Inputs:
    """Read and validate the input sheets (raises InputError on structural problems)."""
    return validate_inputs(read_inputs(Path(path)))


def write_result(source: str | Path, result: PlanResult, dest: str | Path) -> Path:
    """Write the output sheets into a copy of ``source`` saved atomically at ``dest`` (may be ``source``)."""
    dest = Path(dest)
    check_writable(dest)
    names = sheet_names(result, existing=workbook_sheets(source))
    package = output_package(result, names)
    return atomic_save(dest, lambda tmp: merge_output(str(source), package, tmp, list(names)))


def plan_workbook(path: str | Path, output: str | Path | None = None, in_place: bool = False) -> PlanResult:
    """Plan a workbook; with ``output`` or ``in_place`` also write the planned workbook."""
    path = Path(path)
    if output is not None and not in_place:
        check_output_name(path, Path(output))
    result = plan(load(path), source=str(path))
    if in_place:
        write_result(path, result, path)
    elif output is not None:
        write_result(path, result, output)
    return result
