"""The web application under test: a temporary register with one account per role, the
application in-process (security tests) and the real server on a free port (browser tests).
"""

from __future__ import annotations

import re
import socket
import threading
import time
import warnings
from pathlib import Path

import pytest

PASSWORDS = {"alice": "alice-coordinatrice-1", "carol": "carol-pharmacie-1",
             "bob": "bob-ars-occitanie-1"}
ROLES = {"alice": "coordinator", "carol": "pharmacist", "bob": "ars"}
ACCOUNT_OF = {role: name for name, role in ROLES.items()}

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "test-screenshots"
"""Where a failing browser test leaves its screenshot (named in the test report)."""


def make_register(folder: Path) -> str:
    """A new register at ``folder/register.sqlite`` with alice, carol and bob."""
    from hadplanner.web.accounts import add_user

    url = str(folder / "register.sqlite")
    for name, role in ROLES.items():
        add_user(name, role, PASSWORDS[name], by="tests", url=url)
    return url


def sign_in(client, name: str) -> str:
    """Sign ``name`` in through the form; the session's CSRF token."""
    r = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
    r = client.post("/login", data={"name": name, "password": PASSWORDS[name],
                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client.get("/api/session").json()["csrf_token"]


@pytest.fixture(scope="module")
def register_url(tmp_path_factory, monkeypatch_module):
    folder = tmp_path_factory.mktemp("web")
    monkeypatch_module.setenv("HADPLANNER_LOG_DIR", str(folder / "logs"))
    return make_register(folder)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def app(register_url):
    from hadplanner.web.app import create_app

    application = create_app(db_url=register_url, warm=False)
    application.state.web.index()
    return application


def client_for(app, name: str | None = None):
    """A test client (HTTPS, so that the Secure cookie is sent), signed in as ``name``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    c = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    if name is not None:
        c.csrf = sign_in(c, name)  # type: ignore[attr-defined]
    return c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(app):
    """The application served by uvicorn on 127.0.0.1 (a thread of the test process)."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test, a screenshot of its page, named in the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    page = item.funcargs.get("page")
    if page is None:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{item.name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # the page may be gone with the failure
        report.sections.append(("screenshot", f"no screenshot: {exc}"))
        return
    report.sections.append(("screenshot", f"{path} (page {page.url})"))
    item.user_properties.append(("screenshot", str(path)))
