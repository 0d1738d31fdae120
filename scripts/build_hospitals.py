"""Build ``territories/occitanie/hospitals.yaml``: hospitals with an emergency department.

Sources (both public files, read from disk; no network):

1. **Which hospitals have an emergency department**: DREES, "Enquête nationale
   sur les structures des urgences hospitalières", one day, 11 June 2013; its
   questionnaire for each "point d'accueil" (file ``enq_urgences_structure.csv``,
   Windows-1252, columns ``id_point_d_accueil``, ``ID_A1`` name, ``ID_A2``
   FINESS, ``ID_A4`` kind of structure), as published with DREES's R training
   course in the public repository ``phileas-condemine/r_initiation`` (commit
   207b968, 2018-02-14; author "DREES" in ``r_initiation.Rpres``). The survey
   covered every emergency structure of France that day (734 points d'accueil).
2. **Where each site is**: Eurostat GISCO "healthcare services" dataset for
   France (``data/healthcare/csv/FR.csv`` of the public repository
   ``eurostat/basic-services``; built from the FINESS register as geocoded by
   Atlasanté, ``ref_date`` 2020-03-06, ``pub_date`` 2020-04-16): FINESS number
   of each site ("entité géographique"), name, lat/lon.

The DREES file names public hospitals by their legal entity ("entité
juridique"), whose FINESS is not a site: :data:`SITES` below maps each of them
to the site of the 2020 FINESS extract that hosts its emergency department,
with the reason (and the public page read, when the choice is not obvious).
The commune (INSEE code) of each site is the commune polygon of
``territories/occitanie/communes.geojson`` containing the point.

Usage::

    python scripts/build_hospitals.py --drees enq_urgences_structure.csv \\
        --finess FR.csv [--out territories/occitanie/hospitals.yaml]

It fails (exit 1) if a hospital of the DREES file in the nine departments is
not in :data:`SITES` (or the reverse), if a site is missing from the FINESS
extract, or if a point lies outside the territory's communes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hadplanner.territory.loading import load_territory  # noqa: E402

DEPARTMENTS = ("09", "11", "12", "31", "32", "46", "65", "81", "82")

DREES_FULL = ("DREES 2013-06-11: DREES, Enquête nationale sur les structures des urgences "
              "hospitalières, 11 June 2013 (enq_urgences_structure.csv, published with DREES's R "
              "course, github.com/phileas-condemine/r_initiation commit 207b968, 2018-02-14)")
FINESS_FULL = ("FINESS 2020-03-06: FINESS sites geocoded by Atlasanté, in Eurostat GISCO "
               "healthcare services for France (data/healthcare/csv/FR.csv, "
               "github.com/eurostat/basic-services; ref_date 2020-03-06, pub_date 2020-04-16)")
DREES = "DREES 2013-06-11"
FINESS = "FINESS 2020-03-06"

# DREES FINESS -> (site FINESS in the 2020 extract, id, name, town, why this site, notes)
SITES: dict[str, tuple[str, str, str, str, str, str]] = {
    # -- 09 Ariège
    "090780107": ("090001629", "chiva-lavelanet", "CHIVA, site du Pays d'Olmes (Lavelanet)",
                  "Lavelanet",
                  "the establishment's only site in the 2020 extract "
                  "('CHIVAL SITE LAVELANET CH DU PAYS D'OLMES')",
                  "In 2013 the Centre hospitalier du Pays d'Olmes; merged into the CHIVA on "
                  "2018-01-01 (hopitaux-ariege.fr, 'points d'histoire'). Its emergency department "
                  "was closed from 2020-04-01 during the Covid-19 crisis, announced as temporary "
                  "(france3-regions.francetvinfo.fr, April 2020)."),
    "090781774": ("090000175", "chiva-foix", "Centre hospitalier intercommunal des vallées de "
                  "l'Ariège (CHIVA)", "Saint-Jean-de-Verges",
                  "the medicine-surgery site 'CHIVAL SITE FOIX' (the other sites are SSR or "
                  "psychiatry); the emergency department is at Saint-Jean-de-Verges near Foix "
                  "(france3-regions.francetvinfo.fr, April 2020)", ""),
    "090781816": ("090000183", "ch-ariege-couserans", "Centre hospitalier Ariège Couserans",
                  "Saint-Lizier",
                  "the establishment's general site ('SITE SAINT LIZIER'; the others are "
                  "psychiatric day hospitals)", ""),
    # -- 11 Aude
    "110780061": ("110000023", "ch-carcassonne", "Centre hospitalier de Carcassonne",
                  "Carcassonne",
                  "the establishment's hospital site 'ANTOINE GAYRAUD' (the others are SMUR "
                  "antennas)", ""),
    "110780087": ("110000049", "ch-castelnaudary", "Centre hospitalier de Castelnaudary",
                  "Castelnaudary", "the hospital 'JEAN PIERRE CASSABEL'", ""),
    "110780137": ("110000056", "ch-narbonne", "Centre hospitalier de Narbonne", "Narbonne",
                  "the general site 'HOTEL DIEU', boulevard Docteur Lacroix (the others are "
                  "psychiatric and outpatient units)", ""),
    "110780228": ("110780228", "polyclinique-languedoc-narbonne", "Polyclinique Le Languedoc",
                  "Narbonne", "", ""),
    "110780483": ("110780483", "polyclinique-montreal-carcassonne", "Polyclinique Montréal",
                  "Carcassonne", "", ""),
    # -- 12 Aveyron
    "120000054": ("120000054", "ch-villefranche-de-rouergue",
                  "Centre hospitalier de Villefranche-de-Rouergue", "Villefranche-de-Rouergue",
                  "", ""),
    "120004528": ("120004569", "ch-millau", "Centre hospitalier de Millau", "Millau",
                  "the general site 'CENTRE HOSPITALIER COMMUNAL DE MILLAU' (the others are "
                  "psychiatry and SSR)", ""),
    "120004619": ("120004668", "ch-saint-affrique", "Centre hospitalier de Saint-Affrique",
                  "Saint-Affrique", "the hospital 'EMILE BOREL'", ""),
    "120780044": ("120000039", "ch-rodez", "Centre hospitalier de Rodez (hôpital Jacques Puel)",
                  "Rodez", "the general site 'HOPITAL JACQUES PUEL' (the other, Olemps, is "
                  "psychiatric)", ""),
    "120780085": ("120000070", "ch-decazeville", "Centre hospitalier de Decazeville",
                  "Decazeville", "the hospital 'PIERRE DELPECH'", ""),
    # -- 31 Haute-Garonne
    "310000310": ("310000310", "ch-comminges-pyrenees", "Centre hospitalier Comminges Pyrénées",
                  "Saint-Gaudens", "", ""),
    "310016977": ("310016977", "chu-toulouse-enfants", "CHU de Toulouse, Hôpital des Enfants",
                  "Toulouse", "", "Paediatric emergency department only."),
    "310780101": ("310026927", "clinique-croix-du-sud", "Clinique La Croix du Sud",
                  "Quint-Fonsegrives",
                  "in 2013 the Clinique Saint-Jean Languedoc (Toulouse); it moved to the new "
                  "Clinique La Croix du Sud at Quint-Fonsegrives, built with an emergency "
                  "department (latribune.fr 2014-11-21; touleco.fr November 2021); the old "
                  "FINESS is not in the 2020 extract",
                  "Listed by DREES (2013) as Clinique Saint-Jean Languedoc, Toulouse."),
    "310780283": ("310780283", "clinique-union", "Clinique de l'Union", "Saint-Jean", "", ""),
    "310780382": ("310780382", "clinique-ambroise-pare", "Clinique Ambroise Paré", "Toulouse",
                  "", ""),
    "310781000": ("310781000", "clinique-cedres", "Clinique des Cèdres", "Blagnac", "",
                  "Approximate location: the FINESS extract geocodes it with quality 2 at the "
                  "centre of Blagnac, the town of its postal address ('CHT D'ALLIEZ CS 20220, "
                  "31705 BLAGNAC'); the clinic itself may lie in a neighbouring commune."),
    "310781067": ("310781067", "hopital-joseph-ducuing", "Hôpital Joseph Ducuing", "Toulouse",
                  "", ""),
    "310781505": ("310781505", "clinique-occitanie-muret", "Clinique d'Occitanie", "Muret", "",
                  ""),
    "310783048": ("310783048", "chu-toulouse-purpan", "CHU de Toulouse, Hôpital Purpan",
                  "Toulouse", "", ""),
    "310783055": ("310783055", "chu-toulouse-rangueil", "CHU de Toulouse, Hôpital Rangueil",
                  "Toulouse", "", ""),
    # -- 32 Gers
    "320780117": ("320000086", "ch-auch", "Centre hospitalier d'Auch", "Auch",
                  "the main site (the 'annexe Pasteur' is in the same town)", ""),
    "320780133": ("320000102", "ch-condom", "Centre hospitalier de Condom", "Condom",
                  "the hospital's site", "The 2020 extract also lists 'CENTRE HOSPITALIER "
                  "D'AUCH - ANTENNE DE CONDOM' at the same address."),
    # -- 46 Lot
    "460780083": ("460000045", "ch-figeac", "Centre hospitalier de Figeac", "Figeac",
                  "ASSUMPTION: the site 'MAQUISARDS' (33 rue des Maquisards); the other site "
                  "'CLEMENCEAU' is 0.7 km away in the same town and the sources do not say "
                  "which one hosts the emergency department", ""),
    "460780091": ("460000052", "ch-saint-cere", "Centre hospitalier de Saint-Céré", "Saint-Céré",
                  "the hospital's site", ""),
    "460780208": ("460000102", "ch-gourdon", "Centre hospitalier de Gourdon", "Gourdon",
                  "the hospital 'JEAN COULON'", ""),
    "460780216": ("460000110", "ch-cahors", "Centre hospitalier de Cahors", "Cahors",
                  "the hospital 'JEAN ROUGIER'", ""),
    # -- 65 Hautes-Pyrénées
    "650780158": ("650000045", "ch-lourdes", "Centre hospitalier de Lourdes", "Lourdes",
                  "the hospital's site", ""),
    "650780166": ("650000052", "ch-bagneres-de-bigorre", "Centre hospitalier de "
                  "Bagnères-de-Bigorre", "Bagnères-de-Bigorre", "the hospital's site",
                  "Emergency department closed at night since summer 2021 (francebleu.fr "
                  "May 2021, August 2023)."),
    "650780174": ("650784218", "hopitaux-lannemezan", "Hôpitaux de Lannemezan, centre "
                  "médico-chirurgical", "Lannemezan",
                  "the establishment's only medical-surgical site in the 2020 extract (the "
                  "others are psychiatric)", ""),
    "650780679": ("650780679", "polyclinique-ormeau", "Polyclinique de l'Ormeau", "Tarbes",
                  "", ""),
    "650783160": ("650000417", "ch-bigorre", "Centre hospitalier de Bigorre (site de la Gespe)",
                  "Tarbes",
                  "the site 'LA GESPE', which groups all its medicine, surgery and obstetrics "
                  "(ch-bigorre.fr, 'un hôpital, 3 sites'); the other sites are geriatric", ""),
    # -- 81 Tarn
    "810000224": ("810000224", "clinique-claude-bernard-albi", "Clinique Claude Bernard",
                  "Albi", "", ""),
    "810000331": ("810000505", "ch-albi", "Centre hospitalier d'Albi", "Albi",
                  "the hospital's site", ""),
    "810000380": ("810000521", "chic-castres-mazamet", "Centre hospitalier intercommunal "
                  "Castres-Mazamet (hôpital du Pays d'Autan)", "Castres",
                  "the site 'PAYS D'AUTAN', the new hospital on the Causse that took over the "
                  "Castres and Mazamet hospitals in January 2011 (ladepeche.fr 2011-01-04)", ""),
    "810000455": ("810000562", "ch-lavaur", "Centre hospitalier de Lavaur", "Lavaur",
                  "the hospital's site (the others are psychiatric)",
                  "Night closures of the emergency department reported in 2022 "
                  "(ladepeche.fr 2022-06-15)."),
    "810101444": ("810101444", "polyclinique-sidobre", "Polyclinique du Sidobre", "Castres", "",
                  ""),
    # -- 82 Tarn-et-Garonne
    "820000016": ("820000032", "ch-montauban", "Centre hospitalier de Montauban", "Montauban",
                  "the hospital's site (the others are psychiatric)", ""),
    "820000057": ("820000057", "clinique-pont-de-chaume", "Clinique du Pont de Chaume",
                  "Montauban", "", ""),
    "820004950": ("820000883", "chic-castelsarrasin-moissac", "Centre hospitalier "
                  "intercommunal Castelsarrasin-Moissac (site de Moissac)", "Moissac",
                  "the site 'MOISSAC': the press names 'le service des urgences de l'hôpital "
                  "de Moissac' (france3-regions.francetvinfo.fr, 2021-11-09)",
                  "Emergency department closed at night (20:00-08:00) from 2021-12-01 "
                  "(france3-regions.francetvinfo.fr, 2021-11-09)."),
}

# Where the commune of the source's point is not the site's: id -> (INSEE, use the commune's
# centre instead of the source point, why).
OVERRIDES: dict[str, tuple[str, bool, str]] = {
    "ch-ariege-couserans": (
        "09268", False,
        "the source names the site 'SITE SAINT LIZIER' (town ST LIZIER) but its point, given "
        "without a street, lies 0.5 km outside Saint-Lizier's polygon (in Gajan): commune "
        "Saint-Lizier kept, point kept"),
    "hopitaux-lannemezan": (
        "65258", True,
        "the source's point, given without a street, lies 2.7 km from Lannemezan, in Clarens: "
        "the location is the centre of the commune of Lannemezan (communes.geojson)"),
}

HEADER = """\
# Hospitals with an emergency department ("structure des urgences") in the nine
# departments around IUCT-Oncopole: 09, 11, 12, 31, 32, 46, 65, 81, 82.
# Use: the patient's first-recourse hospital (thesis, seeds/004_f74a96c90217015e.txt
# l. 1606-1616: the hospital nearest to the patient is informed as first recourse).
#
# GENERATED by scripts/build_hospitals.py (do not edit by hand; edit the script's table).
# Which hospitals: DREES national survey of emergency structures, 11 June 2013
#   (every emergency "point d'accueil" of France that day).
# Where: FINESS sites geocoded by Atlasanté, Eurostat GISCO healthcare services FR.csv
#   (ref_date 2020-03-06). The commune is the polygon of communes.geojson containing the
#   point.
# Inputs: {inputs}
#
# WHAT MAY BE WRONG OR MISSING
# - The list is the 2013 one: an emergency department opened since 2013 is missing, one
#   closed since is still listed (only the Saint-Jean Languedoc -> Croix du Sud move is
#   followed). Night closures known from the press are in `notes`, not in `emergency`.
# - For public hospitals DREES names the legal entity; the site hosting the emergency
#   department is chosen in the script's table, with its reason (one ASSUMPTION: Figeac).
# - The ARS Occitanie list of authorised emergency structures was not read (not found in
#   the sources available): check against it before relying on the list.
"""


class _Dumper(yaml.SafeDumper):
    """Quotes codes made of digits (INSEE, FINESS), so that no reader takes them for numbers."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "'" if value.isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _read_drees(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("cp1252")
    rows = list(csv.DictReader(text.splitlines()))
    return [r for r in rows if r["ID_A2"][:2] in DEPARTMENTS]


def _read_finess(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {r["id"].zfill(9): r for r in csv.DictReader(f)}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def build(drees: Path, finess: Path) -> tuple[dict, list[str]]:
    """The document to write, and the problems found (empty when all is well)."""
    rows = _read_drees(drees)
    sites = _read_finess(finess)
    territory = load_territory("occitanie")
    communes = territory.territory.communes
    problems: list[str] = []
    listed = {r["ID_A2"] for r in rows}
    for code in sorted(listed - SITES.keys()):
        problems.append(f"DREES lists {code} but the script's table does not")
    for code in sorted(SITES.keys() - listed):
        problems.append(f"the table has {code} but DREES does not list it")
    hospitals = []
    for r in sorted(rows, key=lambda r: (SITES.get(r["ID_A2"], ("",) * 6)[1])):
        code = r["ID_A2"]
        if code not in SITES:
            continue
        site, hid, name, town, why, notes = SITES[code]
        s = sites.get(site)
        if s is None:
            problems.append(f"{code} {r['ID_A1']}: site {site} not in the FINESS extract")
            continue
        lat, lon = round(float(s["lat"]), 5), round(float(s["lon"]), 5)
        insee = territory.commune_at(lat, lon)
        if insee is None:
            problems.append(f"{code} {r['ID_A1']}: ({lat}, {lon}) is in no commune")
            continue
        where = f"commune {communes[insee].name} ({insee}), the polygon of communes.geojson " \
                "containing the point"
        if hid in OVERRIDES:
            insee, centre, reason = OVERRIDES[hid]
            if centre:
                lat, lon = communes[insee].centre.lat, communes[insee].centre.lon
            where = f"commune {communes[insee].name} ({insee}): {reason}"
        kind = r["ID_A4"]
        paediatric = kind == "Structures des urgences pédiatriques"
        site_words = (f"site {site} '{s['hospital_name']}'" +
                      (f" ({why})" if why else ""))
        source = (f"{DREES}: '{r['ID_A1'].strip()}', FINESS {code}, '{kind}'. Location: "
                  f"{FINESS}: {site_words}; {where}.")
        hospitals.append({
            "id": hid, "name": name, "town": town, "insee": insee,
            "location": {"lat": lat, "lon": lon}, "emergency": True,
            "paediatric_only": paediatric, "finess": site, "source": source, "notes": notes,
        })
        print(f"{hid}: {town} -> commune {communes[insee].name} ({insee})", file=sys.stderr)
    doc = {
        "source": f"{DREES_FULL}; locations: {FINESS_FULL}",
        "date": "2013-06-11",
        "coverage": (
            "All emergency structures of the nine departments in the DREES survey of "
            "2013-06-11 (general and paediatric), one site each; not updated for openings "
            "or closures since (but the Saint-Jean Languedoc move), night closures in notes."
        ),
        "hospitals": hospitals,
    }
    return doc, problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drees", type=Path, required=True, help="enq_urgences_structure.csv")
    ap.add_argument("--finess", type=Path, required=True, help="Eurostat GISCO FR.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "territories/occitanie/hospitals.yaml")
    args = ap.parse_args(argv)
    doc, problems = build(args.drees, args.finess)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if problems:
        return 1
    inputs = (f"{args.drees.name} sha256 {_sha(args.drees)}..., "
              f"{args.finess.name} sha256 {_sha(args.finess)}...")
    body = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=96)
    args.out.write_text(HEADER.format(inputs=inputs) + body, encoding="utf-8")
    n = len(doc["hospitals"])
    print(f"wrote {args.out} ({n} hospitals)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
