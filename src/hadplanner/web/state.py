"""What the web application keeps between requests: the territory, built once, and caches.

Everything cached is derived from the register or the territory and keyed by
what it depends on (a patient's plan version, a day), so a cache never shows
stale data: a new plan version is a new key.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]  # type: ignore[no-any-return]
        value = make()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value


def fold(text: str) -> str:
    """Lower case without accents or hyphens, for matching commune names."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("-", " ").replace("'", " ").split())


@dataclass
class WebState:
    """The application's shared state (one per application)."""

    territory: str = "occitanie"
    db_url: str | None = None
    secure_cookies: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _index: Any = None
    _communes: list[tuple[str, str, str, str]] | None = None
    _hospitals: Any = None
    pathways: LRU = field(default_factory=lambda: LRU(256))
    pictures: LRU = field(default_factory=lambda: LRU(64))
    coverages: LRU = field(default_factory=lambda: LRU(16))
    files: LRU = field(default_factory=lambda: LRU(8))
    joint_plans: LRU = field(default_factory=lambda: LRU(8))
    """The PUI's joint plans, keyed by the register's content and the horizon."""
    joint_lock: threading.Lock = field(default_factory=threading.Lock)
    """One joint plan solved at a time (each takes the solver's time limit)."""
    geojson: bytes | None = None
    picture_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- territory -----------------------------------------------------------------

    def index(self) -> Any:
        """The territory's :class:`~hadplanner.territory.coverage.TerritoryIndex`, built once."""
        with self._lock:
            if self._index is None:
                from hadplanner.territory.coverage import TerritoryIndex
                from hadplanner.territory.loading import load_territory

                self._index = TerritoryIndex.from_loaded(load_territory(self.territory))
            return self._index

    def hospitals(self) -> Any:
        """The territory's hospitals (first recourse), read once."""
        with self._lock:
            if self._hospitals is None:
                from hadplanner.pathway.hospitals import hospitals_path, read_hospitals
                from hadplanner.territory.loading import load_territory

                known = set(load_territory(self.territory).territory.communes)
                self._hospitals = read_hospitals(hospitals_path(self.territory),
                                                 known_insee=known)
            return self._hospitals

    def reference_day(self) -> dt.date:
        from hadplanner.territory.loading import reference_day

        return reference_day(self.territory)

    def communes(self) -> list[tuple[str, str, str, str]]:
        """(insee, name, department, folded name) of every commune, by name."""
        with self._lock:
            if self._communes is None:
                from hadplanner.territory.loading import load_territory

                terr = load_territory(self.territory).territory
                self._communes = sorted(
                    ((c.insee, c.name, c.department, fold(c.name))
                     for c in terr.communes.values()), key=lambda r: (r[3], r[0]))
            return self._communes

    def find_communes(self, query: str, limit: int = 12) -> list[tuple[str, str, str]]:
        """Communes whose name starts with (then contains) ``query``, or whose code starts
        with it."""
        q = fold(query)
        if not q:
            return []
        rows = self.communes()
        if q[:1].isdigit() or q[:2] in ("2a", "2b"):
            hits = [r for r in rows if r[0].lower().startswith(q)]
        else:
            hits = [r for r in rows if r[3].startswith(q)]
            if len(hits) < limit:
                hits += [r for r in rows if q in r[3] and not r[3].startswith(q)]
        return [(r[0], r[1], r[2]) for r in hits[:limit]]

    def commune_code(self, text: str) -> tuple[str | None, str | None]:
        """The INSEE code typed or chosen (``Lautrec (81139)``, ``81139``, ``Lautrec``), and
        an error key (``commune_unknown``, ``commune_ambiguous``) when there is none."""
        import re

        text = text.strip()
        m = re.search(r"\(?\b(\d{5}|2[ABab]\d{3})\)?\s*$", text)
        codes = {r[0] for r in self.communes()}
        if m:
            code = m.group(1).upper()
            return (code, None) if code in codes else (None, "commune_unknown")
        same = [r for r in self.communes() if r[3] == fold(text)]
        if len(same) == 1:
            return same[0][0], None
        return None, "commune_ambiguous" if same else "commune_unknown"

    def commune_label(self, insee: str | None) -> str:
        for r in self.communes():
            if r[0] == insee:
                return f"{r[1]} ({r[0]})"
        return insee or ""

    # -- patients ------------------------------------------------------------------

    def pathway(self, view: Any) -> Any:
        """The coordinator's file of a register patient (None when the home is not known),
        for the plan in force."""
        key = (view.pseudonym, view.treatment_version, view.plan_version)
        return self.pathways.get(key, lambda: self._pathway(view))

    def _pathway(self, view: Any) -> Any:
        from dataclasses import replace

        from hadplanner.pathway.coordinator import build_pathway

        if view.request.patient.home is None:
            return None
        p = build_pathway(view.request, self.territory, index=self.index(),
                          hospitals=self.hospitals())
        if p.plan != view.plan:  # re-planned: the file shows the plan in force
            try:
                from hadplanner.models.drug import load_drug
                from hadplanner.pathway.coordinator import _timeline
                from hadplanner.schedule.regimen import cycle_specs

                specs = cycle_specs(view.request, load_drug(view.request.drug),
                                    transport_h=0.0)
                p = replace(p, plan=view.plan,
                            timeline=_timeline(view.plan, specs, at_home=p.had is not None))
            except Exception:  # the timeline of the first plan is kept, with the new plan
                p = replace(p, plan=view.plan)
        return p

    def picture(self, view: Any) -> bytes:
        """The plan's timeline (PNG), drawn once per plan version."""
        def draw() -> bytes:
            import matplotlib

            from hadplanner.export.timeline import plan_figure

            closed = [first + dt.timedelta(days=i)
                      for first, last in view.request.settings.production.closed
                      for i in range((last - first).days + 1)]
            buf = io.BytesIO()
            with self.picture_lock, matplotlib.rc_context({"text.hinting": "none"}):
                fig = plan_figure(view.plan, "fr", closed=closed)
                fig.savefig(buf, format="png", dpi=90)
            return buf.getvalue()

        return self.pictures.get((view.pseudonym, view.plan_version), draw)

    # -- coverage ------------------------------------------------------------------

    def coverage(self, day: dt.date) -> Any:
        from hadplanner.territory.coverage import compute_coverage

        return self.coverages.get(day, lambda: compute_coverage(self.index(), day))
