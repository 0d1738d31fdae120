"""The ARS's screens: the coverage map at a date, a commune's status and candidates,
what-if scenarios, the best HADs to authorise, downloads. No patient data here.

The map is Leaflet served from the package (``export/static/leaflet-1.9.4``):
the communes' outlines (simplified once) and their statuses at the date are
fetched by ``static/ars-map.js``; a click asks for the commune's panel (htmx).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hadplanner.errors import HadPlannerError, InputError
from hadplanner.web.app import BadInput, NotFound, page, state_of

SIMPLIFY_DEG = 0.003
"""Outline simplification of the map's communes (~300 m: a regional map)."""


def day_of(request: Request, text: str | None) -> dt.date:
    """The day asked (``AAAA-MM-JJ``), by default the territory's reference day."""
    from hadplanner.models.base import FIRST_YEAR, LAST_YEAR

    if not text:
        return state_of(request).reference_day()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"Date attendue au format AAAA-MM-JJ, pas « {text[:40]} ».") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadInput(f"Année hors de {FIRST_YEAR}–{LAST_YEAR}.")
    return day


def scenarios(request: Request) -> dict[str, Path]:
    """The territory's what-if scenarios, by name."""
    from hadplanner.paths import territory_dir

    folder = territory_dir(state_of(request).territory) / "scenarios"
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def outlines(request: Request) -> bytes:
    """GeoJSON of the communes' outlines (code and name), built once."""
    web = state_of(request)
    if web.geojson is None:
        import shapely

        idx = web.index()
        simple = shapely.simplify(idx.geometry, SIMPLIFY_DEG, preserve_topology=True)
        simple = shapely.set_precision(simple, 0.0001)
        features = [{"type": "Feature", "properties": {"i": str(code), "n": str(name)},
                     "geometry": json.loads(shapely.to_geojson(g))}
                    for code, name, g in zip(idx.insee, idx.names, simple, strict=True)]
        web.geojson = json.dumps({"type": "FeatureCollection", "features": features},
                                 separators=(",", ":"), ensure_ascii=False).encode()
    return web.geojson


def summary(cov: Any) -> dict[str, Any]:
    from hadplanner.export.coverage import coverage_summary

    return coverage_summary(cov)


def router(guard: Any) -> APIRouter:
    r = APIRouter(dependencies=[Depends(guard)], include_in_schema=False)

    @r.get("/ars", response_class=HTMLResponse)
    def ars_map(request: Request, date: str | None = None) -> Response:
        day = day_of(request, date)
        cov = state_of(request).coverage(day)
        return page(request, "ars.html.j2", day=day, s=summary(cov),
                    scenarios=list(scenarios(request)))

    @r.get("/ars/communes.geojson")
    def communes_geojson(request: Request) -> Response:
        return Response(outlines(request), media_type="application/geo+json",
                        headers={"Cache-Control": "private, max-age=3600"})

    @r.get("/ars/statuts.json")
    def statuses(request: Request, date: str | None = None) -> Response:
        cov = state_of(request).coverage(day_of(request, date))
        data = dict(zip((str(c) for c in cov.index.insee), (str(s) for s in cov.status),
                        strict=True))
        return Response(json.dumps(data, separators=(",", ":")),
                        media_type="application/json")

    @r.get("/ars/commune/{insee}", response_class=HTMLResponse)
    def commune(request: Request, insee: str, date: str | None = None) -> Response:
        from hadplanner.territory.derogations import derogation_candidates

        day = day_of(request, date)
        try:
            ans = derogation_candidates(state_of(request).index(), insee[:10], day)
        except InputError:
            raise NotFound(f"Commune inconnue du territoire : « {insee[:10]} ».") from None
        names = dict(zip(state_of(request).index().had_ids,
                         state_of(request).index().had_names, strict=True))
        return page(request, "ars_commune.html.j2", a=ans, day=day, names=names)

    @r.post("/ars/scenario", response_class=HTMLResponse)
    async def whatif_run(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = await request.form()
        return await run_in_threadpool(_whatif, request, str(form.get("scenario", "")),
                                       str(form.get("date", "")))

    def _whatif(request: Request, name: str, date: str) -> Response:
        from hadplanner.territory.whatif import whatif

        path = scenarios(request).get(name)
        if path is None:
            raise BadInput(f"Scénario inconnu : « {name[:80]} ».")
        day = day_of(request, date)
        try:
            result = whatif(state_of(request).index(), path, day, source=str(path))
        except HadPlannerError as exc:
            raise BadInput(f"Scénario refusé : {exc}") from None
        return page(request, "ars_whatif.html.j2", w=result, day=day,
                    transitions=result.transitions().to_dict(orient="records"),
                    changed=result.changed().sort_values(
                        "population", ascending=False).head(40).to_dict(orient="records"))

    @r.post("/ars/meilleures", response_class=HTMLResponse)
    async def best_run(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = await request.form()
        return await run_in_threadpool(_best, request, str(form.get("k", "")),
                                       str(form.get("date", "")))

    def _best(request: Request, k_text: str, date: str) -> Response:
        from hadplanner.territory.best_authorisations import best_authorisations

        day = day_of(request, date)
        cov = state_of(request).coverage(day)
        eligible = int((~cov.authorised & cov.index.membership.any(axis=0)).sum())
        try:
            k = int(k_text)
        except ValueError:
            raise BadInput("k : un nombre entier d'HAD à autoriser.") from None
        if eligible == 0:
            raise BadInput(f"Toutes les HAD ayant une zone sont autorisées le {day} : rien à "
                           "choisir.")
        if not 1 <= k <= eligible:
            raise BadInput(f"k entre 1 et {eligible} (HAD non autorisées ayant une zone), "
                           f"pas {k}.")
        res = best_authorisations(cov, k, k)
        return page(request, "ars_best.html.j2", res=res, day=day)

    @r.get("/ars/couverture.csv")
    def coverage_csv(request: Request, date: str | None = None) -> Response:
        day = day_of(request, date)
        data = _tables(request, day)["coverage_communes.csv"]
        return Response(data, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="couverture_communes_{day}.csv"'})

    @r.get("/ars/couverture.gpkg")
    def coverage_gpkg(request: Request, date: str | None = None) -> Response:
        day = day_of(request, date)
        data = _tables(request, day)["coverage.gpkg"]
        return Response(data, media_type="application/geopackage+sqlite3", headers={
            "Content-Disposition": f'attachment; filename="couverture_{day}.gpkg"'})

    return r


def _tables(request: Request, day: dt.date) -> dict[str, bytes]:
    """The coverage tables and GIS layers of ``day`` (as ``hadplanner coverage --out``)."""
    web = state_of(request)

    def make() -> dict[str, bytes]:
        import tempfile

        from hadplanner.export.coverage_tables import write_coverage_tables

        with tempfile.TemporaryDirectory() as tmp:
            paths = write_coverage_tables(web.coverage(day), Path(tmp), "fr")
            return {p.name: p.read_bytes() for p in paths
                    if p.name in ("coverage_communes.csv", "coverage.gpkg")}

    return web.files.get(day, make)
