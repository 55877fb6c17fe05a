"""The picture gallery: plan the bundled sample and render the first screen of every output sheet (the rows
and columns a 1920-pixel screen shows at 100 % zoom, with the sheet's charts) to PNG through LibreOffice
headless: the sheets as the writer lays them out, printed on one landscape page each.

Run: python docs/gallery.py       (writes docs/gallery/<sheet>.png; needs soffice and pdftoppm)
     python docs/gallery.py --scale 7 --out /tmp/gallery --sample my.xlsx  (7 pixels a character, 100 % zoom)

The sheets are rendered from the package the writer merges into the workbook (the same sheet parts, without
the input sheets, so LibreOffice converts in seconds, not minutes), each with a print area on its first
screen. Each page carries its sheet's name in the header (the page setup's "&A"): that is how a page is
matched to its sheet.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SCREEN_CHARS, SCREEN_ROWS = 250, 40  # what a 1920 x 1080 screen shows at 100 % zoom (7-pixel characters)
CM_PER_CHAR, CM_PER_ROW = 0.2, 0.53  # a column width unit and a default row, in cm on screen


def slug(sheet: str) -> str:
    """File name of a sheet's picture: 'Reorder Plan' -> 'reorder-plan'."""
    return re.sub(r"[^a-z0-9]+", "-", sheet.lower()).strip("-")


def to_pdf(xlsx: Path, outdir: Path, timeout: float = 300) -> Path:
    """Convert a workbook to PDF with LibreOffice headless, in a profile of its own (so several runs, or a
    LibreOffice already open, do not lock each other out)."""
    profile = outdir / "lo-profile"
    proc = subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(outdir), str(xlsx)],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    pdf = outdir / (xlsx.stem + ".pdf")
    if proc.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"LibreOffice could not convert {xlsx.name}: {proc.stderr.strip() or proc.stdout.strip()}")
    return pdf


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def first_pages(pdf: Path, sheets: list[str]) -> dict[str, int]:
    """The first page (1-based) of each sheet, found by the sheet name the page header prints."""
    wanted, found = set(sheets), {}
    for page in range(1, page_count(pdf) + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines and lines[0] in wanted and lines[0] not in found:
            found[lines[0]] = page
    return found


def _gray(pdf: Path, page: int, dpi: int) -> np.ndarray:
    """A page as a grayscale array (0 black .. 255 white) at ``dpi``."""
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-gray", "-singlefile",
                        str(pdf), str(stem)], check=True)  # fmt: skip
        data = stem.with_suffix(".pgm").read_bytes()
    head = re.match(rb"P5\s+(\d+)\s+(\d+)\s+\d+\s", data)
    width, height = int(head.group(1)), int(head.group(2))
    return np.frombuffer(data[head.end() :], np.uint8).reshape(height, width)


def content_box(pdf: Path, page: int) -> tuple[float, float, float, float] | None:
    """The box (left, top, right, bottom, in inches) around what a page shows, without its header line
    (the sheet name, within the top 0.75 inch) and footer line (page numbers, within the bottom 0.75
    inch); None for a page with nothing else on it."""
    dpi, edge = 72, 54  # 0.75 inch
    gray = _gray(pdf, page, dpi)
    ink = gray < 200
    rows = np.flatnonzero(ink.any(axis=1))
    lines = np.split(rows, np.flatnonzero(np.diff(rows) > 2) + 1) if len(rows) else []
    lines = [line for line in lines if not (line[-1] < edge or line[0] > gray.shape[0] - edge)]
    if not lines:
        return None
    top, bottom = lines[0][0], lines[-1][-1] + 1
    cols = np.flatnonzero(ink[top:bottom].any(axis=0))
    pad = 0.1
    return (max(cols[0] / dpi - pad, 0.0), max(top / dpi - pad, 0.0), (cols[-1] + 1) / dpi + pad, bottom / dpi + pad)


def render_page(pdf: Path, page: int, png: Path, width_px: int = 1200, max_dpi: int = 200) -> Path:
    """A page's content (see content_box) as a PNG about ``width_px`` wide, at most ``max_dpi``."""
    box = content_box(pdf, page)
    if box is None:
        raise RuntimeError(f"page {page} of {pdf.name} is blank")
    left, top, right, bottom = box
    dpi = int(min(width_px / (right - left), max_dpi))
    crop = [str(int(v * dpi)) for v in (left, top, right - left, bottom - top)]
    subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-x", crop[0], "-y", crop[1],
                    "-W", crop[2], "-H", crop[3], "-png", "-singlefile", str(pdf), str(png.with_suffix(""))],
                   check=True)  # fmt: skip
    return png


def first_screen(sheet) -> tuple[int, int, int, int]:
    """The print area (first row, column, last row, column) of a sheet's first screen: SCREEN_ROWS rows and
    the columns within SCREEN_CHARS characters, widened for text running on beyond the last column and to
    take in every chart, lengthened for the charts."""
    widths = sheet.column_widths()
    last_row = max(t.last_row for t in sheet.tables)
    rows, cols, total = min(last_row, SCREEN_ROWS), 0, 0.0
    for col in range(1, max(widths) + 1):
        total += widths.get(col, 8.43)
        if total > SCREEN_CHARS:
            break
        cols = col
    for t in sheet.tables:  # text that runs on beyond the last column (Run Info's long values)
        if t.last_col == cols:
            longest = max((len(r[-1]) for r in t.rows if isinstance(r[-1], str)), default=0)
            cols += max(int(np.ceil((longest - widths.get(cols, 8.43)) / 8.43)), 0)
    for chart in sheet.charts:
        row, col = chart.anchor
        rows = max(rows, row + int(chart.height_cm / CM_PER_ROW) + 1)
        span = 0.0
        while span < chart.width_cm:
            span += widths.get(col, 8.43) * CM_PER_CHAR
            col += 1
        cols = max(cols, col)
    return 1, 1, rows, max(cols, 1)


def output_workbook(sample: Path, dest: Path, screens: bool = True) -> dict[str, float]:
    """Plan ``sample`` and write its output sheets, laid out as the writer lays them out, to ``dest``; each
    with its first screen as print area when ``screens``. Returns each sheet's printed width in characters."""
    from planner.channels.api import plan_workbook
    from planner.workbook.layout import output_sheets
    from planner.workbook.write_openpyxl import sheets_package

    sheets = output_sheets(plan_workbook(sample))
    chars = {}
    for sheet in sheets:
        widths = sheet.column_widths()
        last = max(widths)
        if screens:
            sheet.print_area = first_screen(sheet)
            last = sheet.print_area[3]
        chars[sheet.name] = sum(widths.get(c, 8.43) for c in range(1, last + 1))
    dest.write_bytes(sheets_package(sheets))
    return chars


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=Path, default=ROOT / "workbook" / "sample.xlsx")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    ap.add_argument(
        "--scale",
        type=float,
        default=4.0,
        help="pixels per character of column width (text stays the same size on every picture)",
    )
    args = ap.parse_args(argv)
    if SOFFICE is None or shutil.which("pdftoppm") is None:
        print("gallery: needs LibreOffice (soffice) and poppler-utils (pdftoppm)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    sample = args.sample.resolve()
    if sample.is_relative_to(Path.cwd()):
        sample = sample.relative_to(Path.cwd())  # Run Info shows the input file as given: no local path
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "planned-sheets.xlsx"
        chars = output_workbook(sample, xlsx)
        pdf = to_pdf(xlsx, Path(tmp))
        pages = first_pages(pdf, list(chars))
        for name, width in chars.items():
            if name not in pages:
                print(f"gallery: no page found for '{name}'", file=sys.stderr)
                return 1
            png = render_page(pdf, pages[name], args.out / f"{slug(name)}.png", int(width * args.scale))
            print(f"{name:20} page {pages[name]:3}  {png.relative_to(args.out.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
