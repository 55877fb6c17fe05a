"""Speed of the Excel channel (issue #3); prints a table. Run: python benchmarks/excel.py

- functions: one call of a PLANNER function over a 10,000-row range, through xlwings' Office.js entry point
  (custom_functions_call, arguments as Excel sends them): median of 5 warm calls (target <= 50 ms).
- plan_reorders: the macro on the bundled sample through the remote engine (what xlwings Server runs:
  xw.Book(json=...), the script, the actions serialised to JSON), against the headless run of the same
  workbook (plan_workbook with output: read, plan, write) (target <= 2x headless).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XLWINGS_ON_SERVER", "true")  # register the functions and macros as xlwings Server does
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import numpy as np  # noqa: E402
import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call, custom_scripts_call  # noqa: E402

from planner.channels.api import plan_workbook  # noqa: E402
from planner.channels.excel import functions, macros  # noqa: E402
from planner.channels.excel.remote import book_json  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "workbook" / "sample.xlsx"
N = 10_000


def _median_ms(fn, repeat: int = 5) -> float:
    fn()  # warm-up: first-call imports and caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def function_cases() -> list[tuple[str, float]]:
    rng = np.random.default_rng(1)

    def col(a):
        return [[v.item() if hasattr(v, "item") else v] for v in a]

    d, sd = col(rng.gamma(2, 5, N)), col(rng.gamma(2, 1, N))
    L, sl, sL = col(rng.integers(1, 30, N)), col(rng.uniform(0.8, 0.99, N)), col(rng.uniform(0, 3, N))
    q, R = col(rng.integers(10, 500, N)), col(rng.integers(1, 14, N))
    cases = {
        "EOQ": [col(rng.gamma(2, 500, N)), col(rng.uniform(1, 50, N)), [[50]], [[0.25]]],
        "SAFETY_STOCK (fill, sQ)": [d, sd, L, sl, sL, [["fill"]] * N, q, [["sQ"]] * N, R],
        "SAFETY_STOCK (cycle, RS)": [d, sd, L, sl, sL, [["cycle"]] * N, None, [["RS"]] * N, R],
        "FILL_RATE": [col(rng.uniform(10, 400, N)), q, d, sd, L, sL, None, None],
        "ABC": [col(rng.gamma(1, 1000, N)), None, None],
        "TRANSPORT_CO2": [
            col(rng.uniform(1, 20000, N)),
            col(rng.uniform(10, 900, N)),
            [[m] for m in rng.choice(["road", "rail", "sea", "air"], N)],
            None,
        ],
        "HHI": [col(rng.gamma(1, 1000, N))],
    }
    names = {"EOQ": "planner_eoq", "FILL_RATE": "planner_fill_rate", "ABC": "planner_abc",
             "TRANSPORT_CO2": "planner_transport_co2", "HHI": "planner_hhi"}  # fmt: skip
    out = []
    for label, args in cases.items():
        name = names.get(label, "planner_safety_stock")
        data = {"func_name": name, "args": args, "version": xw.__version__, "client": "Office.js", "runtime": "1.4"}
        out.append((label, _median_ms(lambda data=data: asyncio.run(custom_functions_call(data, functions)))))
    return out


def macro_case() -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        headless = _median_ms(lambda: plan_workbook(SAMPLE, output=Path(tmp) / "out.xlsx"), repeat=3) / 1000
    payload = book_json(SAMPLE)
    t = time.perf_counter()
    book_json(SAMPLE)
    payload_s = time.perf_counter() - t

    def remote():
        book = xw.Book(json=json.loads(json.dumps(payload)))  # as the server receives it
        done = asyncio.run(custom_scripts_call(macros, "plan_reorders", typehint_to_value={xw.Book: book}))
        json.dumps(done.json(), default=str)

    return headless, _median_ms(remote, repeat=3) / 1000, payload_s


def main() -> int:
    print(f"{'case':32} {'result':>12}  target")
    for label, ms in function_cases():
        print(f"{'PLANNER.' + label:32} {ms:9.1f} ms  <= 50 ms for {N:,} rows")
    headless, remote, payload = macro_case()
    print(f"{'plan_reorders, headless':32} {headless:10.2f} s")
    print(f"{'plan_reorders, remote engine':32} {remote:10.2f} s  <= 2x headless: {remote / headless:.2f}x")
    print(f"{'(building the book JSON)':32} {payload:10.2f} s  done by Excel's add-in in production")
    return 0


if __name__ == "__main__":
    sys.exit(main())
