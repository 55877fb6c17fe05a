"""The tree reads as layers and the dependencies point one way (pyproject.toml, [tool.importlinter])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports), "--config", str(ROOT / "pyproject.toml")], capture_output=True,
                          text=True, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize("module", ["planner.model.settings", "planner.core.forecast", "planner.pipeline.plan"])
def test_the_pure_layers_load_no_spreadsheet_library(module):
    """Importing the model, the core or the pipeline really leaves openpyxl, calamine, lxml and xlwings out of
    sys.modules (the static contract above, checked at run time)."""
    code = (f"import sys, {module}; heavy = {{'openpyxl', 'python_calamine', 'lxml', 'xlwings', 'rich'}}; "
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def _long_functions(folder: Path, limit: int) -> list[str]:
    import ast

    out = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    return out


@pytest.mark.parametrize("layer", ["model", "core", "pipeline"])
def test_functions_of_the_pure_layers_do_one_thing(layer):
    """No function over 50 lines in the model, the core and the pipeline (models are build / solve / report)."""
    assert _long_functions(ROOT / "planner" / layer, 50) == []
