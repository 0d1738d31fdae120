"""The coverage map (folium): communes by status, zones, HAD sites, a legend.

French by default (the ARS's language), English with ``lang="en"``. To keep
the HTML small (a few MB for Occitanie), polygons are simplified and their
coordinates rounded to 4 decimals (~10 m), and each status is one GeoJSON
layer rather than one layer per commune.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from hadplanner.export._labels import check_lang
from hadplanner.export.coverage_tables import STATUS_LABELS, communes_table
from hadplanner.territory.coverage import STATUSES, Coverage

STATUS_COLOURS = {
    "served": "#1a9850",
    "derogation": "#fdae61",
    "convention": "#d73027",
    "no_had": "#7f7f7f",
}

_TEXT = {
    "fr": {
        "title": "Couverture HAD pour la chimiothérapie à domicile au {day}",
        "commune": "Commune",
        "population": "Population",
        "status": "Statut",
        "covering": "HAD de la zone",
        "candidates": "Candidates (dérogation)",
        "zone": "Zone d'intervention : {name}",
        "sites": "Sites des HAD",
        "authorised": "autorisée chimiothérapie",
        "not_authorised": "non autorisée chimiothérapie",
        "main": "site principal",
        "annex": "site annexe",
        "limit": "limite de trajet {limit:.0f} min, règle « {rule} »",
    },
    "en": {
        "title": "HAD coverage for home chemotherapy on {day}",
        "commune": "Commune",
        "population": "Population",
        "status": "Status",
        "covering": "Zone's HADs",
        "candidates": "Candidates (derogation)",
        "zone": "Intervention zone: {name}",
        "sites": "HAD sites",
        "authorised": "authorised for chemotherapy",
        "not_authorised": "not authorised for chemotherapy",
        "main": "main site",
        "annex": "annex site",
        "limit": "travel limit {limit:.0f} min, rule '{rule}'",
    },
}


def _thousands(n: int) -> str:
    """12 345 (French thousands separator, also readable in English)."""
    return f"{int(n):,}".replace(",", "\u202f")


def _lighten(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplified polygons with coordinates rounded to 4 decimals."""
    g = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return shapely.transform(g, lambda xy: np.round(xy, 4))


def coverage_map(cov: Coverage, lang: str = "fr", tolerance: float = 0.001) -> Any:
    """Build the folium map of ``cov``.

    Parameters
    ----------
    cov
        Coverage with commune polygons (its index built from a loaded territory).
    lang
        ``fr`` (default) or ``en``.
    tolerance
        Simplification tolerance in degrees (0.001 ~ 100 m).

    Returns
    -------
    folium.Map
    """
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ImportError("the coverage map needs folium: pip install folium") from exc
    import geopandas as gpd

    check_lang(lang)
    idx = cov.index
    if idx.geometry is None:
        raise ValueError("this coverage has no commune polygons to draw")
    text, labels = _TEXT[lang], STATUS_LABELS[lang]
    table = communes_table(cov, lang)
    geoms = _lighten(idx.geometry, tolerance)
    gdf = gpd.GeoDataFrame(
        {
            "commune": table["name"] + " (" + table["insee"] + ")",
            "population": table["population"].map(_thousands),
            "status": table["status"],
            "status_label": table["status_label"],
            "covering": table["covering"],
            "candidates": table["candidates"],
        },
        geometry=list(geoms),
        crs=4326,
    )
    minx, miny, maxx, maxy = shapely.total_bounds(idx.geometry)
    fmap = folium.Map(tiles="OpenStreetMap", control_scale=True)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    tooltip_fields = ["commune", "population", "status_label", "covering", "candidates"]
    aliases = [
        text["commune"],
        text["population"],
        text["status"],
        text["covering"],
        text["candidates"],
    ]
    for status in STATUSES:
        part = gdf[gdf["status"] == status]
        if part.empty:
            continue
        colour = STATUS_COLOURS[status]
        layer = folium.FeatureGroup(name=f"{labels[status]} ({len(part)})", show=True)
        folium.GeoJson(
            part.to_json(drop_id=True),
            style_function=lambda _f, c=colour: {
                "fillColor": c,
                "color": "#555555",
                "weight": 0.3,
                "fillOpacity": 0.6,
            },
            tooltip=folium.GeoJsonTooltip(fields=tooltip_fields, aliases=aliases, sticky=True),
        ).add_to(layer)
        layer.add_to(fmap)

    # Zones: one dissolved outline per HAD, hidden until the user ticks it.
    for h in range(len(idx.had_ids)):
        rows = np.nonzero(idx.membership[:, h])[0]
        if len(rows) == 0:
            continue
        outline = _lighten(np.array([shapely.union_all(idx.geometry[rows])]), tolerance)[0]
        name = idx.had_names[h]
        layer = folium.FeatureGroup(name=text["zone"].format(name=name), show=False)
        colour = "#1a9850" if cov.authorised[h] else "#d73027"
        folium.GeoJson(
            shapely.to_geojson(outline),
            style_function=lambda _f, c=colour: {"color": c, "weight": 2.5, "fillOpacity": 0.05},
            tooltip=html.escape(name),
        ).add_to(layer)
        layer.add_to(fmap)

    sites = folium.FeatureGroup(name=text["sites"], show=True)
    for h, had in enumerate(idx.territory.hads):
        auth = text["authorised"] if cov.authorised[h] else text["not_authorised"]
        colour = "green" if cov.authorised[h] else "red"
        for s in had.sites:
            folium.Marker(
                [s.location.lat, s.location.lon],
                tooltip=html.escape(f"{had.name} — {s.town} ({text[s.kind.value]}), {auth}"),
                icon=folium.Icon(color=colour, icon="plus" if s.kind.value == "main" else "home"),
            ).add_to(sites)
    sites.add_to(fmap)
    # Collapsed: with one entry per zone the open control would hide the east of the map.
    folium.LayerControl(collapsed=True).add_to(fmap)

    pop = cov.population_by_status()
    items = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;'
        f'background:{STATUS_COLOURS[s]};margin-right:6px"></span>'
        f"{html.escape(labels[s])} : {_thousands(pop[s])}</div>"
        for s in STATUSES
    )
    title = text["title"].format(day=cov.day.isoformat())
    limit = text["limit"].format(limit=cov.settings.limit_min, rule=cov.settings.rule.value)
    legend = (
        '<div style="position:fixed;bottom:24px;left:24px;z-index:9999;background:white;'
        'padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif">'
        f"<b>{html.escape(title)}</b><br><i>{html.escape(limit)}</i>{items}</div>"
    )
    fmap.get_root().html.add_child(folium.Element(legend))  # type: ignore[attr-defined]
    return fmap


def write_coverage_map(
    cov: Coverage, path: str | Path, lang: str = "fr", tolerance: float = 0.001
) -> Path:
    """Write :func:`coverage_map` to ``path`` (HTML) and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    coverage_map(cov, lang, tolerance).save(str(path))
    return path


def write_coverage_png(cov: Coverage, path: str | Path, lang: str = "fr", dpi: int = 110) -> Path:
    """A static picture of the coverage (matplotlib), readable without network.

    The folium map loads Leaflet and the background tiles from the web when it
    is opened; this PNG shows the same statuses and sites offline (reports,
    e-mails).
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import geopandas as gpd
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    check_lang(lang)
    idx = cov.index
    if idx.geometry is None:
        raise ValueError("this coverage has no commune polygons to draw")
    text, labels = _TEXT[lang], STATUS_LABELS[lang]
    gdf = gpd.GeoDataFrame({"status": cov.status}, geometry=list(idx.geometry), crs=4326)
    fig, ax = plt.subplots(figsize=(9, 8))
    gdf.plot(ax=ax, color=gdf["status"].map(STATUS_COLOURS), edgecolor="white", linewidth=0.05)
    named: set[str] = set()  # two HADs in one town (Toulouse): one label
    for h, had in enumerate(idx.territory.hads):
        for s in had.sites:
            ax.plot(
                s.location.lon,
                s.location.lat,
                marker="^" if s.kind.value == "main" else "o",
                color="black" if cov.authorised[h] else "dimgray",
                markersize=6 if s.kind.value == "main" else 4,
            )
            if s.kind.value == "main" and s.town not in named:
                named.add(s.town)
                ax.annotate(
                    s.town,
                    (s.location.lon, s.location.lat),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
    pop = cov.population_by_status()
    ax.legend(
        handles=[
            Patch(color=STATUS_COLOURS[st], label=f"{labels[st]} : {_thousands(pop[st])}")
            for st in STATUSES
        ],
        loc="lower left",
        fontsize=8,
    )
    ax.set_title(text["title"].format(day=cov.day.isoformat()), fontsize=10)
    ax.set_axis_off()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
