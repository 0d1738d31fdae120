"""The travel-time models: offline model properties, table, OSRM stub."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hadplanner.errors import InputError
from hadplanner.models.territory import Point
from hadplanner.travel import (
    OfflineTravelModel,
    OfflineTravelSettings,
    OsrmTravelModel,
    SpeedBand,
    TableTravelModel,
    TravelTimeProvider,
    haversine_km,
    transport_hours,
)

lat = st.floats(min_value=41.0, max_value=51.0)
lon = st.floats(min_value=-5.0, max_value=9.0)
TOULOUSE = Point(lat=43.6045, lon=1.4440)
ALBI = Point(lat=43.9289, lon=2.1464)


def test_haversine_toulouse_albi():
    """Toulouse-Albi great-circle distance is about 67 km."""
    assert haversine_km(TOULOUSE.lat, TOULOUSE.lon, ALBI.lat, ALBI.lon) == pytest.approx(67, abs=2)


def test_bands_hand_computed():
    """10 road-km at 35 km/h, 20 at 60, the rest at 80, plus 5 minutes."""
    m = OfflineTravelModel(OfflineTravelSettings(detour_factor=1.0))
    assert m.minutes_for_km(0.0) == pytest.approx(5.0)
    assert m.minutes_for_km(10.0) == pytest.approx(5 + 60 * 10 / 35)
    assert m.minutes_for_km(50.0) == pytest.approx(5 + 60 * 10 / 35 + 20 + 15)


@settings(max_examples=200, deadline=None)
@given(d1=st.floats(0, 500), d2=st.floats(0, 500))
def test_offline_monotone_in_distance(d1, d2):
    """A longer great-circle distance never takes less time."""
    m = OfflineTravelModel()
    lo, hi = sorted((d1, d2))
    assert m.minutes_for_km(lo) <= m.minutes_for_km(hi) + 1e-9


@settings(max_examples=100, deadline=None)
@given(a_lat=lat, a_lon=lon, b_lat=lat, b_lon=lon)
def test_offline_symmetric_and_matrix_agrees(a_lat, a_lon, b_lat, b_lon):
    """minutes(a, b) == minutes(b, a), and the matrix gives the same numbers."""
    m = OfflineTravelModel()
    a, b = Point(lat=a_lat, lon=a_lon), Point(lat=b_lat, lon=b_lon)
    ab, ba = m.minutes(a, b), m.minutes(b, a)
    assert ab == pytest.approx(ba)
    assert m.matrix([a, b], [b])[:, 0] == pytest.approx([ab, m.minutes(b, b)])


def test_offline_is_a_provider_and_limit_distance():
    """The default model is a TravelTimeProvider; 45 minutes is reached near 26 km."""
    m = OfflineTravelModel()
    assert isinstance(m, TravelTimeProvider)
    assert m.minutes_for_km(25.0) < 45 < m.minutes_for_km(27.0)


def test_settings_reject_closed_last_band():
    """The last speed band must be open-ended."""
    with pytest.raises(ValidationError, match="open-ended"):
        OfflineTravelSettings(bands=(SpeedBand(up_to_km=10, speed_kmh=30),))


def test_transport_hours():
    """transport_hours is the offline minutes over 60."""
    assert transport_hours(TOULOUSE, ALBI) == pytest.approx(
        OfflineTravelModel().minutes(TOULOUSE, ALBI) / 60
    )
    assert 1.0 < transport_hours(TOULOUSE, ALBI) < 2.0


def test_table_model_reads_csv_and_falls_back(tmp_path):
    """Table times win, either direction; missing pairs go to the fallback."""
    p = tmp_path / "times.csv"
    p.write_text("origin_insee,dest_insee,minutes\n31555,81004,58\n")
    places = {"31555": TOULOUSE, "81004": ALBI}
    m = TableTravelModel.from_csv(p, places, fallback=OfflineTravelModel())
    assert m.minutes(TOULOUSE, ALBI) == 58
    assert m.minutes(ALBI, TOULOUSE) == 58
    other = Point(lat=44.0, lon=1.35)
    assert m.minutes(TOULOUSE, other) == pytest.approx(
        OfflineTravelModel().minutes(TOULOUSE, other)
    )
    assert m.matrix([TOULOUSE], [ALBI, other])[0, 0] == 58


def test_table_model_errors(tmp_path):
    """A bad number names file and line; a missing pair without fallback is an error."""
    p = tmp_path / "bad.csv"
    p.write_text("origin_insee,dest_insee,minutes\n31555,81004,abc\n")
    with pytest.raises(InputError, match=r"bad.csv:2: minutes: not a number: 'abc'"):
        TableTravelModel.from_csv(p, {"31555": TOULOUSE, "81004": ALBI})
    with pytest.raises(InputError, match=r"bad.csv:2: origin_insee: '31555' is not a commune"):
        TableTravelModel.from_csv(p, {})
    m = TableTravelModel({}, {"31555": TOULOUSE})
    with pytest.raises(InputError, match="no travel time"):
        m.minutes(TOULOUSE, ALBI)


def test_osrm_is_only_constructed_and_parses_answers():
    """The OSRM model needs a URL; with a fake opener (no network) it converts seconds."""
    with pytest.raises(InputError, match="http"):
        OsrmTravelModel("localhost:5000")
    seen = []

    def fake(url):
        seen.append(url)
        if "/table/" in url:
            return {"code": "Ok", "durations": [[3600.0, 1800.0]]}
        return {"code": "Ok", "routes": [{"duration": 2700.0}]}

    m = OsrmTravelModel("http://localhost:5000/", opener=fake)
    assert m.minutes(TOULOUSE, ALBI) == 45.0
    assert np.allclose(m.matrix([TOULOUSE], [ALBI, TOULOUSE]), [[60.0, 30.0]])
    assert seen[0].startswith("http://localhost:5000/route/v1/driving/1.444,43.6045;")
    assert not math.isnan(m.minutes(ALBI, TOULOUSE))
