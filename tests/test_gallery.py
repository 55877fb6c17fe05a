"""The output sheets in a real spreadsheet application: LibreOffice Calc renders every output sheet to a page
with its table on it, shows each number in its unit, and the gallery script (docs/gallery.py) draws them."""

from __future__ import annotations

import csv
import importlib.util
import io
import shutil
import subprocess

import openpyxl
import pytest
from conftest import ROOT

from planner.workbook.contract import NETWORK_SHEETS, OUTPUT_SHEETS, ROUNDS_SHEETS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(SOFFICE is None or shutil.which("pdftoppm") is None,
                                                   reason="needs LibreOffice and poppler-utils")]  # fmt: skip


@pytest.fixture(scope="module")
def gallery():
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "docs" / "gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sheets(gallery, small_sample, tmp_path_factory):
    """The small sample's output sheets with their real print setup (no gallery print areas)."""
    xlsx = tmp_path_factory.mktemp("render") / "sheets.xlsx"
    return xlsx, list(gallery.output_workbook(small_sample, xlsx, screens=False))


def test_every_output_sheet_renders_to_a_page_with_its_table(gallery, sheets):
    xlsx, names = sheets
    assert set(names) == set(OUTPUT_SHEETS + NETWORK_SHEETS + ROUNDS_SHEETS)  # the sample has every input
    pdf = gallery.to_pdf(xlsx, xlsx.parent)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    pages = gallery.first_pages(pdf, names)  # found by the sheet name each page header prints
    assert set(pages) == set(names)
    for name, page in pages.items():
        box = gallery.content_box(pdf, page)
        assert box is not None, f"{name}: blank page"
        ink = (gallery._gray(pdf, page, 36) < 250).mean()  # share of the page that is not white
        assert ink > 0.01, f"{name}: almost nothing on page {page}"
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
        assert book[name]["A1"].value in text.split(), name  # the table's first header is on the page


def test_libreoffice_shows_each_number_in_its_unit(sheets, tmp_path):
    """Run Info and KPIs as LibreOffice shows them (CSV of the cells as shown): counts whole, fractions in
    percent, money with the currency only where it is money, units named."""
    xlsx, _ = sheets
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1", "--outdir", str(tmp_path),
         str(xlsx)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip

    def shown(sheet: str) -> dict[str, list[str]]:
        path = next(p for p in tmp_path.glob("*.csv") if p.stem.endswith(sheet))
        return {r[0]: [v.strip() for v in r[1:]] for r in csv.reader(io.StringIO(path.read_text())) if r}

    info = shown("Run Info")
    assert info["sku-sites planned"][0] == "140"  # 20 SKUs x 3 sites + 4 stocked stores x 20
    assert info["setting service_level"][0] == "95.0%"
    assert info["setting order_cost"][0] == "50.00 EUR"
    assert info["setting lead_time_days"][0] == "14 days"
    assert info["setting carbon_price_per_t"][0] == "100 EUR/t"
    kpis = shown("KPIs")
    assert kpis["availability"][0].endswith("%") and kpis["stockout_risk_skus"][0].isdigit()
    assert kpis["days_of_cover"][0].endswith(" days") and kpis["inventory_value"][0].endswith(" EUR")
    assert "." not in kpis["inventory_value"][0]


def test_the_gallery_script_draws_every_sheet(gallery, small_sample, tmp_path):
    assert gallery.main(["--sample", str(small_sample), "--out", str(tmp_path), "--scale", "2"]) == 0
    pictures = sorted(tmp_path.glob("*.png"))
    assert [p.stem for p in pictures] == sorted(gallery.slug(n) for n in OUTPUT_SHEETS + NETWORK_SHEETS + ROUNDS_SHEETS)
    for p in pictures:
        data = p.read_bytes()
        width = int.from_bytes(data[16:20], "big")  # PNG header: width, height
        assert data.startswith(b"\x89PNG") and 100 <= width <= 800, p.name  # 2 pixels a character
