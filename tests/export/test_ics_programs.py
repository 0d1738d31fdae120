"""The iCalendar export imported into real calendar programs (calcurse, khal)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest

from hadplanner.export.ics import calendar_places, plans_to_ics

PATIENTS = ("P003-mrd-castres", "P005-march-dst")  # HAD changes at home; one crosses DST
STAMP = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)
WHO = {"inpatient": "hospitalisation", "day_hospital": "hôpital de jour",
       "had_nurse": "infirmier HAD"}
WHERE = {"inpatient": "Service d'hospitalisation — IUCT-Oncopole",
         "day_hospital": "Hôpital de jour — IUCT-Oncopole"}
PUI = "PUI (pharmacie à usage intérieur) — IUCT-Oncopole"


def _needs(program: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        shutil.which(program) is None,
        reason=f"{program} is not installed (Debian: apt-get install {program})",
    )


@pytest.fixture(scope="module")
def calendar(example_plans, tmp_path_factory):
    """One calendar with two patients: (path of the .ics, the plans, their homes)."""
    pairs = [example_plans[name] for name in PATIENTS]
    homes = {plan.patient_id: calendar_places(req)["home"] for req, plan in pairs}
    plans = [plan for _, plan in pairs]
    path = tmp_path_factory.mktemp("ics") / "two-patients.ics"
    path.write_bytes(plans_to_ics(plans, homes=homes, hospital="IUCT-Oncopole", stamp=STAMP))
    return path, plans, homes


def _expected(plans, homes, tz: str) -> list[tuple[str, str, str, str, bool]]:
    """(start, end, title, location, reminder) of every event, as a user in `tz` sees it."""
    zone = ZoneInfo(tz)

    def at(t: dt.datetime) -> str:
        return t.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    half, hour = dt.timedelta(minutes=30), dt.timedelta(minutes=60)
    rows = []
    for plan in plans:
        pid = plan.patient_id
        place = {**WHERE, "had_nurse": f"Domicile — {homes[pid]}"}
        for c in plan.cycles:
            for b in c.bags:
                rows.append((at(b.prepared_at - hour), at(b.prepared_at),
                             f"{pid} — Préparation PUI poche n°{b.index} (cycle {c.number})",
                             PUI, False))
                what = (f"Pose de la poche n°1 (début du cycle {c.number})" if b.index == 1
                        else f"Changement de poche n°{b.index} (cycle {c.number})")
                rows.append((at(b.start), at(b.start + half),
                             f"{pid} — {what} — {WHO[b.changed_by]}",
                             place[b.changed_by], True))
            rows.append((at(c.end), at(c.end + half),
                         f"{pid} — Fin de perfusion (cycle {c.number})",
                         place[c.bags[-1].changed_by], True))
    return sorted(rows)


def _span(plans) -> tuple[dt.date, dt.date]:
    starts = [b.prepared_at for p in plans for c in p.cycles for b in c.bags]
    return min(starts).date() - dt.timedelta(days=1), max(c.end for p in plans
                                                          for c in p.cycles).date()


def _run(args: list[str], **env: str) -> str:
    res = subprocess.run(args, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "LC_ALL": "C.UTF-8", **env})
    assert res.returncode == 0, res.stderr + res.stdout
    return res.stdout


@_needs("calcurse")
@pytest.mark.parametrize("tz", ["Europe/Paris", "UTC"])
def test_calcurse_imports_every_event(calendar, tz, tmp_path):
    """calcurse imports all events without skipping any and lists each one at its time with
    its title and location, in Paris and (VTIMEZONE honoured) shifted in UTC."""
    path, plans, homes = calendar
    report = _run(["calcurse", "-D", str(tmp_path), "-i", str(path)], TZ=tz, HOME=str(tmp_path))
    expected = _expected(plans, homes, tz)
    assert f"{len(expected)} apps" in report and "0 skipped" in report
    first, last = _span(plans)
    out = _run(["calcurse", "-D", str(tmp_path), "-Q", "--input-datefmt", "4",
                "--from", first.isoformat(), "--to", last.isoformat(),
                "--format-apt", "@@%(start:%Y-%m-%d %H:%M)|%(end:%Y-%m-%d %H:%M)|%m\n%N\n"],
               TZ=tz, HOME=str(tmp_path))
    seen = []
    for chunk in out.split("@@")[1:]:
        head, _, note = chunk.partition("\n")
        start, end, title = head.split("|", 2)
        location = re.search(r"Location: (.*)", note)
        assert location is not None, chunk
        seen.append((start, end, title, location.group(1).strip()))
    assert sorted(seen) == [row[:4] for row in expected]


@_needs("calcurse")
def test_calcurse_keeps_reminders_on_changes_only(calendar, tmp_path):
    """calcurse flags bag changes and ends of infusion for notification (VALARM), not the
    pharmacy's preparations."""
    path, plans, _ = calendar
    _run(["calcurse", "-D", str(tmp_path), "-i", str(path)], TZ="Europe/Paris",
         HOME=str(tmp_path))
    lines = (tmp_path / "apts").read_text(encoding="utf-8").splitlines()
    flags = {}
    for line in lines:  # calcurse's store: "MM/DD/YYYY @ HH:MM -> ...>note !title"
        m = re.match(r".* -> \S+ @ \S+(?:>\w+)? ([|!])(.*)$", line)
        assert m is not None, line
        flags[m.group(2)] = m.group(1)
    assert len(flags) == sum(2 * len(c.bags) + 1 for p in plans for c in p.cycles)
    for title, flag in flags.items():
        assert flag == ("|" if "Préparation PUI" in title else "!"), title


@_needs("khal")
def test_khal_lists_every_event_with_location_and_alarm(calendar, tmp_path):
    """khal imports the file into a vdir calendar and lists every event at its Paris time,
    with its title, location and an alarm exactly on changes and ends of infusion."""
    path, plans, homes = calendar
    config = tmp_path / "khal.conf"
    config.write_text(
        "[calendars]\n[[had]]\n"
        f"path = {tmp_path / 'had'}\ntype = calendar\n"
        "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        "local_timezone = Europe/Paris\ndefault_timezone = Europe/Paris\n"
        f"[sqlite]\npath = {tmp_path / 'khal.db'}\n",
        encoding="utf-8",
    )
    (tmp_path / "had").mkdir()
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "TZ": "UTC"}
    _run(["khal", "-c", str(config), "import", "--batch", "-a", "had", str(path)], **env)
    first, last = _span(plans)
    out = _run(["khal", "-c", str(config), "list", "--day-format", "",
                "--format", "{start}|{end}|{title}|{location}|{alarm-symbol}",
                first.isoformat(), (last + dt.timedelta(days=1)).isoformat()], **env)
    seen = []
    for line in filter(None, out.splitlines()):
        start, end, title, location, alarm = line.split("|")
        seen.append((start, end, title, location, bool(alarm.strip())))
    assert sorted(seen) == _expected(plans, homes, "Europe/Paris")
