"""The timeline picture of a plan."""

from __future__ import annotations

from hadplanner.export.timeline import plan_timeline


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
