"""The web application's words (French: its users are a French hospital and agency).

Dates, instants, numbers and who hangs a bag come from :mod:`hadplanner.export._labels`,
the coverage statuses from :mod:`hadplanner.export.coverage_tables`; the words
below are the screens' own.
"""

from __future__ import annotations

ROLE_NAMES = {
    "coordinator": "Infirmière coordinatrice",
    "pharmacist": "Pharmacie (PUI)",
    "ars": "ARS",
}

ROLE_HOME = {"coordinator": "/patients", "pharmacist": "/pharmacie", "ars": "/ars"}
"""Where each role lands after signing in."""

CARE_NAMES = {
    "served": "HAD de la zone",
    "derogation": "dérogation (HAD limitrophe)",
    "convention": "convention",
    "day_hospital": "hôpital de jour",
    "no_had": "aucune HAD",
}

ACCESS_NAMES = {
    "amm": "AMM (réserve hospitalière)",
    "trial": "essai clinique",
    "atu": "ATU",
    "aap": "accès précoce (AAP)",
    "cpc": "cadre de prescription compassionnelle (CPC)",
    "continuity": "continuité de traitement",
}

REGIMEN_NAMES = {
    "rr-induction-c1": "LAL en rechute/réfractaire — induction, cycle 1 (9 puis 28 µg/j)",
    "rr-cycle": "LAL en rechute/réfractaire — cycles suivants (28 µg/j)",
    "mrd": "LAL MRD positive (28 µg/j)",
}

CHANGE_MODES = {"had_nurse": "infirmière de l'HAD à domicile",
                "day_hospital": "hôpital de jour"}

EVENT_NAMES = {
    "pump_failure": "panne de pompe",
    "bag_leak": "poche qui fuit ou abîmée",
    "interruption": "interruption de la perfusion",
    "readmission": "réhospitalisation non prévue",
    "had_unavailable": "HAD indisponible",
    "pui_closed": "PUI fermée",
    "dose_change": "changement de dose",
    "stop": "arrêt du traitement",
}

ALERTS = {
    "derogation": "dérogation à demander à l'ARS",
    "convention": "convention à faire valider par l'ARS",
    "training": "formation de l'HAD nécessaire",
    "training_to_confirm": "formation de l'HAD à confirmer",
    "pending": "{n} événement(s) à replanifier",
    "unchecked": "plan non vérifié",
}

TRAINING = {
    "needed": "formation nécessaire",
    "to_confirm": "formation à confirmer",
    "not_needed": "pas de formation nécessaire",
}

FIELD_LABELS = {
    "pseudonym": "Pseudonyme",
    "commune": "Commune du domicile",
    "weight_kg": "Poids (kg)",
    "height_cm": "Taille (cm)",
    "access_status": "Statut d'accès au médicament",
    "supply_until": "Fin de la fourniture gratuite",
    "change_mode": "Changements de poche",
    "start1": "Début du cycle 1",
    "regimen1": "Protocole du cycle 1",
    "start2": "Début du cycle 2",
    "regimen2": "Protocole du cycle 2",
    "start3": "Début du cycle 3",
    "regimen3": "Protocole du cycle 3",
    "family_name": "Nom",
    "given_name": "Prénom",
    "birth_date": "Date de naissance",
}

ERRORS = {
    "required": "à renseigner",
    "number": "doit être un nombre (ex. 64 ou 64,5), pas « {value} »",
    "range": "doit être entre {low} et {high} {unit} ({why})",
    "bmi": "poids {w} kg et taille {h} cm donnent un IMC de {bmi}, hors de {low}–{high} : "
           "l'une des deux valeurs est fausse",
    "pseudonym": "1 à 40 lettres, chiffres, « _ », « . » ou « - », sans espace ni nom "
                 "(ex. P012)",
    "commune_unknown": "commune inconnue du territoire : « {value} » (tapez le nom ou le "
                       "code INSEE et choisissez dans la liste)",
    "commune_ambiguous": "plusieurs communes s'appellent « {value} » : choisissez celle "
                         "avec son code INSEE dans la liste",
    "datetime": "date et heure attendues (jj/mm/aaaa hh:mm), pas « {value} »",
    "date": "date attendue (jj/mm/aaaa), pas « {value} »",
    "choice": "choisissez dans la liste",
    "cycle_pair": "donnez le début et le protocole du cycle",
    "no_cycle": "au moins le cycle 1",
    "exists": "ce pseudonyme est déjà dans le registre : choisissez-en un autre",
    "supply": "nécessaire pour la continuité de traitement",
    "infeasible": "Aucun plan sûr n'existe pour cette demande : {why}",
    "other": "Demande refusée : {why}",
    "event_until": "fin attendue après le début",
    "event_rate": "dose journalière en µg/j (ex. 28)",
}

PAGE = {
    "title": "hadplanner",
    "login": "Connexion",
    "logout": "Se déconnecter",
    "bad_login": "Nom ou mot de passe incorrect.",
    "forbidden": "Accès refusé : cette page n'est pas ouverte au rôle « {role} ».",
    "not_found": "Page introuvable.",
    "error": "Une erreur interne s'est produite. Rien n'a été enregistré. L'incident est "
             "consigné dans le journal ({where}) : transmettez cette référence au support.",
    "csrf": "Le formulaire a expiré ou ne vient pas de cette application : rechargez la page "
            "et recommencez.",
}
