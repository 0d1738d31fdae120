"""The event and re-plan screens' wiring (form -> record_event -> dry run -> save), with a
stand-in for the events' domain (``register/events.py``, ``replan.py``) while it is not
merged: the real one is walked by the browser test once it is."""

from __future__ import annotations

import datetime as dt
import sys
import types
from typing import Any

import pytest

from .conftest import client_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def fake_domain(monkeypatch):
    from pydantic import BaseModel

    from hadplanner.models.request import PARIS

    class Event(BaseModel):
        kind: str
        at: dt.datetime
        until: dt.datetime | None = None
        rate_ug_per_day: float | None = None
        note: str = ""

        def model_post_init(self, _: Any) -> None:
            if self.at.tzinfo is None:
                self.at = self.at.replace(tzinfo=PARIS)

    class Diff:
        def lines(self, lang: str = "fr") -> list[str]:
            return ["Poche 4 du cycle 1 refaite le ven. 16/04/2027 15:00."]

        def as_dict(self) -> dict:
            return {"moved": 1}

    class Replanned:
        def __init__(self, request, plan):
            self.request, self.plan, self.diff, self.notices = request, plan, Diff(), ()

    events = types.ModuleType("hadplanner.register.events")
    events.Event = Event  # type: ignore[attr-defined]
    replan = types.ModuleType("hadplanner.register.replan")
    replan.check_event = lambda request, plan, event, after=None: None  # type: ignore[attr-defined]
    replan.replan = lambda request, plan, event: Replanned(request, plan)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hadplanner.register.events", events)
    monkeypatch.setitem(sys.modules, "hadplanner.register.replan", replan)


def test_event_then_preview_then_save(app, register_url, fake_domain):
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
    assert "Poche 4 du cycle 1 refaite" in preview.text and "non enregistré" in preview.text
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
