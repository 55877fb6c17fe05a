"""One formula, one place: every formula the Excel functions share with the plan lives once in the core (or
the model, for constants), is checked here against a textbook example or an independent computation, and
the Excel function gives what the core gives. Every public function that takes a choice refuses a name it
does not know, naming it and the allowed ones."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from openpyxl.utils.datetime import from_excel, to_excel
from scipy import integrate, stats
from test_excel_functions import call, col, flat

from planner.channels.excel import functions
from planner.core import inventory as inv
from planner.core.choices import ChoiceError
from planner.core.concentration import hhi
from planner.core.emissions import MODE_CO2_KG_PER_TKM, lane_factor, mode_factor, transport_co2_kg
from planner.core.forecast import METHODS, forecast_series
from planner.core.optimize.distribution import lane_co2_factor
from planner.model.settings import FORECAST_METHODS, SETTINGS, Settings, season_length
from planner.workbook.contract import EXCEL_EPOCH, SHEETS
from planner.workbook.validate import to_date
from planner.workbook.write_openpyxl import _cell_xml

RNG = np.random.default_rng(8)

# ---------------------------------------------------------------------------------------------------------
# HHI


def test_hhi_textbook_and_excel():
    # US DOJ/FTC example: four firms with 30, 30, 20 and 20 % -> 900 + 900 + 400 + 400 = 2,600 (of 10,000)
    assert hhi([30, 30, 20, 20]) == pytest.approx(0.26)
    assert hhi([5.0] * 8) == pytest.approx(1 / 8) and hhi([0, 7, 0]) == 1.0
    assert np.isnan(hhi([0.0, 0.0]))
    spend = RNG.gamma(2.0, 1000.0, 17)
    shares = spend / spend.sum()
    assert hhi(spend) == pytest.approx(float(np.dot(shares, shares)), rel=1e-12)  # a second way: s . s
    assert call("HHI", col(spend)) == [[hhi(spend)]]


# ---------------------------------------------------------------------------------------------------------
# transport emissions


def test_transport_co2_by_hand_and_mode_defaults():
    # 20 t over 500 km by road at 0.107 kg/tkm = 10,000 tkm x 0.107 = 1,070 kg CO2e
    assert transport_co2_kg(20_000, 500, MODE_CO2_KG_PER_TKM["road"]) == pytest.approx(1070.0)
    assert list(mode_factor(["rail", None, np.nan, "", "air"])) == [0.028, 0.107, 0.107, 0.107, 1.13]
    assert list(lane_factor([np.nan, 0.05, np.nan], ["sea", "sea", None])) == [0.016, 0.05, 0.107]
    lanes = pd.DataFrame({"co2_kg_per_tkm": [np.nan, 0.2, np.nan], "mode": ["rail", "air", np.nan]}, index=[4, 5, 6])
    pd.testing.assert_series_equal(lane_co2_factor(lanes), pd.Series([0.028, 0.2, 0.107], index=[4, 5, 6]))


def test_transport_co2_excel_equals_the_core():
    n = 40
    weight, km = RNG.uniform(0, 5000, n), RNG.uniform(0, 2000, n)
    modes = RNG.choice([*MODE_CO2_KG_PER_TKM, None], n)
    given = np.where(RNG.random(n) < 0.3, RNG.uniform(0.01, 1, n), np.nan)
    got = flat(call("TRANSPORT_CO2", col(weight), col(km), col(modes), col(given))).astype(float)
    np.testing.assert_array_equal(got, transport_co2_kg(weight, km, lane_factor(given, modes)))


def test_the_contract_modes_are_the_modes_with_a_factor():
    assert SHEETS["Lanes"].column("mode").choices == tuple(MODE_CO2_KG_PER_TKM)


# ---------------------------------------------------------------------------------------------------------
# protection interval, shortage per cycle, policy levels, fill rate


def test_protection_interval_is_l_or_r_plus_l():
    policy = np.array(["sQ", "RS", "RS"])
    np.testing.assert_array_equal(inv.protection_days(policy, [14, 14, 3], [7, 7, 0]), [14, 21, 3])
    # the Excel safety stock of an RS policy protects R + L: sigma over 21 days, by hand
    ss = call("SAFETY_STOCK", [[10]], [[3]], [[14]], [[0.95]], None, None, None, [["RS"]], [[7]])[0][0]
    assert ss == pytest.approx(stats.norm.ppf(0.95) * 3 * np.sqrt(21), rel=1e-12)


@pytest.mark.parametrize("k,sigma", [(-1.0, 20.0), (0.0, 5.0), (0.84, 40.0), (2.0, 13.0)])
def test_shortage_per_cycle_is_the_expected_units_short(k, sigma):
    """E[(X - level)+] for X ~ N(mu, sigma) and level = mu + k sigma, by numerical integration."""
    mu = 100.0
    level = mu + k * sigma
    short = integrate.quad(lambda x: (x - level) * stats.norm.pdf(x, mu, sigma), level, np.inf)[0]
    assert inv.shortage_per_cycle(k, sigma) == pytest.approx(short, abs=1e-9)
    np.testing.assert_array_equal(inv.demand_per_cycle(["sQ", "RS"], 250.0, 10.0, 7.0), [250.0, 70.0])


def test_fill_rate_at_a_level_against_integration_and_the_excel_function():
    d, sd, L, sL, Q, s = 20.0, 6.0, 10.0, 2.0, 300.0, 230.0
    sigma = np.sqrt(L * sd**2 + d**2 * sL**2)  # SPT eq. 6.24, by hand
    short = integrate.quad(lambda x: (x - s) * stats.norm.pdf(x, d * L, sigma), s, np.inf)[0]
    want = 1 - short / Q
    assert inv.fill_rate_at_level(s, Q, d, sd, L, sL, "sQ", 7.0) == pytest.approx(want, abs=1e-12)
    assert call("FILL_RATE", [[s]], [[Q]], [[d]], [[sd]], [[L]], [[sL]], None, None)[0][0] == pytest.approx(want)
    # no uncertainty: the shortfall d T - level is certain; RS divides by the demand per review d R
    # (T = R + L = 15 days, d T = 300, d R = 100): a level of 280 misses 20 of 100, one of 190 misses all
    assert inv.fill_rate_at_level(280.0, np.nan, d, 0.0, L, 0.0, "RS", 5.0) == pytest.approx(0.8)
    assert inv.fill_rate_at_level(190.0, np.nan, d, 0.0, L, 0.0, "RS", 5.0) == 0.0


def test_policy_levels_of_the_excel_functions_equal_the_core():
    n = 30
    d, sd, L = RNG.uniform(0, 50, n), RNG.uniform(0, 10, n), RNG.uniform(1, 30, n)
    sl, sL, R = RNG.uniform(0.5, 0.999, n), RNG.uniform(0, 3, n), RNG.uniform(1, 14, n)
    stype, Q = RNG.choice(["cycle", "fill"], n), RNG.uniform(10, 500, n)
    sq = inv.protection(np.full(n, "sQ"), stype, sl, d, sd, L, sL, R, Q)
    rs = inv.protection(np.full(n, "RS"), stype, sl, d, sd, L, sL, R, Q)
    args = [col(d), col(sd), col(L), col(sl), col(sL), col(stype)]
    np.testing.assert_allclose(flat(call("REORDER_POINT", *args, col(Q))).astype(float),
                               inv.policy_level(d, L, sq.safety_stock), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(flat(call("ORDER_UP_TO", *args[:3], col(R), *args[3:])).astype(float),
                               inv.policy_level(d, R + L, rs.safety_stock), rtol=1e-12)  # fmt: skip
    # the protection the plan uses: T = L or R + L, SS = max(k, 0) sigma_T
    np.testing.assert_array_equal(rs.days, R + L)
    np.testing.assert_allclose(sq.safety_stock, np.maximum(sq.k_raw, 0) * np.sqrt(L * sd**2 + d**2 * sL**2))


# ---------------------------------------------------------------------------------------------------------
# bounds, choices and defaults: the contract's and the Settings', not a second list


def test_excel_arguments_are_checked_against_the_contract_and_the_settings():
    items = SHEETS["Items"]
    assert items.column("holding_rate").maximum == 5
    assert call("EOQ", [[1000]], [[10]], None, [[6]]) == [["#VALUE! holding_rate: found 6, expected a number >= 0 "
                                                             "and <= 5"]]  # fmt: skip
    assert call("EOQ", [[1000]], [[10]], None, [[0]]) == [["#VALUE! holding_rate: 0 gives no EOQ (it needs a "
                                                             "holding cost > 0)"]]  # fmt: skip
    assert call("ORDER_QTY", [[1000]], [[10]], None, [[0]], None, [[12]]) == [[12.0]]  # as the Reorder Plan: Q = m
    km = call("TRANSPORT_CO2", [[1]], [[-1]], None, None)[0][0]
    upper = SHEETS["Lanes"].column("distance_km").upper  # no maximum of its own: the contract's sane bound
    assert km == f"#VALUE! distance_km: found -1, expected a number >= 0 and <= {upper:,g}"
    lead = call("SAFETY_STOCK", [[1]], [[1]], [[4000]], None, None, None, None, None, None)[0][0]
    days = items.column("lead_time_days").upper  # ten years, as on the Items sheet
    assert lead == f"#VALUE! lead_time_days: found 4000, expected a number >= 0 and <= {days:,g}"
    horizon = SETTINGS["horizon_periods"].maximum
    assert call("FORECAST", [[1], [2]], [[horizon + 1]], None, None) == [
        [f"#VALUE! horizon: found {horizon + 1:g}, expected a number >= 1 and <= {horizon:g}"]
    ]
    policy = call("FILL_RATE", [[1]], [[1]], [[1]], [[1]], [[1]], None, [["sq"], ["rs"], ["Rs,"]], None)
    assert [r[0] for r in policy][2] == "#VALUE! policy: found 'Rs,', expected one of " + ", ".join(
        items.column("policy").choices
    )
    assert all(isinstance(r[0], float) for r in policy[:2])  # case does not matter


def test_excel_defaults_are_the_settings_defaults():
    # order_cost 50, holding_rate 0.25 when left out; the help text shows the same numbers
    assert call("EOQ", [[1000]], [[10]], None, None) == [[pytest.approx(np.sqrt(2 * 50 * 1000 / (0.25 * 10)))]]
    assert functions.planner_eoq._arg_docs["order_cost"].endswith(f"[{SETTINGS['order_cost'].default}]")
    y = list(50 + 10 * np.sin(np.arange(130) * 2 * np.pi / 52))
    assert call("FORECAST", [y], [[4]], [["holt_winters"]], None) == call(
        "FORECAST", [y], [[4]], [["holt_winters"]], [[season_length(SETTINGS["period"].default)]]
    )


def test_season_length_by_period_in_one_place():
    assert [season_length(p) for p in ("day", "week", "month")] == [7, 52, 12]
    assert Settings.from_values(period="month").season_length == 12
    assert Settings.from_values(period="day", season_length=5).season_length == 5
    with pytest.raises(ValueError, match="unknown period 'fortnight': use one of day, week, month"):
        season_length("fortnight")


def test_forecast_methods_are_the_settings_choices():
    assert FORECAST_METHODS == ("auto", *METHODS)
    assert SETTINGS["forecast_method"].choices == FORECAST_METHODS


# ---------------------------------------------------------------------------------------------------------
# the Excel date epoch


def test_excel_serial_dates_read_and_written_from_one_epoch():
    serials = [61, 366, 25569, 45000, 45351.0, 109574]  # 1900-03-01, 1900-12-31, 1970-01-01, ... 2199-12-31
    got = to_date(pd.Series(serials, dtype=object))
    assert list(got) == [pd.Timestamp(from_excel(s)) for s in serials]  # openpyxl's own conversion
    assert got[3] == pd.Timestamp("2023-03-15")
    for day in (dt.date(1900, 3, 1), dt.date(2023, 3, 15), dt.datetime(2026, 11, 25, 12)):
        assert f"<v>{float(to_excel(day))!r}</v>" in _cell_xml(1, 1, day, 0)
    assert EXCEL_EPOCH == dt.datetime(1899, 12, 30)


# ---------------------------------------------------------------------------------------------------------
# unknown choice names are errors, never a silent default

Y = np.abs(np.random.default_rng(1).normal(10, 3, (2, 40)))
ARR = np.ones(2)
BAD_CHOICES = {
    "forecast method": lambda: forecast_series(Y, 4, 52, "sesx"),
    "forecast method per series": lambda: forecast_series(Y, 4, 52, np.array(["ses", "Holt"])),
    "protection_days": lambda: inv.protection_days("rs", 14, 7),
    "demand_per_cycle": lambda: inv.demand_per_cycle(["sQ", "sq"], 100, 1, 7),
    "safety_factor policy": lambda: inv.safety_factor(0.95, "cycle", 10, 100, 1, 7, "Rs"),
    "safety_factor service": lambda: inv.safety_factor(0.95, "beta", 10, 100, 1, 7, "sQ"),
    "expected_fill_rate": lambda: inv.expected_fill_rate(1.0, 10, 100, 1, 7, "(s,Q)"),
    "suggested_order": lambda: inv.suggested_order("minmax", 0, 10, 20, 5, 0, 1, 1),
    "protection": lambda: inv.protection("sQ", "fil", 0.95, 1, 1, 7, 0, 7, 10),
    "fill_rate_at_level": lambda: inv.fill_rate_at_level(10, 10, 1, 1, 7, 0, "SQ", 7),
    "plan_policy": lambda: inv.plan_policy(
        pd.DataFrame(
            dict(
                demand_per_day=ARR,
                demand_sd_per_day=ARR,
                unit_cost=ARR,
                holding_rate=ARR / 4,
                order_cost=ARR,
                service_level=ARR * 0.9,
                service_type=["cycle", "cycle"],
                policy=["sQ", "RQ"],
                review_days=ARR,
                moq=ARR * 0,
                order_multiple=ARR,
                lead_time_days=ARR,
                lead_time_sd_days=ARR * 0,
                on_hand=ARR,
                on_order=ARR * 0,
                backorders=ARR * 0,
            )
        ),  # fmt: skip
        365,
        pd.Timestamp("2026-03-02"),
    ),
    "mode_factor": lambda: mode_factor(["road", "ship"]),
    "lane_co2_factor": lambda: lane_co2_factor(pd.DataFrame({"co2_kg_per_tkm": [np.nan], "mode": ["truck"]})),
}
BAD_VALUE = {"forecast method": "sesx", "forecast method per series": "Holt", "protection_days": "rs",
             "demand_per_cycle": "sq", "safety_factor policy": "Rs", "safety_factor service": "beta",
             "expected_fill_rate": "(s,Q)", "suggested_order": "minmax", "protection": "fil",
             "fill_rate_at_level": "SQ", "plan_policy": "RQ", "mode_factor": "ship",
             "lane_co2_factor": "truck"}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_CHOICES))
def test_an_unknown_choice_names_the_value_and_the_allowed_ones(case):
    with pytest.raises(ValueError) as info:
        BAD_CHOICES[case]()
    assert isinstance(info.value, ChoiceError)  # a ValueError and a PlannerError: one line for the user
    message = str(info.value)
    assert f"'{BAD_VALUE[case]}'" in message and "\n" not in message
    allowed = message.split("use one of ")[1].split(", ")
    assert BAD_VALUE[case] not in allowed and len(allowed) >= 2
    assert set(allowed) in ({*FORECAST_METHODS}, {"sQ", "RS"}, {"cycle", "fill"}, {*MODE_CO2_KG_PER_TKM})


def test_the_excel_functions_turn_a_refused_choice_into_their_error_cell():
    got = functions._guarded(lambda: forecast_series(Y, 4, 52, "sesx"))  # the core's refusal, as a cell
    assert got == [["#VALUE! unknown forecast method 'sesx': use one of " + ", ".join(FORECAST_METHODS)]]
    assert call("FORECAST", [[1], [2]], None, [["sesx"]], None) == [
        ["#VALUE! method: found 'sesx', expected one of " + ", ".join(FORECAST_METHODS)]
    ]
    cells = flat(call("SAFETY_STOCK", [[1]], [[1]], [[7]], None, None, [["fill"], ["beta"]], [[10]], None, None))
    assert isinstance(cells[0], float) and cells[1] == "#VALUE! service_type: found 'beta', expected one of cycle, fill"
    modes = flat(call("TRANSPORT_CO2", [[1000]], [[10]], [["truck"], ["sea"]], None))
    assert modes[0] == "#VALUE! mode: found 'truck', expected one of road, rail, sea, air"
    assert modes[1] == pytest.approx(0.16)
