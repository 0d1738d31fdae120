"""The event and re-plan screens' wiring (form -> record_event -> dry run -> save), on the
real re-planning domain (``register/events.py``, ``register/replan.py``)."""

from __future__ import annotations

import pytest

from .conftest import client_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_event_then_preview_then_save(app, register_url):
    """Record a pump failure, see the dry run's French diff, save v2, audited with the account."""
    from hadplanner.models.request import parse_request
    from hadplanner.register.service import add_patient, history

    add_patient(parse_request({
        "patient": {"id": "E001", "weight_kg": 70, "height_cm": 175,
                    "home": {"commune": "31555"}},
        "cycles": [{"number": 1, "start": "2027-04-05T10:00", "regimen": "rr-cycle"}]}),
        user="tests", url=register_url)
    c = client_for(app, "alice")
    page = c.get("/patients/E001/evenement")
    assert page.status_code == 200 and 'id="event-form"' in page.text
    r = c.post("/patients/E001/evenement", data={"csrf_token": c.csrf, "kind": "pump_failure",
                                                 "at": "pas une date"})
    assert r.status_code == 422 and "date et heure attendues" in r.text
    assert 'value="pas une date"' in r.text
    r = c.post("/patients/E001/evenement", data={"csrf_token": c.csrf, "kind": "pump_failure",
                                                 "at": "2027-04-16T14:10"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/patients/E001/replanifier"
    preview = c.get("/patients/E001/replanifier")
    assert "du cycle 1 arrêtée le ven. 16/04/2027 14:10" in preview.text
    assert "non enregistré" in preview.text
    assert [p["version"] for p in history("E001", url=register_url)["plans"]] == [1]
    r = c.post("/patients/E001/replanifier", data={"csrf_token": c.csrf},
               follow_redirects=False)
    assert r.status_code == 303
    h = history("E001", url=register_url)
    assert [p["version"] for p in h["plans"]] == [1, 2]
    assert {a["user"] for a in h["audit"] if a["action"] in ("event.add", "plan.add")
            and a["detail"].get("version", 2) == 2} == {"alice"}
    page = c.get("/patients/E001?replanifie=1")
    assert "Nouveau plan v2 enregistré" in page.text
    assert "pris en compte dans le plan v2" in page.text
