"""The summary of a territory at a date: HADs, authorisations, zones, shared areas.

:func:`summarise` computes it as data (pydantic models, for ``--json``);
:func:`render_text` lays it out as a table in French or English. No printing.
"""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from pathlib import Path

from hadplanner.export._labels import check_lang, word
from hadplanner.models.base import Model
from hadplanner.models.territory import HAD, LegalStatus, Territory
from hadplanner.territory.loading import LoadedTerritory


class HadSummary(Model):
    """One HAD: its main site, its authorisation on the day, the size of its zone."""

    id: str
    name: str
    legal_status: LegalStatus
    departments: tuple[str, ...]
    main_site: str
    main_insee: str
    annex_sites: tuple[str, ...]
    authorised: bool
    authorisation: str | None
    """Basis and holder of the authorisation valid on the day, with its end if any."""
    patients_treated: int
    communes: int
    population: int


class SharedArea(Model):
    """Communes in the zones of two HADs."""

    had_ids: tuple[str, str]
    departments: tuple[str, ...]
    communes: int
    population: int


class DepartmentSummary(Model):
    """A department: its communes and how many are in an authorised HAD's zone on the day."""

    department: str
    communes: int
    population: int
    authorised_communes: int
    authorised_population: int
    had_ids: tuple[str, ...]


class Totals(Model):
    communes: int
    population: int
    zoned_communes: int
    unzoned_communes: int
    hads: int
    authorised_hads: int
    authorised_communes: int
    authorised_population: int


class TerritorySummary(Model):
    """What ``hadplanner territory show`` prints, as data."""

    territory: str
    date: dt.date
    zones_source: str
    hads: tuple[HadSummary, ...]
    shared_areas: tuple[SharedArea, ...]
    departments: tuple[DepartmentSummary, ...]
    totals: Totals


def _authorisation_text(had: HAD, day: dt.date) -> str | None:
    for a in had.authorisations:
        if a.valid_on(day):
            until = f" until {a.valid_until}" if a.valid_until else ""
            return f"{a.basis.value}: {a.holder}{until}"
    return None


def summarise(territory: Territory | LoadedTerritory, day: dt.date) -> TerritorySummary:
    """Summarise ``territory`` on ``day``.

    Parameters
    ----------
    territory
        A :class:`Territory` or a :class:`LoadedTerritory`.
    day
        The date authorisations are evaluated at.
    """
    zones_source = ""
    if isinstance(territory, LoadedTerritory):
        zones_source = territory.manifest.zones_source
        territory = territory.territory
    communes = territory.communes
    pop = {c: m.population for c, m in communes.items()}
    zone = {z.had_id: z.communes for z in territory.zones}
    hads = []
    for had in territory.hads:
        codes = zone.get(had.id, frozenset())
        hads.append(
            HadSummary(
                id=had.id,
                name=had.name,
                legal_status=had.legal_status,
                departments=had.departments,
                main_site=had.main_site.town,
                main_insee=had.main_site.insee,
                annex_sites=tuple(s.town for s in had.sites if s.kind.value == "annex"),
                authorised=had.authorised_on(day),
                authorisation=_authorisation_text(had, day),
                patients_treated=had.patients_treated,
                communes=len(codes),
                population=sum(pop[c] for c in codes),
            )
        )
    shared = []
    for a, b in combinations([h.id for h in territory.hads], 2):
        both = zone.get(a, frozenset()) & zone.get(b, frozenset())
        if both:
            shared.append(
                SharedArea(
                    had_ids=(a, b),
                    departments=tuple(sorted({communes[c].department for c in both})),
                    communes=len(both),
                    population=sum(pop[c] for c in both),
                )
            )
    authorised_ids = {h.id for h in territory.hads if h.authorised_on(day)}
    zoned = set().union(*zone.values()) if zone else set()
    covered = set().union(*(zone[h] for h in authorised_ids if h in zone))
    depts = []
    for d in sorted({c.department for c in communes.values()}):
        in_dept = [c for c, m in communes.items() if m.department == d]
        in_d = set(in_dept)
        depts.append(
            DepartmentSummary(
                department=d,
                communes=len(in_dept),
                population=sum(pop[c] for c in in_dept),
                authorised_communes=sum(c in covered for c in in_dept),
                authorised_population=sum(pop[c] for c in in_dept if c in covered),
                had_ids=tuple(h.id for h in territory.hads if zone.get(h.id, set()) & in_d),
            )
        )
    totals = Totals(
        communes=len(communes),
        population=sum(pop.values()),
        zoned_communes=len(zoned),
        unzoned_communes=len(communes) - len(zoned),
        hads=len(territory.hads),
        authorised_hads=len(authorised_ids),
        authorised_communes=len(covered),
        authorised_population=sum(pop[c] for c in covered),
    )
    return TerritorySummary(
        territory=territory.name,
        date=day,
        zones_source=zones_source,
        hads=tuple(hads),
        shared_areas=tuple(shared),
        departments=tuple(depts),
        totals=totals,
    )


LABELS = {
    "fr": {
        "title": "Territoire {name} au {date}",
        "had": "HAD",
        "site": "Site principal",
        "chemo": "Chimio",
        "communes": "Communes",
        "population": "Population",
        "yes": "oui",
        "no": "non",
        "total": "Total",
        "shared": "Zones partagées",
        "depts": "Départements — population dans la zone d'une HAD autorisée en chimiothérapie",
        "dept": "Dép.",
        "covered": "Couverte",
        "unzoned": "Communes hors de toute zone",
        "authorised_hads": "HAD autorisées en chimiothérapie",
        "and": "et",
        "inhabitants": "hab.",
    },
    "en": {
        "title": "Territory {name} on {date}",
        "had": "HAD",
        "site": "Main site",
        "chemo": "Chemo",
        "communes": "Communes",
        "population": "Population",
        "yes": "yes",
        "no": "no",
        "total": "Total",
        "shared": "Shared areas",
        "depts": "Departments — population in the zone of a chemotherapy-authorised HAD",
        "dept": "Dept",
        "covered": "Covered",
        "unzoned": "Communes in no zone",
        "authorised_hads": "Chemotherapy-authorised HADs",
        "and": "and",
        "inhabitants": "inhabitants",
    },
}


def _n(x: int, lang: str) -> str:
    s = f"{x:,}"
    return s.replace(",", "\u202f") if lang == "fr" else s


def _pct(share: float, lang: str) -> str:
    """``68 %`` in French (a space before the sign), ``68%`` in English."""
    return f"{share:.0%}".replace("%", "\u202f%") if lang == "fr" else f"{share:.0%}"


def _zones_line(source: str, lang: str) -> str:
    """Where the zones come from, in `lang`.

    The manifest's note is free text (English in the shipped territories):
    English output prints it as is; French output says in French that
    reconstructed zones are not the ARS's, and otherwise quotes the note as
    data.
    """
    if lang == "en":
        return f"Zones: {source}"
    if "reconstruct" in source.lower():
        return word("zones_reconstructed", lang)
    return word("zones_source", lang, source=source)


def render_text(summary: TerritorySummary, lang: str = "fr") -> str:
    """The summary as a plain-text table (``lang``: ``fr`` or ``en``), every line in `lang`."""
    lang = check_lang(lang)
    L = LABELS[lang]
    colon = " :" if lang == "fr" else ":"
    names = {h.id: h.name for h in summary.hads}
    w = max(len(h.name) for h in summary.hads) if summary.hads else 10
    lines = [L["title"].format(name=summary.territory, date=summary.date.isoformat()), ""]
    head = (
        f"{L['had']:<{w}}  {L['site']:<16}  {L['chemo']:<6}  "
        f"{L['communes']:>8}  {L['population']:>11}"
    )
    lines += [head, "-" * len(head)]
    for h in summary.hads:
        chemo = L["yes"] if h.authorised else L["no"]
        lines.append(
            f"{h.name:<{w}}  {h.main_site:<16}  {chemo:<6}  {h.communes:>8}  "
            f"{_n(h.population, lang):>11}"
        )
    t = summary.totals
    lines += [
        "-" * len(head),
        f"{L['total']:<{w}}  {'':<16}  {t.authorised_hads:>2}/{t.hads:<3}  {t.communes:>8}  "
        f"{_n(t.population, lang):>11}",
        "",
        f"{L['unzoned']}{colon} {t.unzoned_communes}",
        f"{L['authorised_hads']}{colon} {t.authorised_hads}/{t.hads} — "
        f"{L['communes'].lower()} {t.authorised_communes}/{t.communes}, "
        f"{L['population'].lower()} "
        f"{_n(t.authorised_population, lang)}/{_n(t.population, lang)} "
        f"({_pct(t.authorised_population / max(t.population, 1), lang)})",
        "",
        f"{L['shared']}{colon}",
    ]
    for s in summary.shared_areas:
        a, b = (names[i] for i in s.had_ids)
        noun = L["communes"].lower() if s.communes > 1 else L["communes"].lower()[:-1]
        lines.append(
            f"  {a} {L['and']} {b} ({', '.join(s.departments)}){colon} {s.communes} "
            f"{noun}, {_n(s.population, lang)} {L['inhabitants']}"
        )
    lines += ["", f"{L['depts']}{colon}"]
    for d in summary.departments:
        share = d.authorised_population / max(d.population, 1)
        lines.append(
            f"  {d.department}{colon} {d.communes:>4} {L['communes'].lower()}, "
            f"{_n(d.population, lang):>9} {L['inhabitants']} — {L['covered'].lower()} "
            f"{_pct(share, lang):>5}"
        )
    if summary.zones_source:
        lines += ["", _zones_line(summary.zones_source, lang)]
    return "\n".join(lines) + "\n"


def write_territory_report(
    out_dir: str | Path,
    name_or_path: str | Path = "occitanie",
    day: dt.date | None = None,
    lang: str = "fr",
) -> list[Path]:
    """Write ``territoire_<name>.txt``, ``.json`` and ``.html`` (map) under ``out_dir``.

    For ``hadplanner run``: the territory part of the main job.
    """
    from hadplanner.export.territory_map import write_territory_map
    from hadplanner.territory.loading import load_territory

    loaded = load_territory(name_or_path)
    day = day or dt.date.today()
    summary = summarise(loaded, day)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"territoire_{loaded.territory.name}"
    txt = out / f"{stem}.txt"
    txt.write_text(render_text(summary, lang), encoding="utf-8")
    js = out / f"{stem}.json"
    js.write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    html = write_territory_map(loaded, out, day=day, lang=lang)
    return [txt, js, html]
