"""The HTML maps work offline: opened in headless Chromium with the network cut.

The maps are written by the functions ``hadplanner run`` calls
(``write_territory_report``, ``write_coverage_outputs``), for the reference
territory. Every request other than the ``file://`` page itself is aborted and
recorded: none may even be attempted (no CDN, no tiles by default). The checks
go through the page's DOM: Leaflet loaded, polygons drawn (SVG paths counted by
class), legend, layer list and title present and in the right language, neither
the legend nor the layer list covering the territory at 1280x720, and no error
in the console.

Needs Chromium at ``/usr/bin/chromium`` (Debian package ``chromium``; another
path with ``HADPLANNER_CHROMIUM``) and the Python package ``playwright`` (dev
extra; no ``playwright install``: the system Chromium is used). Skipped, with
the reason, when Chromium is absent.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from hadplanner.export._labels import map_labels
from hadplanner.export.coverage import write_coverage_outputs
from hadplanner.export.coverage_map import write_coverage_map
from hadplanner.export.coverage_tables import STATUS_LABELS
from hadplanner.export.static.offline import LEAFLET_VERSION
from hadplanner.export.territory_map import write_territory_map
from hadplanner.territory.coverage import TerritoryIndex, compute_coverage
from hadplanner.territory.loading import load_territory
from hadplanner.territory.summary import write_territory_report

DAY = dt.date(2018, 6, 1)
VIEWPORT = {"width": 1280, "height": 720}
FRAMES = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


# -- the maps, as `hadplanner run` writes them ------------------------------------------


@pytest.fixture(scope="module")
def occitanie():
    loaded = load_territory("occitanie")
    cov = compute_coverage(TerritoryIndex.from_loaded(loaded), DAY)
    return loaded, cov


@pytest.fixture(scope="module")
def maps(occitanie, tmp_path_factory) -> dict[str, Path]:
    """French maps from the `run` functions; English ones from the map writers."""
    loaded, cov = occitanie
    out = tmp_path_factory.mktemp("maps")
    territory = write_territory_report(out / "territoire", "occitanie", DAY, "fr")
    coverage = write_coverage_outputs(loaded, DAY, out / "couverture", "fr", coverage=cov)
    return {
        "territory-fr": next(p for p in territory if p.suffix == ".html"),
        "coverage-fr": next(p for p in coverage if p.name == "coverage_map.html"),
        "territory-en": write_territory_map(loaded, out / "en", day=DAY, lang="en"),
        "coverage-en": write_coverage_map(cov, out / "en" / "coverage_map.html", "en"),
    }


# -- without a browser: the files themselves --------------------------------------------


@pytest.mark.parametrize("name", ["territory-fr", "coverage-fr", "territory-en", "coverage-en"])
def test_maps_are_single_self_contained_files(maps, name):
    """No external script or stylesheet: Leaflet is inlined; a <title> and the language."""
    text = maps[name].read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\ssrc=", text), "a script is loaded from elsewhere"
    assert not re.search(r"<link[^>]*stylesheet", text), "a stylesheet is loaded from elsewhere"
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), "a CSS url() points to the web"
    assert "@import" not in text
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "fontawesome"):
        assert cdn not in text
    assert f"Leaflet {LEAFLET_VERSION}" in text  # the shipped copy's banner
    assert re.search(r"<title>[^<]+</title>", text)
    assert f'<html lang="{name[-2:]}">' in text


def test_coverage_map_is_smaller_than_before(maps):
    """Simplified, rounded and with HADs named once: under 3 MB (3.0 MB with the old map)."""
    assert maps["coverage-fr"].stat().st_size < 3_000_000


# -- in Chromium, network off ------------------------------------------------------------


class Opened:
    """A map opened offline, with what the page asked for and complained about."""

    def __init__(self, browser, path: Path) -> None:
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(offline=True, viewport=VIEWPORT)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        # Two animation frames: the first paint is done.
        self.page.evaluate(FRAMES)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()

    def rect(self, selector: str) -> dict[str, float]:
        """Bounding box of every element matching ``selector`` (page pixels)."""
        return self.page.evaluate(
            """sel => {
                const r = [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
                return {left: Math.min(...r.map(b => b.left)), top: Math.min(...r.map(b => b.top)),
                        right: Math.max(...r.map(b => b.right)),
                        bottom: Math.max(...r.map(b => b.bottom))};
            }""",
            selector,
        )

    def assert_offline_and_clean(self) -> None:
        web = [u for u in self.requests if not u.startswith(("file:", "data:"))]
        assert not web, f"requests to the network were attempted: {web[:5]}"
        assert not self.blocked, f"requests were blocked: {self.blocked[:5]}"
        assert not self.errors, f"console errors: {self.errors[:5]}"

    def assert_layout(self) -> None:
        """The territory is in the window; neither the legend nor the layer list covers it."""
        land = self.rect("path.hadp-land")
        assert land["left"] >= 0 and land["top"] >= 0
        assert land["right"] <= VIEWPORT["width"] and land["bottom"] <= VIEWPORT["height"]
        for box in (".hadp-legend", ".leaflet-control-layers"):
            r = self.rect(box)
            apart = (
                r["right"] <= land["left"]
                or r["left"] >= land["right"]
                or r["bottom"] <= land["top"]
                or r["top"] >= land["bottom"]
            )
            assert apart, f"{box} {r} covers the territory {land}"
        # The territory is not squeezed into a corner: it spans most of the height.
        assert land["bottom"] - land["top"] > 0.6 * VIEWPORT["height"]

    def hover_one(self, selector: str) -> str:
        """Move the mouse over the first element of ``selector`` that is on top; the tooltip."""
        point = self.page.evaluate(
            """sel => {
                for (const e of document.querySelectorAll(sel)) {
                    const b = e.getBoundingClientRect();
                    const x = b.left + b.width / 2, y = b.top + b.height / 2;
                    if (x > 0 && y > 0 && x < innerWidth && y < innerHeight
                        && document.elementFromPoint(x, y) === e) return [x, y];
                }
                return null;
            }""",
            selector,
        )
        assert point, f"no {selector} under the mouse anywhere"
        self.page.mouse.move(*point)
        tip = self.page.locator(".leaflet-tooltip")
        tip.first.wait_for(state="visible", timeout=5000)
        return tip.first.inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser):
    pages: list[Opened] = []

    def open_(path: Path) -> Opened:
        pages.append(Opened(browser, path))
        return pages[-1]

    yield open_
    for p in pages:
        p.close()


def _sites(loaded) -> int:
    return sum(len(h.sites) for h in loaded.territory.hads)


def _departments(loaded) -> int:
    return loaded.communes_gdf["department"].nunique()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_coverage_map_offline(maps, occitanie, opened, lang):
    """Every commune drawn by status, sites, borders; legend and layer list in the language."""
    loaded, cov = occitanie
    T, labels = map_labels(lang), STATUS_LABELS[lang]
    m = opened(maps[f"coverage-{lang}"])
    m.assert_offline_and_clean()
    page = m.page
    assert page.evaluate("L.version") == LEAFLET_VERSION
    assert page.title() == T["cov_title"].format(day=DAY.isoformat())

    # Polygons: one SVG path per commune, by status; department land and borders.
    assert m.count("path.hadp-commune") == len(loaded.communes_gdf)
    for status, n in cov.communes_by_status().items():
        assert m.count(f"path.hadp-{status}") == n
    assert m.count("path.hadp-land") == m.count("path.hadp-dept") == _departments(loaded)
    assert m.count(".hadp-dept-label") == _departments(loaded)
    assert m.count(".hadp-site") == _sites(loaded)
    assert m.count("path.hadp-zone") == 0  # zones wait for a tick
    assert m.count(".leaflet-tile") == 0  # no tiles: nothing to fetch

    # Legend: a Leaflet control now, with the title, people counted, the rule and markers.
    assert m.count(".leaflet-control-container #hadp-legend") == 1
    legend = m.text("#hadp-legend")
    assert T["cov_title"].format(day=DAY.isoformat()) in legend
    assert T["reconstructed"] in legend
    for status in ("served", "derogation", "convention", "no_had"):
        assert labels[status] in legend
    assert legend.count(f" {T['inhabitants']}") == 4
    assert T["markers"] in legend and T["markers_fill"] in legend
    assert "45 min" in legend
    assert ("limitrophe" if lang == "fr" else "borders") in legend

    # Layer list: HADs by name, never by id; tiles offered but off.
    layers = m.text(".leaflet-control-layers")
    assert T["zone"].format(name="HAD du CH de Cahors") in layers
    assert "had-cahors" not in layers and "had-cahors" not in legend
    assert T["tiles"] in layers
    osm = page.locator(".leaflet-control-layers label", has_text="OpenStreetMap")
    assert not osm.locator("input").is_checked()

    # Tooltips name the HADs and count inhabitants.
    tip = m.hover_one("path.hadp-convention")
    assert T["inhabitants"] in tip and T["covering"] in tip and T["candidates"] in tip
    assert "HAD " in tip and "had-" not in tip

    # Ticking a zone draws its outline, still offline.
    page.locator(".leaflet-control-layers label", has_text="HAD du CH de Cahors").click()
    assert m.count("path.hadp-zone") == 1

    if lang == "en":
        for french in ("habitants :", "Dérogation", "Légende", "autorisée", "Zone :"):
            assert french not in legend and french not in layers
    m.assert_layout()
    m.assert_offline_and_clean()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_territory_map_offline(maps, occitanie, opened, lang):
    """One outline per zone, the sites with popups, borders, legend; nothing fetched."""
    loaded, _ = occitanie
    T = map_labels(lang)
    m = opened(maps[f"territory-{lang}"])
    m.assert_offline_and_clean()
    page = m.page
    assert page.evaluate("L.version") == LEAFLET_VERSION
    assert page.title() == T["terr_title"].format(name="occitanie", day=DAY.isoformat())

    assert m.count("path.hadp-zone") == len(loaded.territory.zones)
    assert m.count("path.hadp-site") == _sites(loaded)
    assert m.count("path.hadp-land") == m.count("path.hadp-dept") == _departments(loaded)
    assert m.count("path.hadp-gap") == 0  # the gap layer waits for a tick
    assert m.count(".leaflet-tile") == 0

    legend = m.text("#hadp-legend")
    assert T["legend"] in legend and T["reconstructed"] in legend
    for had in loaded.territory.hads:
        assert had.name in legend
    layers = m.text(".leaflet-control-layers")
    assert T["zone"].format(name="HAD du CH de Cahors") in layers and T["gap"] in layers

    tip = m.hover_one("path.hadp-zone")
    assert T["inhabitants"] in tip and T["communes"] in tip

    # A site's popup: its HAD, its authorisation on the day.
    page.locator("path.hadp-site").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5000)
    assert T["auth"].format(day=DAY.isoformat()) in popup.inner_text()

    if lang == "en":
        for french in ("Légende", "autorisée", "Zone :", " habitants"):
            assert french not in legend and french not in layers
    m.assert_layout()
    m.assert_offline_and_clean()
