"""A plan as a timeline picture (PNG): one row per cycle, one bar per bag.

The x axis is the day of the cycle (real hours from its start / 24), so that
cycles started on different dates line up and a coordinator sees at a glance
where the changes fall; each row is labelled with its dates, weekends and
public holidays of that row are shaded, and the inpatient period is hatched.
Bars are coloured by who hangs the bag. When the practice could plan the
request, a thin row under each cycle shows the practice's bags for comparison.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from hadplanner.export import _labels as L
from hadplanner.models.plan import ChangedBy, CyclePlan, Plan

_COLOURS = {
    ChangedBy.inpatient: "#4c72b0",
    ChangedBy.day_hospital: "#dd8452",
    ChangedBy.had_nurse: "#55a868",
}

_TEXT = {
    "fr": {
        "title": "Patient {patient} — {drug} : plan des changements de poche",
        "xlabel": "jour du cycle (heures réelles depuis le début / 24)",
        "cycle": "Cycle {n}\n{start}",
        "practice": "pratique {pair}\n{bags} poches",
        "inpatient": "période d'hospitalisation",
        "offday": "week-end / jour férié",
        "offday_closed": "week-end / férié / PUI fermée",
        "change": "changement de poche",
        "summary": "plan : {bags} poches, {vials} flacons",
        "summary_base": " — pratique : {bags} poches, {vials} flacons",
        "summary_none": " — pratique infaisable",
    },
    "en": {
        "title": "Patient {patient} — {drug}: bag-change plan",
        "xlabel": "day of cycle (real hours from its start / 24)",
        "cycle": "Cycle {n}\n{start}",
        "practice": "practice {pair}\n{bags} bags",
        "inpatient": "inpatient period",
        "offday": "weekend / public holiday",
        "offday_closed": "weekend / holiday / PUI closed",
        "change": "bag change",
        "summary": "plan: {bags} bags, {vials} vials",
        "summary_base": " — practice: {bags} bags, {vials} vials",
        "summary_none": " — practice infeasible",
    },
}


def _days(origin: dt.datetime, t: dt.datetime) -> float:
    """Real days from `origin` to `t` (aware datetimes compared in UTC)."""
    return (t.astimezone(dt.UTC) - origin.astimezone(dt.UTC)).total_seconds() / 86400


def _off_days(start: dt.datetime, end: dt.datetime, closed: Iterable[dt.date]) -> list[dt.date]:
    """Saturdays, Sundays, French public holidays and `closed` days between start and end."""
    import holidays as hol

    first, last = L.local(start).date(), L.local(end).date()
    years = list(range(first.year, last.year + 1))
    public = hol.France(years=years)
    closed = set(closed)
    out = []
    day = first
    while day <= last:
        if day.weekday() >= 5 or day in public or day in closed:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _draw_row(ax, cycle: CyclePlan, y: float, height: float, lang: str, *, light: bool) -> None:
    """Bags of `cycle` as bars centred on `y`, with their numbers and change ticks."""
    for bag in cycle.bags:
        x0 = _days(cycle.start, bag.start)
        w = _days(bag.start, bag.end)
        ax.broken_barh(
            [(x0, w)],
            (y - height / 2, height),
            facecolors=_COLOURS[ChangedBy(bag.changed_by)],
            edgecolors="white",
            linewidth=1.2,
            alpha=0.55 if light else 0.95,
            zorder=3,
        )
        # Numbers and hours only where they fit (about half a day of bar).
        if not light and w >= 0.25:
            label = f"{bag.index}\n{L.hours(bag.duration_h, lang)} h" if w >= 0.6 \
                else str(bag.index)
            ax.text(x0 + w / 2, y, label, ha="center", va="center", fontsize=7,
                    color="white", zorder=4)
    if light:
        return
    last_x, raised = -10.0, False
    for bag in cycle.bags[1:]:
        x = _days(cycle.start, bag.start)
        ax.plot([x, x], [y - height / 2 - 0.06, y + height / 2 + 0.06], color="black",
                linewidth=1.0, zorder=5)
        # Changes less than ~0.7 day apart: put every other label higher.
        raised = (not raised) if x - last_x < 0.7 else False
        last_x = x
        ax.text(
            x,
            y + height / 2 + (0.32 if raised else 0.08),
            f"{L.weekday(bag.start, lang)}\n{L.local(bag.start):%H:%M}",
            ha="center",
            va="bottom",
            fontsize=6,
            zorder=5,
        )


def plan_timeline(
    plan: Plan,
    path: str | Path,
    lang: str = "fr",
    *,
    closed: Iterable[dt.date] = (),
    show_baseline: bool = True,
) -> Path:
    """Draw `plan` as a PNG timeline.

    Parameters
    ----------
    plan
        The plan to draw.
    path
        Where to write the PNG (its folder is created).
    lang
        ``"fr"`` (default) or ``"en"``.
    closed
        Extra days to shade as closed (the request's exceptional closures).
    show_baseline
        Draw the practice's bags in a thin row under each cycle when the
        practice is feasible.

    Returns
    -------
    Path
        The path of the written PNG.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; PNG only
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    lang = L.check_lang(lang)
    t = _TEXT[lang]
    closed = list(closed)
    base = plan.baseline
    base_cycles = {c.number: c for c in base.cycles} if base.feasible and show_baseline else {}
    pair = "/".join(L.weekday_code_label(d, lang) for d in base.weekdays or ())

    # Each cycle is a block: its bars, the change labels above them, and the
    # practice's thin row under them when there is one. Blocks are stacked
    # from the top, the first cycle first.
    blocks = [(c, base_cycles.get(c.number)) for c in plan.cycles]
    heights = [1.25 + (0.5 if b is not None else 0.0) for _, b in blocks]
    total = sum(heights)
    fig, ax = plt.subplots(figsize=(14, 1.6 + 1.15 * total))
    ticks, labels = [], []
    top = total
    for (cycle, practice), h in zip(blocks, heights, strict=True):
        y = top - 0.75
        bottom = top - h + 0.1
        end_x = _days(cycle.start, cycle.end)
        for day in _off_days(cycle.start, cycle.end, closed):
            midnight = dt.datetime.combine(day, dt.time(0), tzinfo=L.PARIS)
            nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=L.PARIS)
            x0, x1 = max(_days(cycle.start, midnight), 0.0), min(_days(cycle.start, nxt), end_x)
            if x1 > x0:
                ax.fill_between([x0, x1], bottom, top - 0.05, color="#d9d9d9", alpha=0.6,
                                zorder=1, linewidth=0)
        x_inp = _days(cycle.start, cycle.inpatient_until)
        ax.fill_between([0, x_inp], bottom, top - 0.05, facecolor="none", hatch="///",
                        edgecolor="#4c72b0", alpha=0.35, zorder=2, linewidth=0)
        _draw_row(ax, cycle, y, 0.5, lang, light=False)
        ticks.append(y)
        labels.append(t["cycle"].format(n=cycle.number, start=L.date(cycle.start, lang)))
        if practice is not None:
            yb = y - 0.6
            _draw_row(ax, practice, yb, 0.22, lang, light=True)
            ticks.append(yb)
            labels.append(t["practice"].format(pair=pair, bags=len(practice.bags)))
        top -= h

    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xlim(-0.3, 28.3)
    ax.set_xticks(range(0, 29, 1))
    ax.set_xticklabels([str(d) if d % 2 == 0 else "" for d in range(0, 29)], fontsize=8)
    ax.set_ylim(0, total)
    ax.set_xlabel(t["xlabel"], fontsize=9)
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    summary = t["summary"].format(bags=plan.totals.bags, vials=plan.totals.vials)
    if base.feasible and base.bags is not None:
        summary += t["summary_base"].format(bags=base.bags, vials=base.vials)
    else:
        summary += t["summary_none"]
    ax.set_title(t["title"].format(patient=plan.patient_id, drug=plan.drug) + "\n" + summary,
                 fontsize=11)
    handles = [
        Patch(facecolor=_COLOURS[w], label=L.changed_by(w, lang))
        for w in (ChangedBy.inpatient, ChangedBy.day_hospital, ChangedBy.had_nurse)
    ]
    handles.append(Patch(facecolor="none", hatch="///", edgecolor="#4c72b0",
                         label=t["inpatient"]))
    handles.append(Patch(facecolor="#d9d9d9", label=t["offday_closed" if closed else "offday"]))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.45 / total - 0.05),
              ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    plt.close(fig)
    return out
