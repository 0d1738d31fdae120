"""The web application: FastAPI, pages rendered on the server (Jinja2), htmx for the parts.

:func:`create_app` builds it; :func:`serve` runs it with uvicorn
(``hadplanner serve``). Every page and every API route needs a session, except
the sign-in page (and the static files: htmx, Leaflet, the style sheet, all
shipped in the package, nothing from a CDN). Each route belongs to one
*area* whose roles are declared once (:data:`AREAS`): the coordinator's
patients, the pharmacy's production, the ARS's territory; an account of
another role gets 403. Every request that changes something (any method but
GET/HEAD) must carry the session's CSRF token (form field ``csrf_token`` or
header ``X-CSRF-Token``). Errors never show a traceback: a bug is logged to
the log folder (as the command line does) and answered with a plain page.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from hadplanner.errors import HadPlannerError
from hadplanner.web.accounts import Account, same_token, session_account, sign_in, sign_out
from hadplanner.web.labels import PAGE, ROLE_HOME, ROLE_NAMES
from hadplanner.web.state import WebState

log = logging.getLogger("hadplanner.web")

SESSION_COOKIE = "hadp_session"
LOGIN_CSRF_COOKIE = "hadp_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

AREAS: dict[str, frozenset[str]] = {
    "coordinator": frozenset({"coordinator"}),
    "pharmacy": frozenset({"pharmacist"}),
    "ars": frozenset({"ars"}),
    "any": frozenset({"coordinator", "pharmacist", "ars"}),
}
"""Who may use each area of routes (a route's area is its router's)."""

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; "
       "base-uri 'none'; object-src 'none'")


# -- errors that become pages -------------------------------------------------------------


class NotSignedIn(Exception):
    """No valid session."""


class Forbidden(Exception):
    """A signed-in account of a role the route is not for."""

    def __init__(self, account: Account) -> None:
        super().__init__(account.role)
        self.account = account


class CsrfRefused(Exception):
    """A write without the session's CSRF token."""


class NotFound(Exception):
    """Something of the register or the territory that does not exist (a French message)."""


class BadInput(Exception):
    """A query the page cannot answer (a French message)."""


# -- templates ----------------------------------------------------------------------------

_ENV: Any = None


def templates() -> Any:
    global _ENV
    if _ENV is None:
        import jinja2

        from hadplanner.export import _labels as L
        from hadplanner.web import labels as W

        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("hadplanner.web", "templates"),
            autoescape=jinja2.select_autoescape(["html", "j2"]),
            trim_blocks=True, lstrip_blocks=True,
        )
        from hadplanner.export.coverage_tables import STATUS_LABELS

        _ENV.globals.update(L=L, W=W, ROLE_NAMES=ROLE_NAMES, STATUS=STATUS_LABELS["fr"])
        _ENV.filters["num"] = lambda x, d=0: L.number(x, d, "fr")
        _ENV.filters["when"] = lambda t: L.when(t, "fr", year=True)
        _ENV.filters["day"] = lambda t: L.date(t, "fr")
    return _ENV


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` for the signed-in account (if any)."""
    account = getattr(request.state, "account", None)
    partial = bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")
    context.setdefault("layout", "fragment.html.j2" if partial else "base.html.j2")
    html = templates().get_template(template).render(account=account, request=request,
                                                 partial=partial, status=status, **context)
    return HTMLResponse(html, status_code=status)


def message_page(request: Request, text: str, status: int) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": text}, status_code=status)
    return page(request, "message.html.j2", status=status, text=text)


# -- sessions and roles -------------------------------------------------------------------


def state_of(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


async def _account(request: Request) -> Account:
    token = request.cookies.get(SESSION_COOKIE)
    from starlette.concurrency import run_in_threadpool

    account = await run_in_threadpool(session_account, token, url=state_of(request).db_url)
    if account is None:
        raise NotSignedIn()
    request.state.account = account
    return account


async def _check_csrf(request: Request, account: Account) -> None:
    sent = request.headers.get("x-csrf-token")
    if not sent and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not same_token(sent, account.csrf):
        raise CsrfRefused()


def allow(area: str) -> Callable[..., Any]:
    """The dependency of a router of ``area``: a session of one of its roles, and the CSRF
    token on every write."""
    roles = AREAS[area]

    async def guard(request: Request) -> Account:
        account = await _account(request)
        if account.role not in roles:
            raise Forbidden(account)
        if request.method not in SAFE_METHODS:
            await _check_csrf(request, account)
        return account

    guard.area = area  # type: ignore[attr-defined]
    return guard


def current(request: Request) -> Account:
    """The account the route's guard admitted."""
    return request.state.account  # type: ignore[no-any-return]


# -- the application ----------------------------------------------------------------------


class SecurityHeaders:
    """Headers on every answer: no framing by others, no sniffing, no referrer, a strict
    content policy, and no caching of pages (they hold patient data)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"x-frame-options", b"SAMEORIGIN"),
                            (b"content-security-policy", CSP.encode())]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(*, territory: str = "occitanie", db_url: str | None = None,
               secure_cookies: bool = True, warm: bool = True) -> FastAPI:
    """The web application over the register ``db_url`` (default: ``HADPLANNER_DB``).

    Parameters
    ----------
    territory
        The territory of the HADs and communes.
    db_url
        The register (URL or SQLite file); default ``HADPLANNER_DB``.
    secure_cookies
        Mark the session cookie ``Secure`` (browsers still send it to
        ``http://localhost``); off only behind a TLS proxy.
    warm
        Build the territory's index in the background at start-up, so that the
        first patient does not wait for it.
    """
    from hadplanner.register.db import engine_for
    from hadplanner.web import api, ars, coordinator, pharmacy

    engine_for(db_url)  # opened and migrated now: a bad HADPLANNER_DB fails at start
    web = WebState(territory=territory, db_url=db_url, secure_cookies=secure_cookies)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        if warm:
            threading.Thread(target=_warm, args=(web,), daemon=True).start()
        yield

    app = FastAPI(title="hadplanner", version=_version(), lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None,
                  description="API de hadplanner : les sorties --json de la ligne de commande "
                  "(patients, plans, événements, fiche de production, couverture). Toutes "
                  "les routes demandent une session ; les écritures, le jeton CSRF "
                  "(en-tête X-CSRF-Token, donné par GET /api/session).")
    app.state.web = web
    static = resources.files("hadplanner.web") / "static"
    leaflet = resources.files("hadplanner.export") / "static" / "leaflet-1.9.4"
    app.mount("/static/leaflet", StaticFiles(directory=str(leaflet)), name="leaflet")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    _public_routes(app)
    app.include_router(_any_router())
    app.include_router(coordinator.router(allow("coordinator")))
    app.include_router(pharmacy.router(allow("pharmacy")))
    app.include_router(ars.router(allow("ars")))
    app.include_router(api.router(allow))
    _handlers(app)
    app.add_middleware(SecurityHeaders)
    return app


def _version() -> str:
    from hadplanner import __version__

    return __version__


def _warm(web: WebState) -> None:
    try:
        web.index()
        web.communes()
        web.hospitals()
    except Exception:  # reported when a page needs it
        log.exception("warming the territory failed")


def _public_routes(app: FastAPI) -> None:
    """The sign-in page: the only route answered without a session."""
    import secrets

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "") -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
        resp = page(request, "login.html.j2", csrf=token, next=_safe_next(next), error=None,
                    name="")
        _cookie(request, resp, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return resp

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = await request.form()
        name = str(form.get("name", ""))[:120]
        password = str(form.get("password", ""))[:1024]
        nxt = _safe_next(str(form.get("next", "")))
        sent = form.get("csrf_token")
        if not same_token(sent if isinstance(sent, str) else None,
                          request.cookies.get(LOGIN_CSRF_COOKIE)):
            raise CsrfRefused()
        result = await run_in_threadpool(sign_in, name, password,
                                         url=state_of(request).db_url)
        if result is None:
            return page(request, "login.html.j2", status=401, csrf=sent, next=nxt,
                        error=PAGE["bad_login"], name=name)
        token, account = result
        resp: Response = RedirectResponse(nxt or ROLE_HOME[account.role], status_code=303)
        _cookie(request, resp, SESSION_COOKIE, token, max_age=None)
        resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return resp


def _any_router() -> Any:
    from fastapi import APIRouter

    r = APIRouter(dependencies=[Depends(allow("any"))], include_in_schema=False)

    @r.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse(ROLE_HOME[current(request).role], status_code=303)

    @r.post("/logout")
    def logout(request: Request) -> Response:
        sign_out(current(request), url=state_of(request).db_url)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @r.get("/api/openapi.json")
    def openapi(request: Request) -> Response:
        return JSONResponse(request.app.openapi())

    @r.get("/api/session")
    def session(request: Request) -> Response:
        a = current(request)
        return JSONResponse({"name": a.name, "role": a.role, "csrf_token": a.csrf})

    return r


def _safe_next(value: str) -> str:
    """A local path to go back to after signing in (never another site)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and not value.startswith("/login"):
        return value[:500]
    return ""


def _cookie(request: Request, resp: Response, name: str, value: str,
            max_age: int | None) -> None:
    resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                    secure=state_of(request).secure_cookies, samesite="strict")


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        path = request.url.path
        if path.startswith("/api/"):
            return JSONResponse({"detail": "session requise : connectez-vous (POST /login)"},
                                status_code=401)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = "/login"
        if request.method == "GET" and path != "/":
            from urllib.parse import quote

            target += "?next=" + quote(path + (f"?{request.url.query}"
                                               if request.url.query else ""), safe="")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return message_page(request, PAGE["forbidden"].format(
            role=ROLE_NAMES[exc.account.role]), 403)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, exc: CsrfRefused) -> Response:
        return message_page(request, PAGE["csrf"], 403)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return message_page(request, str(exc), 404)

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        return message_page(request, str(exc), 400)

    @app.exception_handler(HadPlannerError)
    async def library_error(request: Request, exc: HadPlannerError) -> Response:
        return message_page(request, f"Demande refusée : {exc}", 400)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return message_page(request, f"Paramètre invalide : {where}", 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return message_page(request, PAGE["not_found"], 404)
        if exc.status_code == 405:
            return message_page(request, "Méthode non permise sur cette adresse.", 405)
        return message_page(request, str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        from hadplanner.cli.boundary import write_crash_log

        path = write_crash_log(exc)
        where = path.name if path is not None else "aucun journal n'a pu être écrit"
        log.error("internal error on %s %s, details in %s", request.method,
                  request.url.path, path)
        return message_page(request, PAGE["error"].format(where=where), 500)


def today_paris() -> dt.date:
    from hadplanner.models.request import PARIS

    return dt.datetime.now(PARIS).date()


def app_from_environment() -> FastAPI:
    """The application as :func:`serve` configures it for each worker process."""
    import os

    return create_app(territory=os.environ.get("HADPLANNER_WEB_TERRITORY", "occitanie"),
                      secure_cookies=os.environ.get("HADPLANNER_WEB_INSECURE_COOKIES") != "1")


def serve(host: str = "127.0.0.1", port: int = 8000, territory: str = "occitanie",
          secure_cookies: bool = True, workers: int = 1) -> None:
    """Run the application with uvicorn until Ctrl-C.

    With ``workers`` > 1, that many processes share the port (sessions are in the
    register, so any of them answers any signed-in browser); each keeps its own caches.
    """
    import os

    import uvicorn

    if workers == 1:
        app = create_app(territory=territory, secure_cookies=secure_cookies)
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
        return
    from hadplanner.register.db import engine_for

    engine_for(None)  # migrated once, before the workers start
    os.environ["HADPLANNER_WEB_TERRITORY"] = territory
    os.environ["HADPLANNER_WEB_INSECURE_COOKIES"] = "0" if secure_cookies else "1"
    uvicorn.run("hadplanner.web.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="info", server_header=False)


def route_table(app: FastAPI) -> list[tuple[frozenset[str], str]]:
    """Every (methods, path) the application answers, static mounts excluded."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before routers were included lazily
        contexts: Any = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    out = []
    for rc in contexts:
        methods = getattr(rc, "methods", None)
        if methods:
            out.append((frozenset(methods), str(rc.path)))
    return out
