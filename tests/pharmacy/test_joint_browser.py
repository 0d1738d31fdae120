"""The PUI's printable production sheets opened and printed by a real browser (headless
Chromium, offline): what the pharmacist's printer gets."""

from __future__ import annotations

import re

import pytest

from hadplanner.export.production_sheet import joint_html

A4_LANDSCAPE = (841.89, 595.28)


@pytest.fixture(scope="module")
def sheets(spring_plan, tmp_path_factory):
    path = tmp_path_factory.mktemp("sheets") / "fiches_production.html"
    path.write_text(joint_html(spring_plan), encoding="utf-8")
    return path



def test_sheets_print_on_a4_landscape_one_day_a_page(open_offline, sheets, spring_plan):
    """Every printed page is A4 landscape; each production day starts a page of its own, so
    there are at least as many pages as days plus the summary."""
    page = open_offline(sheets)
    days = page.locator("section.day")
    assert days.count() == len(spring_plan.sessions)
    assert all(days.nth(i).evaluate("e => getComputedStyle(e).breakBefore") in
               ("page", "always") for i in range(days.count()))
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) >= len(spring_plan.sessions) + 1
    assert len(boxes) >= len(pages)
    for w, h in boxes:
        assert float(w) == pytest.approx(A4_LANDSCAPE[0], abs=1.5)
        assert float(h) == pytest.approx(A4_LANDSCAPE[1], abs=1.5)


def test_sheets_read_in_french_with_every_bag_and_its_lots(open_offline, sheets, spring_plan):
    """On screen: French, each day's sheet lists its bags with pseudonym and lots."""
    page = open_offline(sheets)
    assert page.evaluate("document.documentElement.lang") == "fr"
    first = spring_plan.sessions[0]
    day = page.locator("section.day").first
    text = day.inner_text()
    assert "Fiche de production du" in text
    for prep in first.preparations:
        assert prep.patient_id in text
        for draw in prep.draws:
            assert draw.lot in text
