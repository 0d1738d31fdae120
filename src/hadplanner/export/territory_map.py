"""The territory map (folium): one toggleable layer per HAD zone, HAD sites, a legend.

French labels by default. Each zone is dissolved into one (multi)polygon and
lightly simplified so the HTML stays small; shared areas show as overlapping
translucent fills. A last layer hatches the communes with no chemotherapy-
authorised HAD on the day, the gap the thesis describes (IV.C).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from hadplanner.models.territory import LegalStatus
from hadplanner.territory.loading import LoadedTerritory

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52", "#843c39", "#637939",
    "#7b4173", "#3182bd", "#31a354", "#756bb1",
)  # fmt: skip
"""Distinct colours, one per HAD in file order."""

SIMPLIFY_DEG = 0.002
"""Tolerance for dissolved zone outlines (~200 m): invisible at region scale."""

TEXT: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Zones d'intervention des HAD — {name} — autorisations au {day}",
        "zone": "Zone : {name}",
        "sites": "Sites des HAD",
        "gap": "Sans HAD autorisée en chimiothérapie",
        "authorised": "autorisée en chimiothérapie",
        "not_authorised": "non autorisée en chimiothérapie",
        "main": "site principal",
        "annex": "site annexe",
        "status": "Statut",
        "auth": "Chimiothérapie au {day}",
        "yes": "oui",
        "no": "non",
        "patients": "Patients traités (thèse)",
        "communes": "communes",
        "inhabitants": "habitants",
        "legend": "Légende",
        "reconstructed": "Zones reconstituées d'après la thèse, non officielles",
        "legend_auth": "autorisée en chimiothérapie (trait plein) ; tirets : non autorisée",
        "legend_gap": "Communes sans HAD autorisée en chimiothérapie : {n}",
        "basis": {"attached": "rattachée à", "associated": "établissement associé de"},
        "legal": {
            LegalStatus.public_hospital: "rattachée à un centre hospitalier public",
            LegalStatus.private_clinic: "rattachée à une clinique privée",
            LegalStatus.private_for_profit: "établissement privé à but lucratif",
            LegalStatus.private_non_profit: "établissement privé à but non lucratif",
        },
    },
    "en": {
        "title": "HAD intervention zones — {name} — authorisations on {day}",
        "zone": "Zone: {name}",
        "sites": "HAD sites",
        "gap": "No chemotherapy-authorised HAD",
        "authorised": "authorised for chemotherapy",
        "not_authorised": "not authorised for chemotherapy",
        "main": "main site",
        "annex": "annex site",
        "status": "Status",
        "auth": "Chemotherapy on {day}",
        "yes": "yes",
        "no": "no",
        "patients": "Patients treated (thesis)",
        "communes": "communes",
        "inhabitants": "inhabitants",
        "legend": "Legend",
        "reconstructed": "Zones reconstructed from the thesis, not official",
        "legend_auth": "authorised for chemotherapy (solid line); dashed: not authorised",
        "legend_gap": "Communes with no chemotherapy-authorised HAD: {n}",
        "basis": {"attached": "attached to", "associated": "associated with"},
        "legal": {
            LegalStatus.public_hospital: "attached to a public hospital",
            LegalStatus.private_clinic: "attached to a private clinic",
            LegalStatus.private_for_profit: "private for-profit establishment",
            LegalStatus.private_non_profit: "private non-profit establishment",
        },
    },
}


def _dissolve(geoms: np.ndarray):
    """Union of adjacent commune polygons (coverage union when they tile, else plain)."""
    try:
        merged = shapely.coverage_union_all(geoms)
        if not merged.is_valid:
            raise ValueError
    except Exception:  # not a clean coverage: the robust (slower) union
        merged = shapely.union_all(shapely.make_valid(geoms))
    return shapely.make_valid(merged.simplify(SIMPLIFY_DEG, preserve_topology=True))


def build_territory_map(loaded: LoadedTerritory, day: dt.date, lang: str = "fr"):
    """A folium map of the zones and sites of ``loaded`` with authorisations on ``day``.

    Raises
    ------
    ImportError
        If folium is missing (``pip install folium``).
    """
    try:
        import folium
        from branca.element import Element
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ImportError("the territory map needs folium: pip install folium") from exc

    T = TEXT["en" if lang == "en" else "fr"]
    t = loaded.territory
    gdf = loaded.communes_gdf
    esc = html.escape
    minx, miny, maxx, maxy = gdf.total_bounds
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=8,
        tiles=None,
        control_scale=True,
    )
    # Tiles load from the network when the HTML is opened; the file itself is self-contained data.
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(fmap)
    pop = gdf["population"]
    colours = {h.id: PALETTE[i % len(PALETTE)] for i, h in enumerate(t.hads)}
    authorised = {h.id: h.authorised_on(day) for h in t.hads}
    for had in t.hads:
        zone = t.zone_of(had.id)
        if zone is None:
            continue
        codes = sorted(zone.communes)
        shape = _dissolve(gdf.geometry.loc[codes].to_numpy())
        state = T["authorised"] if authorised[had.id] else T["not_authorised"]
        tip = (
            f"<b>{esc(had.name)}</b><br>{esc(state)}<br>{len(codes)} {T['communes']}, "
            f"{int(pop.loc[codes].sum()):,} {T['inhabitants']}"
        ).replace(",", "\u202f" if lang != "en" else ",")
        layer = folium.FeatureGroup(name=T["zone"].format(name=esc(had.name)), show=True)
        colour = colours[had.id]
        folium.GeoJson(
            shapely.geometry.mapping(shape),
            style_function=lambda _f, c=colour, a=authorised[had.id]: {
                "color": c,
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.30,
                "dashArray": None if a else "6 4",
            },
            tooltip=folium.Tooltip(tip),
        ).add_to(layer)
        layer.add_to(fmap)

    covered = set().union(
        *(z.communes for z in t.zones if authorised.get(z.had_id)), set()
    )
    gap_codes = [c for c in gdf.index if c not in covered]
    if gap_codes:
        gap = folium.FeatureGroup(name=T["gap"], show=False)
        folium.GeoJson(
            shapely.geometry.mapping(_dissolve(gdf.geometry.loc[gap_codes].to_numpy())),
            style_function=lambda _f: {
                "color": "#000000",
                "weight": 1,
                "fillColor": "#000000",
                "fillOpacity": 0.35,
            },
            tooltip=T["gap"],
        ).add_to(gap)
        gap.add_to(fmap)

    sites = folium.FeatureGroup(name=T["sites"], show=True)
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
            kind = T["main"] if site.kind.value == "main" else T["annex"]
            popup = (
                f"<b>{esc(had.name)}</b><br>{esc(site.town)} ({site.insee}), {kind}<br>"
                f"{T['status']} : {esc(T['legal'][had.legal_status])}<br>"
                f"{T['auth'].format(day=day.isoformat())} : {auth_text}<br>"
                f"{T['patients']} : {had.patients_treated}"
            )
            if lang == "en":
                popup = popup.replace(" : ", ": ")
            folium.CircleMarker(
                location=[site.location.lat, site.location.lon],
                radius=8 if site.kind.value == "main" else 5,
                color="#000000",
                weight=1,
                fill=True,
                fill_color=colours[had.id],
                fill_opacity=1.0 if authorised[had.id] else 0.5,
                popup=folium.Popup(popup, max_width=320),
                tooltip=f"{esc(had.name)} — {esc(site.town)}",
            ).add_to(sites)
    sites.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)

    rows = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;"
        f"background:{colours[h.id]};opacity:{1 if authorised[h.id] else 0.5};"
        f"border:1px {'solid' if authorised[h.id] else 'dashed'} #000;margin-right:4px'></span>"
        f"{esc(h.name)}{' ✚' if authorised[h.id] else ''}</div>"
        for h in t.hads
    )
    title = T["title"].format(name=esc(t.name), day=day.isoformat())
    source = loaded.manifest.zones_source
    # The embedded zones are a reconstruction: the map must not pass for the ARS's.
    zones_note = T["reconstructed"] if "reconstruct" in source.lower() else esc(source)
    legend = (
        "<div style='position:fixed;bottom:20px;left:20px;z-index:9999;background:white;"
        "padding:8px;border:1px solid #888;font:12px sans-serif;max-height:60%;overflow:auto'>"
        f"<b>{T['legend']}</b><br><i>{esc(title)}</i><br>{rows}"
        f"<div>✚ {T['legend_auth']}</div>"
        f"<div>{T['legend_gap'].format(n=len(gap_codes))}</div>"
        f"<div><i>{zones_note}</i></div></div>"
    )
    root: Any = fmap.get_root()  # a branca Figure: it has .html and .header
    root.html.add_child(Element(legend))
    root.header.add_child(Element(f"<title>{esc(title)}</title>"))
    return fmap


def write_territory_map(
    loaded: LoadedTerritory, out_dir: str | Path, day: dt.date | None = None, lang: str = "fr"
) -> Path:
    """Write ``<out_dir>/territoire_<name>.html`` and return its path."""
    day = day or dt.date.today()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"territoire_{loaded.territory.name}.html"
    build_territory_map(loaded, day, lang).save(str(path))
    return path
