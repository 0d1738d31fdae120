"""The coverage map (folium): communes by status, zones, HAD sites, a legend.

French by default (the ARS's language), English with ``lang="en"``. The HTML is
one self-contained file that works with no network (hospital proxies): Leaflet
is inlined and the background is drawn from the shipped communes (department
borders), see :mod:`hadplanner.export.static.offline`; OpenStreetMap tiles are
an optional layer, off by default. To keep the file small and quick to open,
polygons are simplified and their coordinates rounded to 4 decimals (~10 m),
each status is one GeoJSON layer, and HADs are named once (communes refer to
them by position).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from hadplanner.export._labels import check_lang, map_labels, number
from hadplanner.export.coverage_tables import STATUS_LABELS
from hadplanner.export.static.offline import (
    add_background,
    dissolve,
    feature_collection,
    finish_map,
    lighten,
    offline_map,
    script,
    script_json,
    swatch,
    write_map,
    zones_notice,
)
from hadplanner.territory.coverage import STATUSES, Coverage

STATUS_COLOURS = {
    "served": "#1a9850",
    "derogation": "#fdae61",
    "convention": "#d73027",
    "no_had": "#7f7f7f",
}

SITE_COLOUR = "#1f3b73"
"""Site markers: filled with it when the HAD is authorised, white (hollow) when not."""


def _thousands(n: int) -> str:
    """12 345 (French thousands separator, also readable in English)."""
    return f"{int(n):,}".replace(",", "\u202f")


def site_icon(main: bool, authorised: bool) -> str:
    """SVG of a site marker: a square with a cross (main site) or a circle (annex);
    filled when the HAD is authorised for chemotherapy, hollow when it is not."""
    fill = SITE_COLOUR if authorised else "#ffffff"
    ink = "#ffffff" if authorised else SITE_COLOUR
    if main:
        shape = (
            f'<rect x="1.5" y="1.5" width="15" height="15" rx="2" fill="{fill}" '
            f'stroke="{SITE_COLOUR}" stroke-width="2"/>'
            f'<path d="M9 5v8M5 9h8" stroke="{ink}" stroke-width="2.4"/>'
        )
        size = 18
    else:
        shape = (
            f'<circle cx="6" cy="6" r="4.6" fill="{fill}" stroke="{SITE_COLOUR}" stroke-width="2"/>'
        )
        size = 12
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">{shape}</svg>'
    )


def _limit(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text


def coverage_map(cov: Coverage, lang: str = "fr", tolerance: float = 0.001) -> Any:
    """Build the folium map of ``cov`` (self-contained: it works with no network).

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

    check_lang(lang)
    idx = cov.index
    if idx.geometry is None:
        raise ValueError("this coverage has no commune polygons to draw")
    T, labels = map_labels(lang), STATUS_LABELS[lang]
    sep = " : " if lang == "fr" else ": "
    esc = html.escape
    title = T["cov_title"].format(day=cov.day.isoformat())
    fmap = offline_map(shapely.total_bounds(idx.geometry), title)
    add_background(fmap, idx.geometry, idx.departments, T)

    # Communes: one layer per status; HADs named once, communes point at them.
    status = cov.status.astype(str)
    cands = cov.candidate_table()
    by_row: dict[int, list[list[int]]] = {}
    for row, had, minutes in zip(cands["row"], cands["had"], cands["minutes"], strict=True):
        by_row.setdefault(int(row), []).append([int(had), int(round(float(minutes)))])
    props: list[dict[str, Any]] = []
    for r in range(len(idx.insee)):
        p: dict[str, Any] = {
            "n": esc(f"{idx.names[r]} ({idx.insee[r]})"),
            "p": number(int(idx.population[r]), 0, lang),
        }
        covering = np.nonzero(idx.membership[r])[0]
        if len(covering):
            p["c"] = covering.tolist()
        if r in by_row:
            p["k"] = by_row[r]
        props.append(p)
    words = {
        "pop": T["population"] + sep,
        "inh": T["inhabitants"],
        "status": T["status"] + sep,
        "cov": T["covering"] + sep,
        "cand": T["candidates"] + sep,
        "none": T["none"],
        "join": " ; " if lang == "fr" else "; ",
    }
    fmap.add_child(
        script(
            f"var hadp_hads = {script_json([esc(n) for n in idx.had_names])};\n"
            f"var hadp_words = {script_json(words)};\n"
            "function hadp_tip(status) {\n"
            "  return function (layer) {\n"
            "    var p = layer.feature.properties, w = hadp_words;\n"
            "    var name = function (h) { return hadp_hads[h]; };\n"
            "    var s = '<b>' + p.n + '</b><br>' + w.pop + p.p + ' ' + w.inh + '<br>'\n"
            "      + w.status + status + '<br>' + w.cov\n"
            "      + (p.c ? p.c.map(name).join(w.join) : w.none);\n"
            "    if (p.k) {\n"
            "      s += '<br>' + w.cand + p.k.map(function (c) {\n"
            "        return name(c[0]) + ' (' + c[1] + ' min)'; }).join(w.join);\n"
            "    }\n"
            "    return s;\n"
            "  };\n"
            "}\n"
        ),
        name="hadp_tip",
    )
    geoms = lighten(idx.geometry, tolerance)
    for code in STATUSES:
        rows = np.nonzero(status == code)[0]
        if len(rows) == 0:
            continue
        style = {
            "fillColor": STATUS_COLOURS[code],
            "color": "#555555",
            "weight": 0.3,
            "fillOpacity": 0.6,
        }
        data = feature_collection(geoms[rows], [props[r] for r in rows])
        name = T["status_layer"].format(label=labels[code], n=number(len(rows), 0, lang))
        layer = folium.FeatureGroup(name=esc(name), show=True)
        layer.add_child(
            script(
                f"L.geoJSON({data}, {{className: 'hadp-commune hadp-{code}', "
                f"style: {script_json(style)}}})\n"
                f"  .bindTooltip(hadp_tip({script_json(esc(labels[code]))}), {{sticky: true}})\n"
                "  .addTo(__PARENT__);\n"
            )
        )
        layer.add_to(fmap)

    # Zones: one dissolved outline per HAD, hidden until the user ticks it.
    for h, had_name in enumerate(idx.had_names):
        rows = np.nonzero(idx.membership[:, h])[0]
        if len(rows) == 0:
            continue
        state = T["authorised"] if cov.authorised[h] else T["not_authorised"]
        colour = "#1a9850" if cov.authorised[h] else "#d73027"
        outline = dissolve(idx.geometry[rows])
        layer = folium.FeatureGroup(name=esc(T["zone"].format(name=had_name)), show=False)
        style = {"color": colour, "weight": 3, "fill": False, "dashArray": None}
        if not cov.authorised[h]:
            style["dashArray"] = "8 5"
        layer.add_child(
            script(
                f"L.geoJSON({feature_collection([outline], [{}])}, "
                f"{{className: 'hadp-zone', style: {script_json(style)}}})\n"
                f"  .bindTooltip({script_json(esc(f'{had_name} ({state})'))}, {{sticky: true}})\n"
                "  .addTo(__PARENT__);\n"
            )
        )
        layer.add_to(fmap)

    sites = folium.FeatureGroup(name=esc(T["sites"]), show=True)
    for h, had in enumerate(idx.territory.hads):
        auth = bool(cov.authorised[h])
        state = T["authorised"] if auth else T["not_authorised"]
        for s in had.sites:
            main = s.kind.value == "main"
            size = 18 if main else 12
            folium.Marker(
                [s.location.lat, s.location.lon],
                tooltip=esc(f"{had.name} — {s.town} ({T[s.kind.value]}), {state}"),
                icon=folium.DivIcon(
                    html=site_icon(main, auth),
                    icon_size=(size, size),
                    icon_anchor=(size // 2, size // 2),
                    class_name="hadp-site",
                ),
                z_index_offset=1000 if main else 0,
            ).add_to(sites)
    sites.add_to(fmap)

    pop = cov.population_by_status()
    rows_html = "".join(
        f'<div class="hadp-row">{swatch(STATUS_COLOURS[s])}'
        f"<span>{esc(labels[s])}{sep}{number(pop[s], 0, lang)} {esc(T['inhabitants'])}"
        "</span></div>"
        for s in STATUSES
    )
    rule = T["rule"][cov.settings.rule.value].format(limit=_limit(cov.settings.limit_min, lang))
    markers = (
        f'<div class="hadp-row">{site_icon(True, True)}{site_icon(False, True)}'
        f"<span>{esc(T['markers'])}</span></div>"
        f'<div class="hadp-row">{site_icon(True, True)}{site_icon(True, False)}'
        f"<span>{esc(T['markers_fill'])}</span></div>"
    )
    legend = (
        f"<h1>{esc(title)}</h1>"
        f"{zones_notice([z.source for z in idx.territory.zones], lang)}"
        f"{rows_html}"
        f'<p class="hadp-small">{esc(rule)} {esc(T["no_zone"])}</p>'
        f"{markers}"
        f'<p class="hadp-small">{esc(T["legend_departments"])}. {esc(T["zones_hint"])}</p>'
    )
    return finish_map(fmap, legend)


def write_coverage_map(
    cov: Coverage, path: str | Path, lang: str = "fr", tolerance: float = 0.001
) -> Path:
    """Write :func:`coverage_map` to ``path`` (one self-contained HTML file) and return it."""
    return write_map(coverage_map(cov, lang, tolerance), path, lang)


def write_coverage_png(cov: Coverage, path: str | Path, lang: str = "fr", dpi: int = 110) -> Path:
    """A static picture of the coverage (matplotlib), readable without network.

    The HTML map works offline too; this PNG shows the same statuses and
    sites where a picture is wanted (reports, slides).
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
    text, labels = map_labels(lang), STATUS_LABELS[lang]
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
    ax.set_title(text["cov_title"].format(day=cov.day.isoformat()), fontsize=10)
    ax.set_axis_off()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
