"""The command line: ``planner run``, ``planner validate``, ``planner new``. Translates arguments, calls
the API, and reports; a user never sees a traceback (``--debug`` shows one)."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from planner._version import __version__
from planner.channels.api import default_output, load, plan_workbook
from planner.model.errors import PlannerError
from planner.pipeline.network import summary
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
    if args.in_place:
        return None
    if args.output is None:
        return default_output(src)
    out = Path(args.output)
    if many or out.is_dir():
        return out / default_output(src).name
    return out


def cmd_run(args, console: Console) -> int:
    files = _workbooks(args.paths)
    if not files:
        console.print("[red]planner: no workbook found in " + ", ".join(args.paths))
        return EXIT_INPUT
    if args.output and len(files) > 1 and not Path(args.output).is_dir():
        console.print(f"[red]planner: -o must be an existing folder when planning {len(files)} workbooks")
        return EXIT_INPUT
    rows, worst = [], EXIT_OK
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, disable=args.quiet or len(files) == 1)  # fmt: skip
    with progress:
        task = progress.add_task("planning", total=len(files))
        for src in files:
            progress.update(task, description=f"planning {src.name}")
            t0 = time.perf_counter()
            dest = _destination(src, args, len(files) > 1)
            try:
                res = plan_workbook(src, output=dest, in_place=args.in_place)
                n_err = int((res.issues["severity"] == "error").sum())
                n_orders = int((res.reorder["suggested_order"] > 0).sum())
                rows.append((src.name, "ok", len(res.reorder), n_orders, len(res.issues), n_err,
                             str(dest or src), time.perf_counter() - t0, summary(res.network)))  # fmt: skip
            except PlannerError as exc:
                worst = max(worst, EXIT_INPUT)
                rows.append((src.name, "failed", 0, 0, 0, 0, str(exc), time.perf_counter() - t0, ""))
            except Exception as exc:  # an unexpected failure: say so plainly, go on with the next file
                worst = max(worst, EXIT_FAILED)
                if args.debug:
                    traceback.print_exc()
                rows.append((src.name, "failed", 0, 0, 0, 0, f"internal error: {exc!r}", time.perf_counter() - t0,
                             ""))  # fmt: skip
            progress.advance(task)
    _summary(console, rows)
    return worst if worst != EXIT_FAILED else EXIT_FAILED


def _summary(console: Console, rows) -> None:
    if len(rows) == 1:
        name, state, n, orders, issues, errors, where, secs, network = rows[0]
        if state == "ok":
            console.print(f"planned {n} SKU-sites of {name} in {secs:.1f} s: {orders} orders to place, "
                          f"{issues} data issues ({errors} errors). {network + ' ' if network else ''}"
                          f"Result: {where}")  # fmt: skip
        else:
            console.print(f"[red]planner: {escape(where)}", highlight=False, soft_wrap=True)
        return
    table = Table(title="planner run")
    for col in ("workbook", "status", "SKU-sites", "orders", "issues", "errors", "result / problem", "s"):
        table.add_column(col, overflow="fold")
    for name, state, n, orders, issues, errors, where, secs, _ in rows:
        colour = "green" if state == "ok" else "red"
        table.add_row(escape(name), f"[{colour}]{state}", str(n), str(orders), str(issues), str(errors), escape(where),
                      f"{secs:.1f}")  # fmt: skip
    console.print(table)
    for name, state, *_, where, _secs, _ in rows:
        if state != "ok":
            console.print(f"[red]{escape(name)}:[/red] {escape(where)}", highlight=False, soft_wrap=True)
    failed = sum(r[1] != "ok" for r in rows)
    console.print(f"{len(rows) - failed} planned, {failed} failed")


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
        n_err = int((issues["severity"] == "error").sum())
        sizes = ", ".join(f"{k} {len(v)}" for k, v in inputs.tables.items() if len(v))
        console.print(f"{src.name}: {sizes} rows; {len(issues)} issues ({n_err} errors)", highlight=False)
        for r in issues.head(args.show).itertuples(index=False):
            console.print(f"  {r.severity:7} {r.sheet}!{r.column} row {r.row}: {r.value!r} - {r.message}",
                          highlight=False, markup=False)  # fmt: skip
        if len(issues) > args.show:
            console.print(f"  ... {len(issues) - args.show} more (all of them on the Issues sheet after a run)")
        if n_err:
            worst = max(worst, EXIT_FAILED)
    return worst


def cmd_new(args, console: Console) -> int:
    from planner.workbook.sample import sample_frames
    from planner.workbook.template import write_template

    frames = sample_frames(n_skus=args.skus, seed=args.seed) if args.sample else None
    path = write_template(Path(args.path), frames)
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
    where.add_argument("-o", "--output", metavar="OUT", help="output file (one input) or folder (several)")
    where.add_argument("--in-place", action="store_true", help="replace only the output sheets inside IN")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("--debug", action="store_true", help="show tracebacks of unexpected failures")
    val = sub.add_parser("validate", help="check workbooks and list data issues, write nothing")
    val.add_argument("paths", nargs="+", metavar="PATH")
    val.add_argument("--show", type=int, default=20, metavar="N", help="issues listed per workbook (20)")
    new = sub.add_parser("new", help="write an empty template (or the sample with --sample)")
    new.add_argument("path", metavar="PATH")
    new.add_argument("--sample", action="store_true", help="fill it with the seeded sample data set")
    new.add_argument("--seed", type=int, default=7, help="sample seed (7 gives workbook/sample.xlsx)")
    new.add_argument("--skus", type=int, default=200, help="sample SKUs (200)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(stderr=False, highlight=False)
    try:
        return {"run": cmd_run, "validate": cmd_validate, "new": cmd_new}[args.command](args, console)
    except PlannerError as exc:
        print(f"planner: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("planner: interrupted; no file was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
