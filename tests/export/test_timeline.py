"""The timeline picture of a plan (drawn on matplotlib axes, then written as PNG)."""

from __future__ import annotations

import re

import pytest

from hadplanner.export.timeline import draw_cycle, plan_figure, plan_timeline

FRENCH_TICK = re.compile(r"^(lun|mar|mer|jeu|ven|sam|dim)\.\n\d\d/\d\d(\n\S+ \d{4})?(\n[^\n]+)?$")


def _ticks(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_writes_a_png(tmp_path, two_cycle_plan):
    """A PNG is written where asked (folders created) and its path returned."""
    target = tmp_path / "out" / "p003.png"
    path = plan_timeline(two_cycle_plan, target)
    assert path == target
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000


def test_english_png(tmp_path, dst_plan):
    """lang='en' also draws, without the practice row when asked."""
    path = plan_timeline(dst_plan, tmp_path / "p005.png", "en", show_baseline=False)
    assert path.stat().st_size > 10_000


def test_x_ticks_are_the_cycle_dates(dst_plan):
    """P005's axis has a tick per day, 15/03 to 12/04: weekday and date, the month on the first."""
    (ax,) = plan_figure(dst_plan).axes
    labels = _ticks(ax)
    assert len(labels) == 29
    assert all(FRENCH_TICK.match(label) for label in labels), labels
    assert labels[0] == "lun.\n15/03\nmars 2027"
    assert labels[-1] == "lun.\n12/04"
    assert "jeu.\n01/04\navr. 2027" in labels


def test_english_ticks_name_the_month_where_it_changes(example_plans):
    """In English the ticks read 'Mon\\n14', with 'Dec 2026' then 'Jan 2027' where they change."""
    plan = example_plans["P004-christmas-new-year"][1]
    (ax,) = plan_figure(plan, "en").axes
    labels = _ticks(ax)
    assert labels[0] == "Mon\n14\nDec 2026"
    assert "Fri\n1\nJan 2027\nNew Year's Day" in labels
    assert "Fri\n25\nChristmas Day" in labels
    assert not any(re.fullmatch(r"\d+", label) for label in labels)


def test_one_panel_per_cycle_titled_with_its_dates(two_cycle_plan):
    """P003 has two cycles: two panels, each titled with its cycle's first and last instant."""
    fig = plan_figure(two_cycle_plan)
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "Cycle 1 (mrd) : du lun. 03/05/2027 10:00 au lun. 31/05/2027 10:00",
        "Cycle 2 (mrd) : du lun. 14/06/2027 10:00 au lun. 12/07/2027 10:00",
    ]
    assert _ticks(fig.axes[1])[0] == "lun.\n14/06\njuin 2027"


def test_a_short_bag_is_visible_and_labelled(short_bag_plan):
    """P005's 1.5 h bag (min_bag_h 0) is drawn at least ~3 h wide, labelled with its hours."""
    (ax,) = plan_figure(short_bag_plan).axes
    assert "n° 3 : 1,5 h" in _texts(ax)
    (bar,) = [c for c in ax.collections if c.get_gid() == "short-bag-3"]
    (path,) = bar.get_paths()
    xs = path.vertices[:, 0]
    assert xs.max() - xs.min() == pytest.approx(0.12)  # days, about 3 h (the bag lasts 1.5 h)


def test_legend_says_who_hangs_the_bag(dst_plan):
    """The legend explains the colours by who hangs the bag, the shading and the DST line."""
    fig = plan_figure(dst_plan)
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert "poche posée par : hospitalisation" in labels
    assert "poche posée par : infirmier HAD" in labels
    assert "week-end / jour férié" in labels and "changement d'heure légale" in labels
    assert "poche posée par : hôpital de jour" not in labels  # nobody from there in P005


def test_holidays_and_dst_are_marked(dst_plan):
    """Easter Monday is named under its date and the spring change is marked on the axis."""
    (ax,) = plan_figure(dst_plan).axes
    assert "lun.\n29/03\nLundi de Pâques" in _ticks(ax)
    assert "UTC+1 -> UTC+2" in _texts(ax)


def test_closures_are_in_the_legend_when_given(example_plans):
    """P006's exceptional PUI closures get their own shade and legend entry."""
    import datetime as dt

    plan = example_plans["P006-pharmacy-closure"][1]
    fig = plan_figure(plan, closed=[dt.date(2027, 7, 13)])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "PUI fermée (fermeture exceptionnelle)" in labels


def test_draw_cycle_on_given_or_new_axes(dst_plan):
    """draw_cycle draws on the axes it is given, or on a new one, and returns it."""
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert draw_cycle(dst_plan.cycles[0], lang="en", ax=ax) is ax
    assert _ticks(ax)[0] == "Mon\n15\nMar 2027"
    fresh = draw_cycle(dst_plan.cycles[0])
    assert fresh.figure is not None and _ticks(fresh)[0] == "lun.\n15/03\nmars 2027"
