"""One user name at one organisation's domains is a name-level comparison (issue 24).

An organisation hands one user name to one person: ``vrd@amazon.com`` and
``vrd@amazon.de``, ``ralf@hotel.uni-koblenz.de`` and ``ralf@uni-koblenz.de`` are one
person's even when one side shows no display name, unlike one user name at two
unrelated providers. The rule (:func:`analyzer.addressing.sibling_domains`) reads the
public suffix list; the real pair is labelled in ``evaluation/pairs.tsv``.
"""

from __future__ import annotations

import pytest

from analyzer import ingest
from analyzer.addressing import sibling_domains
from analyzer.linkability import analyze
from analyzer.owner import detect_owner
from analyzer.store import load_frames
from tests.test_linkability import find, links_of, message


@pytest.mark.parametrize(
    ("one", "other", "siblings"),
    [
        ("amazon.com", "amazon.de", True),  # one name under two country suffixes
        ("amazon.com", "amazon.co.uk", True),
        ("linux.intel.com", "intel.com", True),  # a subdomain of one registrable domain
        ("jp.fujitsu.com", "fujitsu.com", True),
        ("amazon.com", "amazon-corp.com", False),  # another name
        ("a.co.uk", "b.co.uk", False),  # two registrants under one suffix
        ("gmail.com", "gmail.de", False),  # a public provider is nobody's organisation
        ("gmail.com", "googlemail.com", False),
        ("hotmail.de", "hotmail.fr", False),
        ("mail.gmx.net", "gmx.net", False),
        ("foo.github.io", "foo.gitlab.io", False),  # two platforms' users
        ("intel.com", "intel.com", False),  # one domain: nothing to compare
        ("10.0.0.1", "10.0.0.2", False),
        ("co.uk", "amazon.co.uk", False),
    ],
)
def test_sibling_domains(one, other, siblings):
    assert sibling_domains(one, other) is siblings
    assert sibling_domains(other, one) is siblings


def test_one_user_name_at_one_organisations_country_domains(tmp_path):
    """The issue's miss: the same user name, a display name on one side only."""
    a, b = "vrd@amazon.com", "vrd@amazon.de"
    links = links_of(
        tmp_path,
        message(f"Victor Dunn <{a}>", "bob@example.net"),
        message(b, "carol@example.org", hour=11),
        message("Bob <bob@example.net>", a, hour=13),
        me=(a, b),
    )
    link = find(links, "local-part", a, b)
    assert link is not None and link.level == "same-organisation"
    assert "one organisation" in link.detail


def test_one_user_name_at_two_unrelated_providers_stays_plain(tmp_path):
    a, b = "vrd@amazon.com", "vrd@example.org"
    links = links_of(
        tmp_path,
        message(f"Victor Dunn <{a}>", "bob@example.net"),
        message(b, "carol@example.org", hour=11),
        me=(a, b),
    )
    assert find(links, "local-part", a, b).level == "same"


MIPS = "list-linux-mips-1996-1999"
# Ralf Baechle's one message from hotel.uni-koblenz.de has no display name
# (evaluation/pairs.tsv: 1997-11-13 "Re: SGI / Linux", merging to 2.1.63)
NAMELESS = "ralf@hotel.uni-koblenz.de"


@pytest.fixture(scope="module")
def mips(corpora, tmp_path_factory):
    store = tmp_path_factory.mktemp(MIPS)
    ingest([corpora / MIPS], store, jobs=2)
    return load_frames(store)


@pytest.mark.parametrize("other", ["ralf@uni-koblenz.de", "ralf@alpha.uni-koblenz.de"])
def test_a_user_name_with_no_display_name_at_one_university(mips, other):
    a, b = sorted((NAMELESS, other))
    analysis = analyze(mips, detect_owner(mips, [a, b]))
    (pair,) = [p for p in analysis.pairs_of("owner") if {p.a, p.b} == {a, b}]
    levels = {lk.evidence: lk.level for lk in analysis.links_of(a, b)}
    assert levels["local-part"] == "same-organisation"  # "ralf" is a first name, yet
    assert pair.same_person.levels["name"] == "organisation-user-name"
    assert pair.same_person.score >= 0.5
