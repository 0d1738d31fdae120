"""Who may give the drug under each access status: the shipped rules, their sources, bad files."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from hadplanner.errors import InputError
from hadplanner.models.access import AccessStatus, Basis, May, Organisation
from hadplanner.pathway.access import access_rules_path, load_access_rules

from .conftest import seeds_dir

DAY = dt.date(2024, 3, 1)
SOTORASIB_END = dt.date(2026, 10, 24)
"""Last day of sotorasib's free supply (seeds/003_b81192a92b8f96d1.txt l. 99)."""


def test_shipped_rules_load(rules):
    """The shipped rules read: one per status, each naming every organisation."""
    assert [r.status for r in rules.rules] == list(AccessStatus)
    for r in rules.rules:
        assert set(r.who) == set(Organisation), r.status
        assert r.summary_fr and r.summary_en and r.sources


def test_the_statuses_are_exactly_the_six():
    """AccessStatus holds exactly amm, trial, atu, aap, cpc and continuity."""
    assert [s.value for s in AccessStatus] == ["amm", "trial", "atu", "aap", "cpc", "continuity"]


DECISIONS = [
    # (status, organisation, allowed, words of the condition)
    ("amm", "had", True, "authorised to give chemotherapy"),  # RH: HAD, if authorised
    ("amm", "hospital", True, ""),
    ("amm", "day_hospital", True, ""),
    ("amm", "home_care_provider", False, ""),  # RH: never a provider
    ("amm", "community_nurse", False, ""),  # RH: never a community nurse
    ("trial", "sponsor_organisation", True, ""),  # the sponsor's organisation
    ("trial", "home_care_provider", True, "sponsor"),  # only the sponsor's provider
    ("trial", "had", None, ""),  # the thesis is silent
    ("atu", "home_care_provider", True, "prescribing centre"),  # organised by IUCT-O
    ("atu", "had", None, ""),
    ("atu", "community_nurse", None, ""),
    ("aap", "had", None, ""),  # the seeds are silent on early access
    ("aap", "home_care_provider", None, ""),
    ("cpc", "had", True, "authorised to give chemotherapy"),  # inferred from the RH status
    ("cpc", "home_care_provider", False, ""),
    ("continuity", "hospital", True, "started under the early access"),
    ("continuity", "had", True, "started under the early access"),
    ("continuity", "home_care_provider", None, ""),
]


@pytest.mark.parametrize("status, org, allowed, condition", DECISIONS,
                         ids=[f"{d[0]}-{d[1]}" for d in DECISIONS])
def test_decision(rules, status, org, allowed, condition):
    """Each status's answer for an organisation, with the rule that decides and its source."""
    d = rules.decide(org, status, DAY, supply_until=SOTORASIB_END)
    assert d.allowed is allowed
    assert condition in d.condition
    assert (d.answer is May.conditional) == bool(d.condition)
    assert d.rule.status == status
    assert "seeds/" in d.reason and status in d.reason


def test_inferred_answers_say_so(rules):
    """An answer reasoned from another rule is marked inferred, not stated."""
    assert rules.decide("had", "cpc", DAY).basis is Basis.inferred
    assert rules.decide("home_care_provider", "amm", DAY).basis is Basis.stated


def test_amm_starts_on_its_date(rules):
    """Before the AMM (23 November 2015) nobody gives the drug under the AMM."""
    before = rules.decide("had", "amm", dt.date(2015, 11, 22))
    assert before.allowed is False and "2015-11-23" in before.reason
    assert rules.decide("had", "amm", dt.date(2015, 11, 23)).allowed is True


def test_continuity_needs_and_keeps_its_end_date(rules):
    """A continuity of treatment needs the end of the free supply, and ends then."""
    assert rules.decide("hospital", "continuity", DAY).allowed is None
    assert rules.decide("hospital", "continuity", SOTORASIB_END,
                        supply_until=SOTORASIB_END).allowed is True
    after = rules.decide("hospital", "continuity", SOTORASIB_END + dt.timedelta(days=1),
                         supply_until=SOTORASIB_END)
    assert after.allowed is False and "2026-10-24" in after.reason


def test_unknown_organisation_or_status(rules):
    """An unknown organisation or status is an error naming the known ones."""
    with pytest.raises(ValueError, match="unknown organisation 'pharmacy'.*had"):
        rules.decide("pharmacy", "amm", DAY)
    with pytest.raises(ValueError, match="unknown access status 'atv'.*atu"):
        rules.decide("had", "atv", DAY)


def _refs(rules):
    for r in rules.rules:
        yield r.status, r.sources
        for org, p in r.who.items():
            yield f"{r.status}.{org}", p.sources


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("'", "’")).strip()


def test_every_source_quote_is_in_its_seed_lines(rules):
    """Each cited quote is found, verbatim but for spaces, in the cited lines of its seed."""
    seeds = seeds_dir()
    if seeds is None:
        pytest.skip("the seed documents (shared/seeds) are not beside this checkout")
    checked = 0
    for where, refs in _refs(rules):
        for ref in refs:
            lines = (seeds / ref.seed).read_text(encoding="utf-8").splitlines()
            for _low, high in ref.line_ranges():
                assert high <= len(lines), f"{where}: {ref} past the end of the file"
            if not ref.quote:
                continue
            text = " ".join(" ".join(lines[low - 1:high]) for low, high in ref.line_ranges())
            assert _norm(ref.quote) in _norm(text), f"{where}: {ref.quote!r} not in {ref}"
            checked += 1
    assert checked >= 20


def test_silent_answers_are_not_guesses(rules):
    """Every not_stated answer is marked silent, every other one has a source."""
    for r in rules.rules:
        for org, p in r.who.items():
            if p.may is May.not_stated:
                assert p.basis is Basis.silent, (r.status, org)
            else:
                assert p.sources, (r.status, org)


# -- malformed files --------------------------------------------------------------------

def _shipped() -> str:
    return access_rules_path().read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def _edit(old: str, new: str):
    def apply(text: str) -> tuple[str, str]:
        assert old in text, old
        return text.replace(old, new, 1), old
    return apply


BAD = [
    # (what, edit, words the one-line message must hold; {line} is the edited line)
    ("bad status", _edit("- status: atu\n", "- status: atv\n"),
     ["rules[2].status", "must be one of", "amm, trial, atu"]),
    ("status twice", _edit("- status: atu\n", "- status: amm\n"),
     ["rules[2].status", "'amm' has two rules", "first at"]),
    ("missing summary", _edit("  summary_en: >-\n    In the clinical trials",
                              "  summary_xx: >-\n    In the clinical trials"),
     ["rules[1].summary_xx", "unknown field"]),
    ("missing field", _edit("      why_en: The sources say nothing of a community nurse in a "
                            "trial.\n", ""),
     ["rules[1].who.community_nurse.why_en", "missing"]),
    ("bad answer", _edit("      may: no\n      basis: stated\n      why_en: A hospital-reserve",
                         "      may: never\n      basis: stated\n      why_en: A hospital-reserve"),
     ["rules[0].who.home_care_provider.may", "must be one of"]),
    ("unknown organisation", _edit("    sponsor_organisation:\n      may: no\n",
                                   "    pharmacist:\n      may: no\n"),
     ["rules[0].who.pharmacist", "must be one of"]),
    ("conditional without condition",
     _edit("      condition: the home care is organised by the prescribing centre\n", ""),
     ["rules[2].who.home_care_provider", "conditional needs a condition"]),
    ("bad line numbers", _edit("    lines: 1026-1034\n", "    lines: 1034-1026\n"),
     ["rules[0].sources[0]", "a range must go up"]),
]


@pytest.mark.parametrize("what, edit, words", BAD, ids=[b[0] for b in BAD])
def test_malformed_rules_give_one_line(tmp_path, what, edit, words):
    """Each malformed rules file gives one line naming the file, the line and the field."""
    text, old = edit(_shipped())
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_access_rules(p)
    message = str(err.value)
    assert "\n" not in message
    assert re.match(re.escape(str(p)) + r":\d+: ", message), message
    for w in words:
        assert w in message, (w, message)


def test_malformed_rule_points_at_its_line(tmp_path):
    """A bad status is reported at the line where it is written."""
    text, _ = _edit("- status: atu\n", "- status: atv\n")(_shipped())
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{p}:{_line_of(text, 'status: atv')}:")):
        load_access_rules(p)


def test_windows_1252_rules_are_refused(tmp_path):
    """A rules file saved as Windows-1252 is refused with the encoding named, in one line."""
    p = tmp_path / "rules.yaml"
    p.write_bytes(_shipped().encode("cp1252", errors="replace"))
    with pytest.raises(InputError) as err:
        load_access_rules(p)
    message = str(err.value)
    assert "\n" not in message and "Windows-1252" in message
    assert re.match(re.escape(str(p)) + r":\d+: not UTF-8", message)


def test_default_path_is_the_shipped_file():
    """Without a path the shipped data/access_rules.yaml is read."""
    assert access_rules_path().parts[-2:] == ("data", "access_rules.yaml")
    assert load_access_rules().drug.startswith("blinatumomab")


def test_missing_status_is_named(tmp_path):
    """A file without a rule for one status names the missing status."""
    text = _shipped()
    start = text.index("- status: aap\n")
    end = text.index("- status: cpc\n")
    # drop the aap rule, keep the separator comment lines out of the way
    p = Path(tmp_path / "rules.yaml")
    p.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(InputError, match="no rule for status aap"):
        load_access_rules(p)
