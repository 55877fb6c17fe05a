"""The command line: ``planner run``, ``planner validate``, ``planner new``. Translates arguments, calls
the API, and reports; a user never sees a traceback (``--debug`` shows one)."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from planner._version import __version__
from planner.channels.api import default_output, load, plan_workbook
from planner.model.errors import OutputError, PlannerError
from planner.pipeline.network import summary
from planner.workbook.interrupts import (
    interrupts_allowed,
    raise_if_stop_requested,
    saved_before_stop,
    stop_on_signals,
    stop_requested,
)
from planner.workbook.read import EXCEL_SUFFIXES

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def _workbooks(paths: list[str]) -> list[Path]:
    """Files as given; folders expanded to the workbooks inside (not planned outputs, locks or temps)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f for f in p.iterdir()
                if f.suffix.lower() in EXCEL_SUFFIXES and ".planned." not in f.name
                and not f.name.startswith(("~$", ".~"))
            )  # fmt: skip
        else:
            out.append(p)
    return out


def _destination(src: Path, args, many: bool) -> Path | None:
    """Where the planned copy of ``src`` goes: None (in place), beside it, into the -o folder, or -o itself."""
    if args.in_place:
        return None
    if args.output is None:
        return default_output(src)
    out = Path(args.output)
    if many or out.is_dir() or _names_a_folder(args.output):
        return out / default_output(src).name
    return out


def _names_a_folder(output: str) -> bool:
    """-o ending in a path separator names a folder even when it does not exist yet."""
    return output.endswith(("/", "\\"))


def _prepare_output_folder(args, files: list[Path]) -> None:
    """With several inputs (or -o ending in a separator) -o is a folder: created when missing."""
    if not args.output or not (len(files) > 1 or _names_a_folder(args.output)):
        return
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"-o {folder}: is a file; with {len(files)} workbooks -o must be a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"-o {folder}: the folder cannot be created ({exc.strerror or exc})") from exc


@dataclass(frozen=True)
class RunRow:
    """One workbook's line in the run summary."""

    workbook: str
    ok: bool
    where: str  # the result's path, or the problem in words
    seconds: float
    sku_sites: int = 0
    orders: int = 0
    data_issues: int = 0
    errors: int = 0
    plan_exceptions: int = 0
    network: str = ""


def _plan_one(src: Path, args, many: bool) -> tuple[RunRow, int]:
    t0 = time.perf_counter()
    try:
        dest = _destination(src, args, many)
        res = plan_workbook(src, output=dest, in_place=args.in_place)
    except PlannerError as exc:
        return RunRow(src.name, False, str(exc), time.perf_counter() - t0), EXIT_INPUT
    except Exception as exc:  # an unexpected failure: say so plainly, go on with the next file
        if stop_requested():  # what a stop cut (a module's initialisation, say): the stop, not a failure
            raise KeyboardInterrupt from exc
        if args.debug:
            traceback.print_exc()
        return RunRow(src.name, False, f"internal error: {exc!r}", time.perf_counter() - t0), EXIT_FAILED
    n = res.issue_counts
    return RunRow(src.name, True, str(dest or src), time.perf_counter() - t0, len(res.reorder),
                  int((res.reorder["suggested_order"] > 0).sum()), n.data, n.data_errors, n.plan,
                  summary(res.network)), EXIT_OK  # fmt: skip


def cmd_run(args, console: Console) -> int:
    files = _workbooks(args.paths)
    if not files:
        console.print("[red]planner: no workbook found in " + ", ".join(args.paths))
        return EXIT_INPUT
    _prepare_output_folder(args, files)
    rows, worst = [], EXIT_OK
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, disable=args.quiet or len(files) == 1)  # fmt: skip
    with progress:
        task = progress.add_task("planning", total=len(files))
        for src in files:
            raise_if_stop_requested()  # one that came as the previous workbook was saved
            progress.update(task, description=f"planning {src.name}")
            row, code = _plan_one(src, args, len(files) > 1)
            rows.append(row)
            worst = max(worst, code)
            progress.advance(task)
    _summary(console, rows, args.quiet)
    return worst


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _one_line(r: RunRow) -> str:
    plan = f", {_count(r.plan_exceptions, 'plan exception')}" if r.plan_exceptions else ""
    return (f"planned {r.sku_sites:,} SKU-sites of {r.workbook} in {r.seconds:.1f} s: {_count(r.orders, 'order')} "
            f"to place; {_count(r.data_issues, 'data issue')} ({_count(r.errors, 'error')}){plan}. "
            f"{r.network + ' ' if r.network else ''}"
            f"Result: {r.where}")  # fmt: skip


def _summary(console: Console, rows: list[RunRow], quiet: bool = False) -> None:
    if len(rows) == 1:
        r = rows[0]
        if r.ok and not quiet:
            console.print(_one_line(r))
        elif not r.ok:
            console.print(f"[red]planner: {escape(r.where)}", highlight=False, soft_wrap=True)
        return
    if not quiet:
        table = Table(title="planner run")
        for col in ("workbook", "status", "SKU-sites", "orders", "data issues", "errors", "plan exceptions",
                    "result / problem", "s"):  # fmt: skip
            table.add_column(col, overflow="fold")
        for r in rows:
            state = "[green]ok" if r.ok else "[red]failed"
            table.add_row(escape(r.workbook), state, str(r.sku_sites), str(r.orders), str(r.data_issues),
                          str(r.errors), str(r.plan_exceptions), escape(r.where), f"{r.seconds:.1f}")  # fmt: skip
        console.print(table)
    for r in rows:
        if not r.ok:
            console.print(f"[red]{escape(r.workbook)}:[/red] {escape(r.where)}", highlight=False, soft_wrap=True)
    failed = sum(not r.ok for r in rows)
    console.print(f"{len(rows) - failed} planned, {failed} failed")


def _shown(value: object) -> str:
    """A cell value as a planner would type it: text quoted, dates in ISO, numbers plainly."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return f"{value:g}" if isinstance(value, float) else str(value)


def _issue_line(r) -> str:
    """One issue as a sentence: where, what was found, what happened."""
    where = f"{r.sheet}" + (f" row {int(r.row)}" if pd.notna(r.row) else "") + (f", column {r.column}" if r.column
                                                                                 else "")  # fmt: skip
    found = (
        "" if r.value is None or (isinstance(r.value, float) and np.isnan(r.value)) else f" (found {_shown(r.value)})"
    )
    return f"  {r.severity:7} {where}{found}: {r.message}"


def cmd_validate(args, console: Console) -> int:
    worst = EXIT_OK
    for src in _workbooks(args.paths):
        try:
            inputs = load(src)
        except PlannerError as exc:
            console.print(f"[red]planner: {escape(str(exc))}", highlight=False, soft_wrap=True)
            worst = EXIT_INPUT
            continue
        issues = inputs.issues.frame()
        n_err = inputs.issues.count("error")
        sizes = ", ".join(f"{k} {len(v):,}" for k, v in inputs.tables.items() if len(v))
        if not len(inputs["Stock"]):
            console.print(f"[red]{escape(src.name)}: nothing to plan, sheet '{inputs.sheet_names['Stock']}' has "
                          f"no usable rows[/red] ({sizes or 'every sheet is empty'})", highlight=False)  # fmt: skip
            worst = EXIT_INPUT
        else:
            console.print(f"{src.name}: rows read: {sizes}; {_count(inputs.issues.count(), 'issue')} "
                          f"({_count(n_err, 'error')})", highlight=False)  # fmt: skip
        for r in issues.head(args.show).itertuples(index=False):
            console.print(_issue_line(r), highlight=False, markup=False, soft_wrap=True)
        if len(issues) > args.show:
            console.print(f"  ... {len(issues) - args.show} more (all of them on the Issues sheet after a run)")
        if n_err:
            worst = max(worst, EXIT_FAILED)
    return worst


def cmd_new(args, console: Console) -> int:
    from planner.workbook.sample import sample_frames
    from planner.workbook.template import write_template

    target = Path(args.path)
    if target.suffix.lower() not in EXCEL_SUFFIXES:
        raise OutputError(f"{target}: a new workbook must be named .xlsx or .xlsm")
    if target.exists() and not args.force:
        raise OutputError(f"{target} already exists; planner new does not replace a workbook (use --force to "
                          "overwrite it)")  # fmt: skip
    frames = sample_frames(n_skus=args.skus, seed=args.seed) if args.sample else None
    path = write_template(target, frames)
    console.print(f"wrote {'sample' if args.sample else 'template'} {path}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="planner",
        description="Supply-chain planning for Excel workbooks: forecasts, reorder plan, purchase orders, KPIs.",
        epilog="Exit codes: 0 ok, 1 row-level errors (validate) or an unexpected failure, 2 a structural "
        "input problem (not a workbook, a required sheet or column missing) or an unwritable output.",
    )
    p.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="plan workbooks and write the planned copies",
                         description="Plan each workbook (or every workbook in a folder): writes IN.planned.xlsx "
                         "beside IN unless -o or --in-place says otherwise. Input sheets are never "
                         "changed.")  # fmt: skip
    run.add_argument("paths", nargs="+", metavar="PATH", help="workbook(s) or folder(s)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT",
                       help="output file (one input; .xlsx or .xlsm like the input) or folder (several inputs, "
                       "created when missing)")  # fmt: skip
    where.add_argument("--in-place", action="store_true", help="replace only the output sheets inside IN")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("--debug", action="store_true", help="show tracebacks of unexpected failures")
    val = sub.add_parser("validate", help="check workbooks and list data issues, write nothing")
    val.add_argument("paths", nargs="+", metavar="PATH")
    val.add_argument("--show", type=int, default=20, metavar="N", help="issues listed per workbook (20)")
    new = sub.add_parser("new", help="write an empty template (or the sample with --sample)")
    new.add_argument("path", metavar="PATH")
    new.add_argument("--force", action="store_true", help="replace PATH if it exists")
    new.add_argument("--sample", action="store_true", help="fill it with the seeded sample data set")
    new.add_argument("--seed", type=int, default=7, help="sample seed (7 gives workbook/sample.xlsx)")
    new.add_argument("--skus", type=int, default=200, help="sample SKUs (200)")
    return p


def main(argv: list[str] | None = None) -> int:
    """The command line. Ctrl-C and SIGTERM stop it the same way, at any moment: exit 130, the file being
    saved left as it was and no temporary beside it (planner/workbook/interrupts.py)."""
    with stop_on_signals():
        try:
            with interrupts_allowed():  # stops raise from here (one recorded before, at once), inside the try
                args = parser().parse_args(argv)
                console = Console(stderr=False, highlight=False)
                return {"run": cmd_run, "validate": cmd_validate, "new": cmd_new}[args.command](args, console)
        except PlannerError as exc:
            print(f"planner: {exc}", file=sys.stderr)
            return EXIT_INPUT
        except KeyboardInterrupt:
            print(_interrupted(saved_before_stop()), file=sys.stderr)
            return 130
        except Exception:
            if not stop_requested():
                raise
            print(_interrupted(saved_before_stop()), file=sys.stderr)  # what the stop raised (a cut import)
            return 130


def _interrupted(saved: list[str]) -> str:
    """What a stop leaves: nothing changed, or the files saved (complete) before it and nothing else."""
    if not saved:
        return "planner: interrupted; no file was changed"
    return f"planner: interrupted; saved before the stop: {', '.join(saved)}; no other file was changed"


if __name__ == "__main__":
    sys.exit(main())
