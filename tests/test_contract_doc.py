"""docs/workbook-contract.md against the code: its tables of input columns, Settings, KPIs, output columns,
Excel functions and ribbon macros say what the planner reads, computes and writes, so the page users read
cannot drift from the program."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from conftest import ROOT
from lxml import etree
from openpyxl.utils import get_column_letter
from xlwings.server import custom_scripts_meta

from planner.channels import cli
from planner.channels.excel import functions, macros
from planner.model.issues import IssueLog, Reason
from planner.model.settings import FIRST_DATE, KPI_TARGETS, LAST_DATE, MAX_DAYS, MAX_NUMBER, SETTINGS
from planner.workbook.contract import MAX_QUANTITY, NETWORK_SHEETS, OUTPUT_SHEETS, ROUNDS_SHEETS, SHEETS
from planner.workbook.layout import output_sheets
from planner.workbook.read import MAX_COLUMN
from planner.workbook.validate import parse_settings

DOC = (ROOT / "docs" / "workbook-contract.md").read_text(encoding="utf-8")
KINDS = {"int": "whole number", "numbers": "list of numbers", "classes": "list of classes"}


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    body = text.split(f"\n{heading}\n", 1)[1]
    stop = re.search(rf"\n#{{1,{len(level)}}} ", body)
    return body[: stop.start()] if stop else body


def cells(line: str) -> list[str]:
    """A Markdown table row's cells: stripped, escaped pipes restored, a code span's backticks removed."""
    parts = re.split(r"(?<!\\)\|", line.strip()[1:-1])
    return [re.sub(r"^`([^`]*)`$", r"\1", p.strip().replace("\\|", "|")) for p in parts]


def tables(text: str) -> list[tuple[str, list[dict[str, str]]]]:
    """Each Markdown table of ``text`` as rows (dicts by header), with the paragraph before it."""
    out, block, para, last = [], [], [], ""
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            head = cells(block[0])
            out.append((" ".join(para) or last, [dict(zip(head, cells(r), strict=True)) for r in block[2:]]))
            block, para, last = [], [], ""
        if line.strip():
            para.append(line.strip())
        elif para:
            last, para = " ".join(para), []
    return out


def table_under(heading: str, parent: str | None = None) -> list[dict[str, str]]:
    return tables(section(section(DOC, parent) if parent else DOC, heading))[0][1]


def allowed(minimum, maximum, choices, above=False) -> str:
    """The page's way of writing a column's or setting's allowed values."""
    if choices:
        return ", ".join(choices)
    if minimum is not None and maximum is not None:
        return f"{minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"{'>' if above else '>='} {minimum:g}"
    return ""


def words(meaning: str) -> str:
    """A meaning up to its first bracket: the page may add to the code's words, never change them."""
    return meaning.split("(")[0].strip()


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_input_columns_are_the_contracts(sheet):
    spec = SHEETS[sheet]
    rows = table_under(f"### {sheet}", "## Input sheets")
    assert [r["column"] for r in rows] == [c.name for c in spec.columns]
    for row, col in zip(rows, spec.columns, strict=True):
        assert row["required"] == ("yes" if col.required else ""), col.name
        assert row["type"] == col.kind, col.name
        assert row["unit"] == col.unit, col.name
        assert row["allowed values"].replace("`", "") == allowed(col.minimum, col.maximum, col.choices,
                                                                 col.above_minimum), col.name  # fmt: skip
        assert row["meaning"].startswith(words(col.meaning)), col.name


def test_input_sheet_list_is_the_contracts():
    rows = tables(section(DOC, "## Input sheets"))[0][1]
    assert [r["sheet"] for r in rows] == list(SHEETS)
    for row in rows:
        spec = SHEETS[row["sheet"]]
        assert row["required"].startswith("yes") == (spec.required or spec.name == "Demand"), spec.name
        assert row["key (unique)"].split(" (")[0] == ", ".join(spec.key)


def _settings_default(name: str) -> str:
    """A default as the page writes it; the computed ones (None in SETTINGS) read back from parse_settings."""
    spec = SETTINGS[name]
    if isinstance(spec.default, tuple):  # a list setting, written as it is typed
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in spec.default)
    if spec.default is not None:
        return str(spec.default)
    if name == "planning_date":
        assert parse_settings(_settings_frame(), "Settings", {}, IssueLog()).planning_date == pd.Timestamp(
            dt.date.today()
        )
        return "today"
    by_period = {p: parse_settings(_settings_frame(period=p), "Settings", {}, IssueLog()).season_length
                 for p in ("week", "month", "day")}  # fmt: skip
    return ", ".join(f"{v} ({p})" for p, v in by_period.items())


def _settings_frame(**values) -> pd.DataFrame:
    return pd.DataFrame({"_row": range(2, 2 + len(values)), "setting": list(values), "value": list(values.values())})


def test_settings_are_the_codes():
    rows = tables(section(DOC, "## Settings"))[0][1]
    assert [r["setting"] for r in rows] == list(SETTINGS)
    for row in rows:
        spec = SETTINGS[row["setting"]]
        assert row["type"] == KINDS.get(spec.kind, spec.kind), spec.name
        assert row["default"] == _settings_default(spec.name), spec.name
        assert row["allowed values"].replace("`", "") == allowed(spec.minimum, spec.maximum, spec.choices), spec.name
        assert row["meaning"].startswith(words(spec.meaning)), spec.name


def test_general_bounds_are_the_codes():
    """The bounds every number, date and sheet obeys, stated once in the reading conventions and Settings."""
    reading, settings = section(DOC, "## Reading conventions"), section(DOC, "## Settings")
    assert f"at most {MAX_DAYS}" in reading and f"{MAX_QUANTITY:.0e}".replace("+", "") in reading
    assert f"-{MAX_QUANTITY:.0e}".replace("+", "") in reading
    assert f"from {FIRST_DATE} to {LAST_DATE}" in reading
    assert f"beyond column {get_column_letter(MAX_COLUMN)}" in reading
    assert f"at most {MAX_NUMBER:.0e}".replace("+", "").replace("e0", "e") in settings


def test_accepted_spellings_of_choice_settings_are_documented():
    text = section(DOC, "## Settings")
    for spec in SETTINGS.values():
        for spelling, _ in spec.aliases:
            assert f"`{spelling}`" in text, (spec.name, spelling)


def test_reason_codes_are_the_issue_logs():
    rows = tables(section(DOC, "## Bad input"))[0][1]
    assert [(r["code"], r["severity"], r["category"]) for r in rows] == [
        (r.code, r.severity, r.category) for r in Reason
    ]


@pytest.fixture(scope="module")
def planned(small_planned):
    return small_planned[1]


def _documented_tables() -> dict[str, list[str]]:
    """Excel Table name -> documented columns, from the paragraphs that name a table before its columns."""
    out = {}
    for before, rows in tables(section(DOC, "## Output sheets")):
        m = re.match(r"Excel Table `(\w+)`", before)
        if m and rows and "column" in rows[0]:
            out[m.group(1)] = [r["column"] for r in rows]
    return out


@pytest.mark.slow
def test_output_tables_and_their_columns_are_the_written_ones(planned):
    written = {}
    for sheet in output_sheets(planned):
        for t in sheet.tables:
            header = [c for c in t.header if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", c)]
            if len(header) < len(t.header):  # the forecast periods, one column each
                header.append("YYYY-MM-DD")
            written[t.name] = header
    assert set(NETWORK_SHEETS) <= {s.name for s in output_sheets(planned)}  # the sample plans the network
    assert _documented_tables() == written


def test_output_sheets_are_documented_in_the_written_order():
    body = section(DOC, "## Output sheets")
    assert re.findall(r"^### (.+)$", body, re.MULTILINE) == list(OUTPUT_SHEETS + NETWORK_SHEETS + ROUNDS_SHEETS)


@pytest.mark.slow
def test_kpis_are_the_computed_ones(planned):
    rows = {r["kpi"]: r for r in table_under("### KPIs", "## The numbers")}
    k = planned.kpis.assign(kpi=planned.kpis["kpi"].str.replace(r"^(projected )?occupancy .+$", r"\1occupancy SITE",
                                                                 regex=True))  # fmt: skip
    k["kpi"] = k["kpi"].str.replace(r"^weeks_of_cover (plant|dc|store)$", "weeks_of_cover ECHELON", regex=True)
    assert set(k["kpi"]) == set(rows)
    for kpi, unit, direction in k[["kpi", "unit", "direction"]].drop_duplicates().itertuples(index=False):
        assert (rows[kpi]["unit"], rows[kpi]["better"]) == (unit, direction), kpi
        target = KPI_TARGETS.get("occupancy" if kpi.endswith("occupancy SITE") else kpi, "")
        assert rows[kpi]["target"] == target, kpi


@pytest.mark.slow
def test_run_info_items_are_documented(planned):
    text = section(section(DOC, "## Output sheets"), "### Run Info")
    for item in planned.run_info["item"]:
        if not item.startswith("setting "):
            assert f"`{item}`" in text, item
    assert "`setting NAME`" in text


def test_excel_functions_are_the_registered_ones():
    rows = tables(section(DOC, "## Excel functions"))[0][1]
    documented = {}
    for row in rows:
        m = re.fullmatch(r"(\w+)\((.*)\)", row["function"])
        assert m, row["function"]
        documented[m.group(1)] = [(a.strip("[] "), a.strip().startswith("[")) for a in m.group(2).split(",")]
    registered = {
        f.__xlfunc__["excel_name"]: [(a["name"], "optional" in a) for a in f.__xlfunc__["args"]]
        for f in vars(functions).values()
        if hasattr(f, "__xlfunc__")
    }
    assert documented == registered


def test_ribbon_macros_are_the_registered_ones_and_the_buttons_the_ribbons():
    rows = tables(section(DOC, "## Ribbon macros"))[0][1]
    assert {r["macro"] for r in rows} == {s["function_name"] for s in custom_scripts_meta(macros)}
    ribbon = etree.parse(str(ROOT / "workbook" / "src" / "customUI14.xml"))
    labels = {b.get("label") for b in ribbon.iter("{*}button")}
    assert {r["button"] for r in rows} == labels


def test_exit_codes_are_the_command_lines():
    rows = tables(section(DOC, "## Command line"))[0][1]
    assert [int(r["exit code"]) for r in rows] == [cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_INPUT, 130]
