"""A plan as a timeline picture (PNG): one panel per cycle, one bar per bag.

Each cycle has its own panel whose x axis is the calendar: one tick per day
labelled with its weekday and date (``lun.`` / ``15/03``), the month and
year under the first day and under each first of the month, a public
holiday's name under its date. Real time runs
along the axis (a daylight-saving day is 23 or 25 hours wide, marked by a
dashed line). Weekends and public holidays are shaded grey, the request's
exceptional closures orange, the inpatient period is hatched. Bars are
coloured by who hangs the bag (the legend says so); a bag too short to see
at this scale is drawn at a minimum width with a dark outline and labelled
under its bar. When the practice could plan the request, a thin row under
the plan shows the practice's bags for comparison.

Drawing is split so that tests (and notebooks) can look at the axes before
anything is saved: :func:`draw_cycle` draws one cycle on an ``ax`` (a new
one when ``ax`` is None), :func:`plan_figure` builds the whole figure, and
:func:`plan_timeline` writes it. Matplotlib is used through its object API
on the Agg canvas (no pyplot, no display, no layout engine: the margins are
fixed in inches), which keeps a picture under a tenth of a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hadplanner.export import _labels as L
from hadplanner.models.plan import ChangedBy, CyclePlan, Plan

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_COLOURS = {
    ChangedBy.inpatient: "#4c72b0",
    ChangedBy.day_hospital: "#dd8452",
    ChangedBy.had_nurse: "#55a868",
}
_OFFDAY = "#e0e0e0"
_CLOSED = "#f6d2b0"

_DPI = 110
_WIDTH_IN = 13.0
_PANEL_IN = 1.75
"""Height of a cycle's panel (plan row, practice row and change labels)."""
_GAP_IN = 1.05
"""Between panels: the day labels of one panel and the title of the next."""
_TOP_IN, _BOTTOM_IN, _LEFT_IN, _RIGHT_IN = 0.75, 1.25, 1.45, 0.25

_MIN_BAR_DAYS = 0.12
"""Narrowest bar drawn (about 3 h): a shorter bag is widened to this, outlined."""
_SHORT_DAYS = 0.3
"""A bag shorter than this (about 7 h) has no room for its number: labelled under it."""

_TEXT = {
    "fr": {
        "title": "Patient {patient} — {drug} : plan des changements de poche",
        "cycle": "Cycle {n} ({regimen}) : du {start} au {end}",
        "plan": "plan\n{bags} poches",
        "practice": "pratique {pair}\n{bags} poches",
        "hung_by": "poche posée par : {who}",
        "practice_bar": "poche de la pratique (jours fixes)",
        "inpatient": "période d'hospitalisation",
        "offday": "week-end / jour férié",
        "closed": "PUI fermée (fermeture exceptionnelle)",
        "change": "changement de poche (heure au-dessus)",
        "dst": "changement d'heure légale",
        "short": "n° {n} : {hours} h",
        "summary": "plan : {bags} poches, {vials} flacons",
        "summary_base": " — pratique : {bags} poches, {vials} flacons",
        "summary_none": " — pratique infaisable",
    },
    "en": {
        "title": "Patient {patient} — {drug}: bag-change plan",
        "cycle": "Cycle {n} ({regimen}): from {start} to {end}",
        "plan": "plan\n{bags} bags",
        "practice": "practice {pair}\n{bags} bags",
        "hung_by": "bag hung by: {who}",
        "practice_bar": "practice's bag (fixed days)",
        "inpatient": "inpatient period",
        "offday": "weekend / public holiday",
        "closed": "PUI closed (exceptional closure)",
        "change": "bag change (time above)",
        "dst": "legal time change",
        "short": "#{n}: {hours} h",
        "summary": "plan: {bags} bags, {vials} vials",
        "summary_base": " — practice: {bags} bags, {vials} vials",
        "summary_none": " — practice infeasible",
    },
}


def _days(origin: dt.datetime, t: dt.datetime) -> float:
    """Real days from `origin` to `t` (aware datetimes compared as timestamps)."""
    return (t.timestamp() - origin.timestamp()) / 86400


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=L.PARIS)


def _cycle_days(cycle: CyclePlan) -> list[dt.date]:
    """The local dates the cycle touches, first to last."""
    first, last = L.local(cycle.start).date(), L.local(cycle.end).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _day_ticks(days: Sequence[dt.date], origin: dt.datetime,
               lang: str) -> tuple[list[float], list[str]]:
    """Tick positions (the middle of each local day) and labels.

    ``lun.\\n15/03`` in French, ``Mon\\n15`` in English; the first day and each
    first of the month also carry the month and year (``mars 2027``), a
    public holiday its name (``Lundi de Pâques``).
    """
    ticks, labels = [], []
    for i, day in enumerate(days):
        a = _days(origin, _midnight(day))
        b = _days(origin, _midnight(day + dt.timedelta(days=1)))
        ticks.append((a + b) / 2)
        label = f"{L.weekday(day, lang)}\n{f'{day:%d/%m}' if lang == 'fr' else day.day}"
        if i == 0 or day.day == 1:
            label += f"\n{L.month(day, lang)}"
        holiday = L.holiday_name(day, lang)
        if holiday is not None:
            label += f"\n{holiday}"
        labels.append(label)
    return ticks, labels


def _shade_days(ax: Axes, days: Sequence[dt.date], origin: dt.datetime,
                closed: set[dt.date], lang: str) -> None:
    """Weekends and public holidays grey, exceptional closures orange."""
    off, shut = [], []
    for day in days:
        a = _days(origin, _midnight(day))
        w = _days(origin, _midnight(day + dt.timedelta(days=1))) - a
        if day in closed:
            shut.append((a, w))
        elif day.weekday() >= 5 or L.holiday_name(day, lang) is not None:
            off.append((a, w))
    if off:
        ax.broken_barh(off, (0, 2), facecolors=_OFFDAY, zorder=0, linewidth=0)
    if shut:
        ax.broken_barh(shut, (0, 2), facecolors=_CLOSED, zorder=0, linewidth=0)


def _bars(ax: Axes, cycle: CyclePlan, origin: dt.datetime, y: float, height: float,
          lang: str, *, light: bool) -> None:
    """The bags of `cycle` as bars centred on `y`: one collection, labels where they fit."""
    t = _TEXT[lang]
    spans, colours = [], []
    widened, labelled_under = [], []
    for bag in cycle.bags:
        x0, w = _days(origin, bag.start), _days(bag.start, bag.end)
        if w < _MIN_BAR_DAYS:
            # Too short to see: drawn wider (centred on the bag), outlined, on top.
            widened.append((x0 + w / 2 - _MIN_BAR_DAYS / 2, bag))
        else:
            spans.append((x0, w))
            colours.append(_COLOURS[ChangedBy(bag.changed_by)])
        if light:
            continue
        if w >= 0.6:
            ax.text(x0 + w / 2, y, f"{bag.index}\n{L.hours(bag.duration_h, lang)} h",
                    ha="center", va="center", fontsize=7, color="white", zorder=4)
        elif w >= _SHORT_DAYS:
            ax.text(x0 + w / 2, y, str(bag.index), ha="center", va="center", fontsize=7,
                    color="white", zorder=4)
        else:
            labelled_under.append((x0 + w / 2, bag))
    alpha = 0.5 if light else 0.95
    ax.broken_barh(spans, (y - height / 2, height), facecolors=colours, edgecolors="white",
                   linewidth=1.0, alpha=alpha, zorder=3)
    for x0, bag in widened:
        ax.broken_barh([(x0, _MIN_BAR_DAYS)], (y - height / 2, height),
                       facecolors=_COLOURS[ChangedBy(bag.changed_by)], edgecolors="#222222",
                       linewidth=0.8, alpha=alpha, zorder=4,
                       gid=f"{'practice-' if light else ''}short-bag-{bag.index}")
    for x, bag in labelled_under:
        ax.annotate(t["short"].format(n=bag.index, hours=L.hours(bag.duration_h, lang)),
                    xy=(x, y - height / 2), xytext=(0, -9), textcoords="offset points",
                    ha="center", va="top", fontsize=6.5,
                    arrowprops={"arrowstyle": "-", "linewidth": 0.6}, zorder=5)


def _change_marks(ax: Axes, cycle: CyclePlan, origin: dt.datetime, y: float,
                  height: float) -> None:
    """A black line at each change, its local time above (alternately raised when close)."""
    xs = [_days(origin, bag.start) for bag in cycle.bags[1:]]
    if not xs:
        return
    ax.vlines(xs, y - height / 2 - 0.05, y + height / 2 + 0.05, colors="black",
              linewidth=1.0, zorder=5)
    last_x, raised = -10.0, False
    for x, bag in zip(xs, cycle.bags[1:], strict=True):
        raised = (not raised) if x - last_x < 0.45 else False
        last_x = x
        ax.text(x, y + height / 2 + (0.2 if raised else 0.07), f"{L.local(bag.start):%H:%M}",
                ha="center", va="bottom", fontsize=6.5, zorder=5)


def draw_cycle(
    cycle: CyclePlan,
    *,
    practice: CyclePlan | None = None,
    pair: str = "",
    lang: str = "fr",
    closed: Iterable[dt.date] = (),
    ax: Axes | None = None,
) -> Axes:
    """Draw one cycle of a plan on `ax` (a new figure's axes when None).

    Parameters
    ----------
    cycle
        The plan's cycle.
    practice
        The practice's same cycle, drawn in a thin row under the plan.
    pair
        The practice's weekday pair as printed (``lun./jeu.``).
    lang
        ``"fr"`` (default) or ``"en"``.
    closed
        Exceptional closure days to shade.
    ax
        The axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, x ticks labelled with the cycle's dates.
    """
    lang = L.check_lang(lang)
    t = _TEXT[lang]
    if ax is None:
        ax = _new_figure(_WIDTH_IN, _PANEL_IN + _TOP_IN + _BOTTOM_IN).add_subplot()
    days = _cycle_days(cycle)
    origin = _midnight(days[0])
    x_end = _days(origin, _midnight(days[-1] + dt.timedelta(days=1)))
    _shade_days(ax, days, origin, set(closed), lang)
    ax.vlines([_days(origin, _midnight(d)) for d in days[1:]], 0, 2, colors="white",
              linewidth=0.8, zorder=1)
    x_inp = _days(origin, cycle.inpatient_until)
    ax.fill_between([_days(origin, cycle.start), x_inp], 0, 2, facecolor="none", hatch="///",
                    edgecolor=_COLOURS[ChangedBy.inpatient], alpha=0.3, zorder=2, linewidth=0)
    for change, before, after in L.offset_changes(cycle.start, cycle.end):
        x = _days(origin, change)
        ax.axvline(x, color="#8c564b", linestyle="--", linewidth=0.9, zorder=2)
        label = L.word("dst_short", lang, before=L.utc_label(before), after=L.utc_label(after))
        ax.text(x, 1.97, label, ha="center", va="top", fontsize=6, color="#8c564b", zorder=6,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})

    y_plan = 1.2 if practice is not None else 1.0
    _bars(ax, cycle, origin, y_plan, 0.45, lang, light=False)
    _change_marks(ax, cycle, origin, y_plan, 0.45)
    yticks = [y_plan]
    ylabels = [t["plan"].format(bags=len(cycle.bags))]
    if practice is not None:
        _bars(ax, practice, origin, 0.45, 0.2, lang, light=True)
        ax.vlines([_days(origin, b.start) for b in practice.bags[1:]], 0.33, 0.57,
                  colors="#333333", linewidth=0.6, zorder=5)
        yticks.append(0.45)
        ylabels.append(t["practice"].format(pair=pair, bags=len(practice.bags)))

    ax.set_xlim(0, x_end)
    ax.set_ylim(0, 2)
    # Tick styles first: the ticks are then made with them (restyling each costs).
    ax.tick_params(axis="both", length=0, pad=3)
    ax.tick_params(axis="x", labelsize=7)
    ax.tick_params(axis="y", labelsize=8)
    ticks, labels = _day_ticks(days, origin, lang)
    ax.set_xticks(ticks, labels)
    ax.set_yticks(yticks, ylabels)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        t["cycle"].format(n=cycle.number, regimen=cycle.regimen,
                          start=L.when(cycle.start, lang, year=True),
                          end=L.when(cycle.end, lang, year=True)),
        fontsize=9, loc="left",
    )
    return ax


def _new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on the Agg canvas (no pyplot: nothing registered, nothing to close)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    return fig


def _legend_handles(plan: Plan, lang: str, closed: bool, practice: bool) -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = _TEXT[lang]
    used = {ChangedBy(b.changed_by) for c in plan.cycles for b in c.bags}
    handles: list[Any] = [
        Patch(facecolor=_COLOURS[w], label=t["hung_by"].format(who=L.changed_by(w, lang)))
        for w in (ChangedBy.inpatient, ChangedBy.day_hospital, ChangedBy.had_nurse)
        if w in used
    ]
    if practice:
        handles.append(Patch(facecolor="#999999", alpha=0.5, label=t["practice_bar"]))
    handles.append(Line2D([], [], color="black", linewidth=1.0, label=t["change"]))
    handles.append(Patch(facecolor="none", hatch="///", edgecolor=_COLOURS[ChangedBy.inpatient],
                         label=t["inpatient"]))
    handles.append(Patch(facecolor=_OFFDAY, label=t["offday"]))
    if closed:
        handles.append(Patch(facecolor=_CLOSED, label=t["closed"]))
    if any(L.offset_changes(c.start, c.end) for c in plan.cycles):
        handles.append(Line2D([], [], color="#8c564b", linestyle="--", linewidth=0.9,
                              label=t["dst"]))
    return handles


def plan_figure(
    plan: Plan,
    lang: str = "fr",
    *,
    closed: Iterable[dt.date] = (),
    show_baseline: bool = True,
) -> Figure:
    """The timeline of `plan` as a matplotlib figure (one panel per cycle, then the legend).

    Parameters are those of :func:`plan_timeline`; ``figure.axes[i]`` is
    cycle ``i + 1``'s panel.
    """
    lang = L.check_lang(lang)
    t = _TEXT[lang]
    closed = set(closed)
    base = plan.baseline
    base_cycles = {c.number: c for c in base.cycles} if base.feasible and show_baseline else {}
    pair = "/".join(L.weekday_code_label(d, lang) for d in base.weekdays or ())

    n = len(plan.cycles)
    height = _TOP_IN + n * _PANEL_IN + (n - 1) * _GAP_IN + _BOTTOM_IN
    fig = _new_figure(_WIDTH_IN, height)
    left, width = _LEFT_IN / _WIDTH_IN, 1 - (_LEFT_IN + _RIGHT_IN) / _WIDTH_IN
    for i, cycle in enumerate(plan.cycles):
        top = _TOP_IN + i * (_PANEL_IN + _GAP_IN)
        ax = fig.add_axes((left, 1 - (top + _PANEL_IN) / height, width, _PANEL_IN / height))
        draw_cycle(cycle, practice=base_cycles.get(cycle.number), pair=pair, lang=lang,
                   closed=closed, ax=ax)

    summary = t["summary"].format(bags=plan.totals.bags, vials=plan.totals.vials)
    if base.feasible and base.bags is not None:
        summary += t["summary_base"].format(bags=base.bags, vials=base.vials)
    else:
        summary += t["summary_none"]
    fig.suptitle(t["title"].format(patient=plan.patient_id, drug=plan.drug) + "\n" + summary,
                 fontsize=11, y=1 - 0.08 / height, va="top")
    handles = _legend_handles(plan, lang, bool(closed), bool(base_cycles))
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.04 / height),
               ncol=min(len(handles), 5), fontsize=7.5, frameon=False)
    return fig


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

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Text is most of the drawing time; unhinted glyphs draw about a third faster.
    with matplotlib.rc_context({"text.hinting": "none"}):
        fig = plan_figure(plan, lang, closed=closed, show_baseline=show_baseline)
        fig.savefig(out, dpi=_DPI)
    return out
