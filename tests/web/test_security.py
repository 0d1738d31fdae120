"""Access to the web application: sessions, roles on every route, CSRF, passwords, errors.

The routes are enumerated from the application itself, so a route added later without
its place in :data:`AREA_OF` fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import ACCOUNT_OF, PASSWORDS, client_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AREA_OF = (
    # (path prefix, roles allowed): the first matching prefix decides.
    ("/api/patients", {"coordinator"}),
    ("/api/pharmacy", {"pharmacist"}),
    ("/api/coverage", {"ars"}),
    ("/api/derogations", {"ars"}),
    ("/api/whatif", {"ars"}),
    ("/api/authorise-best", {"ars"}),
    ("/api/session", {"coordinator", "pharmacist", "ars"}),
    ("/api/openapi.json", {"coordinator", "pharmacist", "ars"}),
    ("/patients", {"coordinator"}),
    ("/communes", {"coordinator"}),
    ("/pharmacie", {"pharmacist"}),
    ("/ars", {"ars"}),
    ("/logout", {"coordinator", "pharmacist", "ars"}),
    ("/", {"coordinator", "pharmacist", "ars"}),
)

SAMPLE = {"pseudonym": "S001", "insee": "81139", "day": "2027-04-05",
          "scenario": "croix-rouge-pasteur"}


def roles_of(path: str) -> set[str]:
    for prefix, roles in AREA_OF:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/") or \
                (prefix == "/" and path == "/"):
            return roles
    raise AssertionError(f"route {path} has no declared roles in AREA_OF")


def routes(app):
    from hadplanner.web.app import route_table

    out = []
    for methods, path in route_table(app):
        if path == "/login":
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)
        for method in sorted(methods - {"HEAD"}):
            out.append((method, path, url))
    return out


@pytest.fixture(scope="module")
def clients(app):
    return {role: client_for(app, name) for role, name in ACCOUNT_OF.items()}


@pytest.fixture(scope="module")
def patient(app, clients):
    """One patient in the register (added by the coordinator through the API)."""
    c = clients["coordinator"]
    body = {"patient": {"id": "S001", "weight_kg": 64, "height_cm": 168,
                        "home": {"commune": "81139"}},
            "cycles": [{"number": 1, "start": "2027-04-05T10:00",
                        "regimen": "rr-induction-c1"}]}
    r = c.post("/api/patients", json=body, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201, r.text
    return "S001"


def test_every_route_has_declared_roles(app):
    found = routes(app)
    assert len(found) > 40
    for _, path, _ in found:
        roles_of(path)


def test_no_route_answers_without_a_session(app, patient):
    anonymous = client_for(app)
    for method, path, url in routes(app):
        r = anonymous.request(method, url, follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, url, r.status_code)
        else:
            assert r.status_code in (303, 401), (method, url, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"].startswith("/login")
        assert "S001" not in r.text
    assert anonymous.get("/login").status_code == 200


def test_a_forged_or_stale_cookie_is_no_session(app, patient):
    c = client_for(app)
    c.cookies.set("hadp_session", "forged-token-" + "x" * 30, domain="testserver")
    assert c.get("/api/patients").status_code == 401
    assert c.get("/patients", follow_redirects=False).status_code == 303


def test_roles_hold_on_every_route(app, clients, patient):
    """Each role gets 403 on every route of another role's area (with a valid CSRF token,
    so that it is the role that refuses), and is let in on its own."""
    for method, path, url in routes(app):
        allowed = roles_of(path)
        for role, c in clients.items():
            if path == "/logout":
                continue  # would end the session the other checks use
            r = c.request(method, url, headers={"X-CSRF-Token": c.csrf},
                          follow_redirects=False)
            if role in allowed:
                assert r.status_code not in (401, 403), (role, method, url, r.status_code)
            else:
                assert r.status_code == 403, (role, method, url, r.status_code)
                assert "S001" not in r.text


def test_ars_sees_no_patient(clients, patient):
    ars = clients["ars"]
    for url in ("/patients/S001", "/patients", "/api/patients", "/api/patients/S001",
                "/api/patients/S001/fhir", "/patients/S001/calendrier.ics"):
        r = ars.get(url)
        assert r.status_code == 403, url
        assert "S001" not in r.text
    assert "Accès refusé" in ars.get("/patients/S001").text
    # The ARS's own data carry no pseudonym either.
    for url in ("/ars", "/api/coverage", "/api/derogations/81139", "/ars/statuts.json"):
        r = ars.get(url)
        assert r.status_code == 200 and "S001" not in r.text, url


def test_every_write_needs_the_csrf_token(app, clients, patient):
    writes = [(m, p, u) for m, p, u in routes(app) if m not in ("GET", "HEAD")]
    assert len(writes) >= 8
    for method, path, url in writes:
        role = sorted(roles_of(path))[0]
        c = clients[role]
        for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
            r = c.request(method, url, headers=headers, follow_redirects=False)
            assert r.status_code == 403, (method, url, headers, r.status_code)
        r = c.request(method, url, data={"csrf_token": "wrong"}, follow_redirects=False)
        assert r.status_code == 403, (method, url)
    # The sign-in form has its own token (a cookie and the same value in the form).
    fresh = client_for(app)
    r = fresh.post("/login", data={"name": "alice", "password": PASSWORDS["alice"]},
                   follow_redirects=False)
    assert r.status_code == 403 and "hadp_session" not in r.headers.get("set-cookie", "")


def test_the_session_cookie_is_http_only_secure_and_strict(app):
    c = client_for(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"name": "carol", "password": PASSWORDS["carol"],
                               "csrf_token": token}, follow_redirects=False)
    cookie = next(v for k, v in r.headers.multi_items()
                  if k == "set-cookie" and v.startswith("hadp_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    assert r.headers["location"] == "/pharmacie"


def test_sign_out_ends_the_session(app):
    c = client_for(app, "carol")
    assert c.get("/pharmacie").status_code == 200
    old = c.cookies.get("hadp_session")
    r = c.post("/logout", headers={"X-CSRF-Token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    replay = client_for(app)
    replay.cookies.set("hadp_session", old, domain="testserver")
    assert replay.get("/api/pharmacy/production").status_code == 401


def test_an_open_redirect_is_refused(app):
    c = client_for(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"name": "bob", "password": PASSWORDS["bob"], "csrf_token": token,
                               "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/ars"


def test_passwords_are_never_stored_or_logged_in_clear(app, register_url, tmp_path, caplog,
                                                       capsys, monkeypatch):
    """An account made by the CLI (password prompted), sign-ins right and wrong: the
    password is in no byte of the register (WAL included), no log, no output."""
    from typer.testing import CliRunner

    from hadplanner.cli import app as cli_app

    monkeypatch.setenv("HADPLANNER_DB", register_url)
    secret = "Zq7-tres-secret-pw"
    result = CliRunner().invoke(cli_app, ["user", "add", "dora", "--role", "coordinator",
                                          "--user", "admin"], input=f"{secret}\n{secret}\n")
    assert result.exit_code == 0, result.output
    c = client_for(app)
    for password in (secret, secret + "-wrong"):
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          c.get("/login").text).group(1)
        c.post("/login", data={"name": "dora", "password": password, "csrf_token": token},
               follow_redirects=False)
    assert c.get("/api/session").json()["name"] == "dora"
    from hadplanner.register.db import transaction
    from hadplanner.register.schema import AuditRow, UserRow

    with transaction(register_url) as s:
        row = s.query(UserRow).filter_by(name="dora").one()
        assert row.password_hash.startswith("$argon2id$")
        actions = [a.action for a in s.query(AuditRow).filter_by(user="dora")]
        audit_text = " ".join(a.detail_json for a in s.query(AuditRow))
    assert {"user.login", "user.login_failed"} <= set(actions)
    assert secret not in audit_text
    folder = Path(register_url).parent
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in caplog.text
    assert secret not in result.output
    out = capsys.readouterr()
    assert secret not in out.out + out.err


def test_a_bug_shows_a_plain_french_page_and_logs_the_traceback(app, clients, patient,
                                                               monkeypatch, tmp_path):
    import hadplanner.register.service as service

    monkeypatch.setenv("HADPLANNER_LOG_DIR", str(tmp_path))

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(service, "history", broken)
    r = clients["coordinator"].get("/patients/S001/historique")
    assert r.status_code == 500
    assert "Une erreur interne s&#39;est produite" in r.text
    assert "Traceback" not in r.text and "simulated bug" not in r.text
    logs = list(tmp_path.glob("hadplanner-error-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text()
    assert "Traceback" in text and "simulated bug" in text
    assert logs[0].name in r.text
    r = clients["coordinator"].get("/api/patients/S001/history")
    assert r.status_code == 500 and r.json()["detail"].startswith("Une erreur interne")


def test_unknown_pages_and_bad_parameters_answer_in_french(clients, patient):
    c = clients["coordinator"]
    r = c.get("/patients/NOBODY")
    assert r.status_code == 404 and "Aucun patient « NOBODY »" in r.text
    r = clients["pharmacist"].get("/pharmacie?depuis=demain")
    assert r.status_code == 400 and "AAAA-MM-JJ" in r.text
    r = clients["ars"].get("/ars/commune/99999")
    assert r.status_code == 404 and "Commune inconnue" in r.text
    assert c.get("/nowhere").status_code in (303, 404)


def test_writes_are_audited_with_the_account(clients, patient, register_url):
    from hadplanner.register.service import history

    h = history("S001", url=register_url)
    users = {a["user"] for a in h["audit"] if a["action"] != "identity.read"}
    assert users == {"alice"}
    assert {"patient.add", "plan.add"} <= {a["action"] for a in h["audit"]}


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong_in_french(clients):
    c = clients["coordinator"]
    form = {"csrf_token": c.csrf, "pseudonym": "Jean Dupont", "commune": "Nulle-Part",
            "weight_kg": "soixante", "height_cm": "168", "access_status": "amm",
            "change_mode": "had_nurse", "start1": "05/04/2027 25:00",
            "regimen1": "rr-induction-c1"}
    r = c.post("/patients/nouveau", data=form)
    assert r.status_code == 422
    errors = dict(re.findall(r'id="err-(\w+)"[^>]*>([^<]+)<', r.text))
    assert set(errors) == {"pseudonym", "commune", "weight_kg", "start1"}
    assert "sans espace ni nom" in errors["pseudonym"]
    assert "commune inconnue" in errors["commune"]
    assert "doit être un nombre" in errors["weight_kg"]
    assert "date et heure attendues" in errors["start1"]
    for value in ("Jean Dupont", "Nulle-Part", "soixante", "05/04/2027 25:00"):
        assert f'value="{value}"' in r.text
    # A plan that cannot be made is said on the form, and nothing is stored.
    form.update(pseudonym="S002", commune="81139", weight_kg="64",
                start1="2027-04-05T10:00", regimen1="mrd", start2="2027-04-20T10:00",
                regimen2="rr-cycle")
    r = c.post("/patients/nouveau", data=form)
    assert r.status_code == 422 and 'id="err-start2"' in r.text
    assert c.get("/patients/S002").status_code == 404


def test_the_openapi_schema_describes_the_api(clients):
    schema = clients["ars"].get("/api/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/patients", "/api/patients/{pseudonym}", "/api/coverage",
            "/api/whatif/{scenario}", "/api/pharmacy/production"} <= paths
    assert not any(p.startswith(("/patients", "/ars", "/pharmacie")) for p in paths)


def test_the_api_mirrors_the_cli_json(clients, patient, register_url, monkeypatch):
    import json

    from typer.testing import CliRunner

    from hadplanner.cli import app as cli_app

    monkeypatch.setenv("HADPLANNER_DB", register_url)
    runner = CliRunner()
    cli = runner.invoke(cli_app, ["patient", "show", "S001", "--json"])
    assert cli.exit_code == 0
    assert clients["coordinator"].get("/api/patients/S001").json() == json.loads(cli.stdout)
    cli = runner.invoke(cli_app, ["derogations", "--commune", "81139", "--json"])
    assert clients["ars"].get("/api/derogations/81139").json() == json.loads(cli.stdout)
