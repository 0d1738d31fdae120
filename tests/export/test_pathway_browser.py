"""The coordinator's file opened and printed by a real browser (headless Chromium, offline)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hadplanner.export.pathway_file import pathway_html
from hadplanner.models.request import load_request
from hadplanner.paths import examples_dir
from hadplanner.pathway.coordinator import build_pathway

A4_POINTS = (595.28, 841.89)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """P007's file (a derogation: with the letter to the ARS) in French and English."""
    request = load_request(examples_dir() / "P007-lautrec-derogation.yaml")
    pathway = build_pathway(request, decided_on=dt.date(2018, 6, 1))
    folder = tmp_path_factory.mktemp("pathway")
    out = {}
    for lang in ("fr", "en"):
        path = folder / f"P007-{lang}.html"
        path.write_text(pathway_html(pathway, lang), encoding="utf-8")
        out[lang] = path
    return out



def test_file_prints_to_a4_pages(open_offline, files):
    """Printed by Chromium (CSS page size), every page is A4 and the letter starts a page."""
    page = open_offline(files["fr"])
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) >= 2 and len(boxes) >= len(pages)
    for w, h in boxes:
        assert float(w) == pytest.approx(A4_POINTS[0], abs=1.5)
        assert float(h) == pytest.approx(A4_POINTS[1], abs=1.5)


def test_file_reads_in_french_with_the_letter_ready_to_sign(open_offline, files):
    """The page is French, its sections are there, and the ARS letter is on its own page."""
    page = open_offline(files["fr"])
    assert page.evaluate("document.documentElement.lang") == "fr"
    text = page.inner_text("body")
    for heading in ("1. Prise en charge à domicile", "2. Recours",
                    "3. À organiser avant le premier jour à domicile",
                    "4. Calendrier du traitement", "5. Plan de changements de poche"):
        assert heading in text
    letter = page.locator("section.letter")
    assert letter.count() == 1
    assert letter.evaluate("e => getComputedStyle(e).breakBefore") in ("page", "always")
    body = letter.inner_text()
    assert "Objet : demande de dérogation" in body and "Lautrec (81139)" in body
    assert "HAD du CH d'Albi" in body and "P007 (pseudonyme)" in body


def test_english_file_keeps_the_letter_in_french(open_offline, files):
    """--lang en: the file is English; the request to the ARS stays French."""
    page = open_offline(files["en"])
    text = page.inner_text("body")
    assert "1. Care at home" in text and "Prise en charge à domicile" not in text
    assert "Objet : demande de dérogation" in page.locator("section.letter").inner_text()
