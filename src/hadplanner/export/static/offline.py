"""What makes the HTML maps work with no network, shared by the coverage and territory maps.

Hospital and ARS workstations often sit behind proxies: a map that loads its
scripts from a CDN opens as a blank page there. So each map is written as one
self-contained HTML file:

* Leaflet (shipped in ``leaflet-1.9.4/``, see ``README.md``) is inlined, with the
  images of its CSS as ``data:`` URIs; folium's other CDN links (jQuery,
  Bootstrap, Font Awesome, awesome-markers) are dropped, because nothing here
  uses them: markers are SVG and popups are bound without jQuery.
* The background needs no tiles: the shipped communes are dissolved into
  department outlines, drawn over a plain land colour, with the department
  numbers. OpenStreetMap tiles remain an optional layer, off by default.
* The legend is a Leaflet control in the bottom-left corner and the layer list
  is open in the top-right one; the view is fitted to the region with paddings
  measured on both, so neither covers the territory (at 1280x720 and up).

Polygons are simplified for display and their coordinates rounded; big layers
are embedded as one GeoJSON string each and styled once, without folium's
per-feature Python callbacks.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from hadplanner.export._labels import map_labels

LEAFLET_VERSION = "1.9.4"
LEAFLET_DIR = f"leaflet-{LEAFLET_VERSION}"
"""Folder of the shipped Leaflet (files as in the npm package's ``dist/``)."""

DECIMALS = 4
"""Coordinates are rounded to 4 decimals (~10 m): below the display simplification."""

LAND = "#fbfaf5"
"""Fill of the territory under the layers (the page around it is grey)."""

MAP_CSS = """
body .leaflet-container { background: #dfe3e8; font: 12px/1.4 "Helvetica Neue", Arial,
  Helvetica, sans-serif; }
.hadp-legend { background: #fff; padding: 8px 10px; border: 1px solid #999;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); width: 250px;
  max-height: calc(100vh - 110px); overflow: auto; font-size: 12px; line-height: 1.35; }
.hadp-legend h1 { font-size: 13px; margin: 0 0 4px; }
.hadp-legend p { margin: 4px 0; }
.hadp-legend .hadp-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.hadp-legend .hadp-swatch { flex: none; display: inline-block; width: 12px; height: 12px;
  border: 1px solid #555; }
.hadp-legend .hadp-notice { color: #a00; font-weight: bold; }
.hadp-legend .hadp-small { color: #444; font-size: 11px; }
.leaflet-control-layers-expanded { max-width: 230px; font-size: 12px; line-height: 1.3;
  padding: 6px 8px; }
.leaflet-control-layers label { white-space: normal; margin: 2px 0; }
.hadp-dept-label { font: bold 13px Arial, sans-serif; color: #333; text-align: center;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.hadp-site svg { display: block; }
.leaflet-tooltip { font-size: 12px; }
"""


@functools.cache
def leaflet_assets() -> tuple[str, str]:
    """The shipped ``leaflet.js`` and ``leaflet.css``, ready to inline."""
    base = resources.files(__package__) / LEAFLET_DIR
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    for name in ("layers.png", "layers-2x.png"):
        data = base64.b64encode((base / "images" / name).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data})")
    return js, css


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside ``<script>`` (UTF-8 kept, ``</`` escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@functools.cache
def _elements() -> tuple[type, type]:
    """The :func:`script` and :func:`raw` element classes (folium is imported lazily)."""
    import folium
    from branca.element import Element

    class Raw(Element):
        """Text written as is (never parsed as a Jinja template: it may hold ``{{``)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def render(self, **kwargs: Any) -> str:
            return self.text

    class Script(Element):
        """JavaScript for the map's script; ``__PARENT__`` and ``__MAP__`` name them.

        Unlike folium's elements, the code is not run through Jinja: big GeoJSON
        strings are written as they are, fast, whatever they contain.
        """

        def __init__(self, code: str) -> None:
            super().__init__()
            self._name = "Script"
            self.code = code

        def render(self, **kwargs: Any) -> str:
            parent: Any = self._parent
            node = parent
            while not isinstance(node, folium.Map) and node._parent is not None:
                node = node._parent
            code = self.code.replace("__PARENT__", parent.get_name())
            code = code.replace("__MAP__", node.get_name())
            root: Any = self.get_root()  # a branca Figure: it has .script
            root.script.add_child(Raw(code), name=self.get_name())
            return ""

    return Script, Raw


def script(code: str) -> Any:
    """A folium element running ``code``: ``__PARENT__`` names the element it is added
    to, ``__MAP__`` the map."""
    return _elements()[0](code)


def raw(text: str) -> Any:
    """A folium element writing ``text`` as is (HTML for the page's head or body)."""
    return _elements()[1](text)


# -- geometry for display --------------------------------------------------------------


def rounded(geoms: Any, decimals: int = DECIMALS) -> Any:
    """Geometries with coordinates rounded to ``decimals``."""
    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def lighten(geoms: np.ndarray, tolerance: float, decimals: int = DECIMALS) -> np.ndarray:
    """Commune polygons simplified for display and rounded.

    Simplified as one coverage (``shapely.coverage_simplify``, ``tolerance`` in
    degrees): a border shared by two communes is simplified once, so no gap
    opens between neighbours when the user zooms in. Polygon by polygon only if
    GEOS refuses the set.
    """
    geoms = np.asarray(geoms, dtype=object)
    try:
        simple = shapely.coverage_simplify(geoms, tolerance)
    except Exception:  # GEOS raises several types on a broken coverage
        simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return rounded(simple, decimals)


def dissolve(geoms: np.ndarray, tolerance: float = 0.0005) -> shapely.Geometry:
    """Union of adjacent commune polygons, simplified and rounded for display.

    The fast coverage union (repaired by a zero buffer: the shipped communes are
    simplified, so they tile only nearly), checked against the communes' total
    area; the robust, several times slower union when that check fails.
    """
    geoms = np.asarray(geoms, dtype=object)
    area = float(shapely.area(geoms).sum())
    try:
        merged = shapely.coverage_union_all(geoms)
        if not merged.is_valid:
            merged = merged.buffer(0)
        if not merged.is_valid or abs(merged.area - area) > 0.01 * area:
            raise ValueError("not a clean coverage")
    except Exception:  # GEOS raises several types on a broken coverage
        merged = shapely.union_all(shapely.make_valid(geoms))
    merged = shapely.make_valid(merged.simplify(tolerance, preserve_topology=True))
    return rounded(merged)


def feature_collection(geoms: Sequence[Any] | np.ndarray, props: Sequence[Any]) -> str:
    """A GeoJSON FeatureCollection as text, safe inside ``<script>``."""
    shapes = shapely.to_geojson(np.asarray(geoms, dtype=object))
    features = ",".join(
        f'{{"type":"Feature","properties":{script_json(p)},"geometry":{g}}}'
        for g, p in zip(np.atleast_1d(shapes), props, strict=True)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


# -- the map ---------------------------------------------------------------------------


def offline_map(bounds: Sequence[float], title: str) -> Any:
    """A folium map with Leaflet inlined, no tiles, and ``title`` as the page title.

    ``bounds`` is ``(minx, miny, maxx, maxy)`` in degrees: the view opens on it
    (see :func:`finish_map`, which fits it between the legend and the layer list).
    """
    import folium

    minx, miny, maxx, maxy = (float(b) for b in bounds)
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=8,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
    )
    # Instance attributes: folium's class lists (CDN links) stay untouched.
    fmap.default_js = []
    fmap.default_css = []
    js, css = leaflet_assets()
    root: Any = fmap.get_root()
    root.title = html.escape(title)
    root.header.add_child(raw(f"<style>{css}\n{MAP_CSS}</style>"), name="leaflet_css")
    root.header.add_child(raw(f"<script>{js}</script>"), name="leaflet_js")
    fmap.hadp_bounds = (minx, miny, maxx, maxy)  # type: ignore[attr-defined]
    return fmap


def add_background(
    fmap: Any, geoms: np.ndarray, departments: np.ndarray, labels: dict[str, Any]
) -> None:
    """The territory's land, department borders and numbers (from ``geoms``), optional tiles.

    The land fill sits under the tile pane, so tiles (when ticked and online)
    replace it; borders and department numbers sit above the polygons. Call it
    first; the borders and tiles layers are listed last (by :func:`finish_map`).
    """
    import folium

    departments = np.asarray(departments).astype(str)
    codes = sorted(set(departments))
    shapes = [dissolve(geoms[departments == code]) for code in codes]
    data = feature_collection(shapes, [{"d": c} for c in codes])
    fmap.add_child(
        script(
            "__MAP__.createPane('hadpLand').style.zIndex = 150;\n"
            "var hadpBorders = __MAP__.createPane('hadpBorders');\n"
            "hadpBorders.style.zIndex = 450; hadpBorders.style.pointerEvents = 'none';\n"
            f"var hadp_departments = {data};\n"
            "L.geoJSON(hadp_departments, {pane: 'hadpLand', interactive: false, "
            "className: 'hadp-land', style: {stroke: false, fillColor: "
            f"'{LAND}', fillOpacity: 1}}}}).addTo(__MAP__);\n"
        ),
        name="hadp_land",
    )
    points = shapely.point_on_surface(np.asarray(shapes, dtype=object))
    marks = [
        [round(p.y, 4), round(p.x, 4), html.escape(c)] for p, c in zip(points, codes, strict=True)
    ]
    borders = folium.FeatureGroup(name=html.escape(labels["departments"]), show=True)
    borders.add_child(
        script(
            "L.geoJSON(hadp_departments, {pane: 'hadpBorders', interactive: false, "
            "className: 'hadp-dept', style: {color: '#222', weight: 1.6, opacity: 0.9, "
            "fill: false}}).addTo(__PARENT__);\n"
            f"{script_json(marks)}.forEach(function (m) {{\n"
            "  L.marker([m[0], m[1]], {pane: 'hadpBorders', interactive: false, keyboard: false,"
            " icon: L.divIcon({className: 'hadp-dept-label', html: m[2], iconSize: [32, 16],"
            " iconAnchor: [16, 8]})}).addTo(__PARENT__);\n"
            "});\n"
        )
    )
    tiles = folium.TileLayer(
        "OpenStreetMap", name=html.escape(labels["tiles"]), overlay=True, show=False
    )
    fmap.hadp_last_layers = [borders, tiles]  # type: ignore[attr-defined]


def zones_notice(zone_sources: list[str], lang: str = "fr") -> str:
    """The legend's line on where the zones come from (escaped HTML, may be empty).

    Reconstructed zones (the shipped Occitanie ones) must not pass for the
    ARS's: they get the notice "zones reconstituées, non officielles".
    """
    labels = map_labels(lang)
    sources = sorted({s.strip() for s in zone_sources if s.strip()})
    if any("reconstruct" in s.lower() for s in sources):
        return f'<p class="hadp-notice">{html.escape(labels["reconstructed"])}</p>'
    if sources:
        text = labels["zones_source"].format(source="; ".join(sources))
        return f'<p class="hadp-small">{html.escape(text)}</p>'
    return ""


def legend_html(body: str) -> str:
    """The legend's container (moved into a Leaflet control by :func:`finish_map`)."""
    return f'<div id="hadp-legend" class="hadp-legend">{body}</div>'


def swatch(colour: str, extra: str = "") -> str:
    """A small coloured square for the legend."""
    return f'<span class="hadp-swatch" style="background:{colour};{extra}"></span>'


def finish_map(fmap: Any, legend: str) -> Any:
    """Add the layer list, the legend (bottom-left) and fit the view between them.

    Call it last: folium's layer control lists only the layers added before it.
    """
    import folium

    for layer in getattr(fmap, "hadp_last_layers", ()):
        layer.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    root: Any = fmap.get_root()
    root.html.add_child(raw(legend_html(legend)), name="hadp_legend")
    minx, miny, maxx, maxy = fmap.hadp_bounds
    bounds = script_json([[miny, minx], [maxy, maxx]])
    fmap.add_child(
        script(
            "(function () {\n"
            "  var map = __MAP__, el = document.getElementById('hadp-legend');\n"
            "  if (el) {\n"
            "    var legend = L.control({position: 'bottomleft'});\n"
            "    legend.onAdd = function () {\n"
            "      L.DomEvent.disableClickPropagation(el);\n"
            "      L.DomEvent.disableScrollPropagation(el);\n"
            "      return el;\n"
            "    };\n"
            "    legend.addTo(map);\n"
            "  }\n"
            "  // Keep the region clear of the legend (left) and the layer list (right).\n"
            "  var size = map.getSize(), pad = 12, left = pad, right = pad;\n"
            "  var layers = map.getContainer().querySelector('.leaflet-control-layers');\n"
            "  if (el) { left += el.offsetWidth + 10; }\n"
            "  if (layers) { right += layers.offsetWidth + 10; }\n"
            "  if (size.x - left - right < size.x / 3) { left = pad; right = pad; }\n"
            f"  map.fitBounds({bounds}, {{paddingTopLeft: [left, pad],\n"
            "    paddingBottomRight: [right, pad + 16], animate: false});\n"
            "})();\n"
        ),
        name="hadp_fit",
    )
    return fmap


def write_map(fmap: Any, path: str | Path, lang: str) -> Path:
    """Render ``fmap`` to ``path`` (one self-contained UTF-8 HTML file) and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = fmap.get_root().render()
    text = text.replace("<html>", f'<html lang="{lang}">', 1)
    path.write_text(text, encoding="utf-8")
    return path
