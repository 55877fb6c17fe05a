"""Transport emissions by the tonne-km method (GLEC Framework v3 / ISO 14083: emissions = tonnes moved x
distance x an emission factor per tonne-km), the one place the formula and the mode defaults live; the
distribution plan and the Excel function TRANSPORT_CO2 both call it.

Units: weight in kg, distance in km, factors in kg CO2e per tonne-km, emissions in kg CO2e.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.core.choices import check_choice

# kg CO2e per tonne-km when a lane gives none: typical well-to-wheel factors (UK DESNZ/DEFRA conversion
# factors, freighting goods: HGV average, freight train, container ship, long-haul air freight).
MODE_CO2_KG_PER_TKM = {"road": 0.107, "rail": 0.028, "sea": 0.016, "air": 1.13}
DEFAULT_MODE = "road"  # a lane without a mode


def transport_co2_kg(weight_kg, distance_km, co2_kg_per_tkm) -> np.ndarray:
    """kg CO2e = weight_kg / 1000 x distance_km x co2_kg_per_tkm (tonne-km method, GLEC framework)."""
    return np.asarray(weight_kg, float) / 1000.0 * np.asarray(distance_km, float) * np.asarray(co2_kg_per_tkm, float)


def mode_factor(mode) -> np.ndarray:
    """The default factor of each mode (one or an array), kg CO2e per tonne-km; a blank mode (None, NaN or
    empty text) is road. A mode not in MODE_CO2_KG_PER_TKM raises ChoiceError naming it."""
    modes = np.asarray(mode, dtype=object)
    blank = pd.isna(modes) | (modes == "")
    modes = np.where(blank, DEFAULT_MODE, modes)
    check_choice("transport mode", modes, tuple(MODE_CO2_KG_PER_TKM))
    names, at = np.unique(modes.astype(str), return_inverse=True)
    return np.array([MODE_CO2_KG_PER_TKM[m] for m in names], dtype=float)[at].reshape(modes.shape)


def lane_factor(co2_kg_per_tkm, mode) -> np.ndarray:
    """Each lane's emission factor, kg CO2e per tonne-km: its own co2_kg_per_tkm where given (not NaN), else
    its mode's default (mode_factor)."""
    given = np.asarray(co2_kg_per_tkm, dtype=float)
    by_mode = mode_factor(mode)
    return np.where(np.isnan(given), by_mode, given)


# A 40 t articulated diesel truck (HGV > 33 t) by load: kg CO2e per vehicle-km empty and full, rounded from the
# UK DESNZ/DEFRA greenhouse-gas conversion factors ("Freighting goods", HGV articulated > 33 t, 0 % and
# 100 % laden; the GLEC Framework's road factors show the same load dependence); the payload at which it is
# full (kg) when a lane gives no truck_capacity_kg.
TRUCK_CO2_KG_PER_KM_EMPTY = 0.6
TRUCK_CO2_KG_PER_KM_FULL = 1.0
TRUCK_PAYLOAD_KG = 25_000.0


def truck_trip_co2_kg(trucks, distance_km, load_kg, payload_kg, empty=TRUCK_CO2_KG_PER_KM_EMPTY,
                      full=TRUCK_CO2_KG_PER_KM_FULL) -> np.ndarray:  # fmt: skip
    """kg CO2e of ``trucks`` trips of ``distance_km`` carrying ``load_kg`` in all (vehicle-km method with a
    load-dependent factor, linear between empty and full as the DEFRA factors by % laden are):

        CO2 = km x (empty x trucks + (full - empty) x load_kg / payload_kg)

    i.e. per trip km x (empty + (full - empty) x load fraction), summed over the trips. The empty part is paid
    per truck, so fuller trucks emit less per unit; linear in trucks and load, so a MILP can price it."""
    km = np.asarray(distance_km, float)
    return km * (empty * np.asarray(trucks, float) + (full - empty) * np.asarray(load_kg, float) / payload_kg)
