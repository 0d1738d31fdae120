"""The territory map (folium): one toggleable layer per HAD zone, HAD sites, a legend.

French labels by default. Each zone is dissolved into one (multi)polygon and
lightly simplified so the HTML stays small; shared areas show as overlapping
translucent fills. A last layer hatches the communes with no chemotherapy-
authorised HAD on the day, the gap the thesis describes (IV.C).

The HTML is one self-contained file that works with no network (hospital
proxies): Leaflet is inlined and the background is drawn from the communes
(department borders), see :mod:`hadplanner.export.static.offline`.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import numpy as np

from hadplanner.export._labels import check_lang, map_labels, number
from hadplanner.export.static.offline import (
    add_background,
    dissolve,
    feature_collection,
    finish_map,
    offline_map,
    script,
    script_json,
    swatch,
    write_map,
    zones_notice,
)
from hadplanner.territory.loading import LoadedTerritory

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52", "#843c39", "#637939",
    "#7b4173", "#3182bd", "#31a354", "#756bb1",
)  # fmt: skip
"""Distinct colours, one per HAD in file order."""

SIMPLIFY_DEG = 0.002
"""Tolerance for dissolved zone outlines (~200 m): invisible at region scale."""


def _dissolve(geoms: np.ndarray):
    """Union of adjacent commune polygons, simplified for display."""
    return dissolve(geoms, SIMPLIFY_DEG)


def build_territory_map(loaded: LoadedTerritory, day: dt.date, lang: str = "fr"):
    """A folium map of the zones and sites of ``loaded`` with authorisations on ``day``.

    Self-contained: it works with no network (see the module docstring).

    Raises
    ------
    ImportError
        If folium is missing (``pip install folium``).
    """
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ImportError("the territory map needs folium: pip install folium") from exc

    T = map_labels(check_lang(lang))
    sep = " : " if lang == "fr" else ": "
    t = loaded.territory
    gdf = loaded.communes_gdf
    esc = html.escape
    geoms = gdf.geometry.to_numpy()
    title = T["terr_title"].format(name=t.name, day=day.isoformat())
    fmap = offline_map(gdf.total_bounds, title)
    add_background(fmap, geoms, gdf["department"].to_numpy(), T)
    pop = gdf["population"]
    colours = {h.id: PALETTE[i % len(PALETTE)] for i, h in enumerate(t.hads)}
    authorised = {h.id: h.authorised_on(day) for h in t.hads}
    rows_of = {code: i for i, code in enumerate(gdf.index)}
    for had in t.hads:
        zone = t.zone_of(had.id)
        if zone is None:
            continue
        codes = sorted(zone.communes)
        shape = _dissolve(geoms[[rows_of[c] for c in codes]])
        state = T["authorised"] if authorised[had.id] else T["not_authorised"]
        tip = (
            f"<b>{esc(had.name)}</b><br>{esc(state)}<br>"
            f"{number(len(codes), 0, lang)} {T['communes']}, "
            f"{number(int(pop.loc[codes].sum()), 0, lang)} {T['inhabitants']}"
        )
        colour = colours[had.id]
        style = {
            "color": colour,
            "weight": 2,
            "fillColor": colour,
            "fillOpacity": 0.30,
            "dashArray": None if authorised[had.id] else "6 4",
        }
        layer = folium.FeatureGroup(name=esc(T["zone"].format(name=had.name)), show=True)
        layer.add_child(
            script(
                f"L.geoJSON({feature_collection([shape], [{'h': had.id}])}, "
                f"{{className: 'hadp-zone', style: {script_json(style)}}})\n"
                f"  .bindTooltip({script_json(tip)}, {{sticky: true}}).addTo(__PARENT__);\n"
            )
        )
        layer.add_to(fmap)

    covered = set().union(*(z.communes for z in t.zones if authorised.get(z.had_id)), set())
    gap_codes = [c for c in gdf.index if c not in covered]
    if gap_codes:
        gap = folium.FeatureGroup(name=esc(T["gap"]), show=False)
        shape = _dissolve(geoms[[rows_of[c] for c in gap_codes]])
        style = {"color": "#000000", "weight": 1, "fillColor": "#000000", "fillOpacity": 0.35}
        gap.add_child(
            script(
                f"L.geoJSON({feature_collection([shape], [{}])}, "
                f"{{className: 'hadp-gap', style: {script_json(style)}}})\n"
                f"  .bindTooltip({script_json(esc(T['gap']))}, {{sticky: true}})"
                ".addTo(__PARENT__);\n"
            )
        )
        gap.add_to(fmap)

    sites: list[list[Any]] = []
    for had in t.hads:
        auth = next((a for a in had.authorisations if a.valid_on(day)), None)
        if auth:
            auth_text = (
                f"{T['yes']} ({T['basis'][auth.basis.value]} {esc(auth.holder)}"
                + (f", → {auth.valid_until}" if auth.valid_until else "")
                + ")"
            )
        else:
            auth_text = T["no"]
        for site in had.sites:
            main = site.kind.value == "main"
            kind = T["main"] if main else T["annex"]
            popup = (
                f"<b>{esc(had.name)}</b><br>{esc(site.town)} ({site.insee}), {kind}<br>"
                f"{T['legal_status']}{sep}{esc(T['legal'][had.legal_status.value])}<br>"
                f"{T['auth'].format(day=day.isoformat())}{sep}{auth_text}<br>"
                f"{T['patients']}{sep}{had.patients_treated}"
            )
            style = {
                "radius": 8 if main else 5,
                "color": "#000000",
                "weight": 1,
                "fillColor": colours[had.id],
                "fillOpacity": 1.0 if authorised[had.id] else 0.5,
            }
            tooltip = f"{esc(had.name)} — {esc(site.town)}"
            sites.append([site.location.lat, site.location.lon, style, popup, tooltip])
    group = folium.FeatureGroup(name=esc(T["sites"]), show=True)
    group.add_child(
        script(
            f"{script_json(sites)}.forEach(function (s) {{\n"
            "  s[2].className = 'hadp-site';\n"
            "  L.circleMarker([s[0], s[1]], s[2]).bindPopup(s[3], {maxWidth: 320})\n"
            "    .bindTooltip(s[4]).addTo(__PARENT__);\n"
            "});\n"
        )
    )
    group.add_to(fmap)

    rows = "".join(
        "<div class='hadp-row'>"
        + swatch(
            colours[h.id],
            "opacity:1;border:1px solid #000"
            if authorised[h.id]
            else "opacity:0.5;border:1px dashed #000",
        )
        + f"<span>{esc(h.name)}{' ✚' if authorised[h.id] else ''}</span></div>"
        for h in t.hads
    )
    legend = (
        f"<h1>{esc(T['legend'])}</h1><p><i>{esc(title)}</i></p>"
        f"{zones_notice([loaded.manifest.zones_source], lang)}{rows}"
        f"<p>{esc(T['legend_auth'])}</p>"
        f"<p>{esc(T['legend_sites'])}</p>"
        f"<p>{esc(T['legend_gap'].format(n=number(len(gap_codes), 0, lang)))}</p>"
        f"<p class='hadp-small'>{esc(T['legend_departments'])}</p>"
    )
    return finish_map(fmap, legend)


def write_territory_map(
    loaded: LoadedTerritory, out_dir: str | Path, day: dt.date | None = None, lang: str = "fr"
) -> Path:
    """Write ``<out_dir>/territoire_<name>.html`` and return its path."""
    day = day or dt.date.today()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"territoire_{loaded.territory.name}.html"
    return write_map(build_territory_map(loaded, day, lang), path, lang)
