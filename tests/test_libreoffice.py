"""The planned workbook opens in a real spreadsheet application: LibreOffice Calc, headless, to PDF."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.slow  # every test here starts a process (integration layer)


@pytest.mark.skipif(SOFFICE is None and not os.environ.get("CI"), reason="LibreOffice not installed (CI installs it)")
def test_libreoffice_opens_and_exports_the_planned_workbook(small_planned, tmp_path):
    out = tmp_path / "planned.xlsx"
    shutil.copyfile(small_planned[0], out)  # a copy: LibreOffice keeps a lock file beside what it opens
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    pdf = tmp_path / "planned.pdf"
    assert proc.returncode == 0, proc.stderr
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")
    # and LibreOffice reads our cells back: convert the Reorder Plan to CSV
    subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', "--outdir",
         str(tmp_path / "csv"), str(out)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    sheets = {p.name for p in (tmp_path / "csv").iterdir()}
    assert any("Reorder Plan" in s for s in sheets), sheets
    rp = (tmp_path / "csv" / next(s for s in sheets if "Reorder Plan" in s)).read_text()
    assert rp.splitlines()[0].startswith("sku,site,")
