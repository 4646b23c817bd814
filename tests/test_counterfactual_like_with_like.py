"""The counterfactual compares like with like: the same organisations, now and with one alias
each (issue 23, item 4). Before, the report set 13 of 28 pairs of the owner's addresses
beside 57 of 105 pairs of aliases, which read as "aliases make it worse"."""

from __future__ import annotations

import pytest

from analyzer.addressing import alias_service
from analyzer.aliases.counterfactual import ALIAS_DOMAIN
from analyzer.aliases.senders import organisation_of
from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox
from analyzer.store import load_frames
from analyzer.vocabulary import PARTY_ROLES

PRIMARY = "maya.lindqvist@gmail.com"
WORK = "m.lindqvist@kestrel-analytics.example"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return run_audit([sample_mailbox()], tmp_path_factory.mktemp("what-if") / "audit", jobs=1)


def _section(audit) -> str:
    markdown = (audit.out / "report.md").read_text("utf-8")
    section = markdown.split("### What one alias per organisation would change")[1]
    return section.split("\n## ")[0]


def test_now_and_with_one_alias_each_count_the_same_organisations(sample):
    what_if = sample.analysis.counterfactual
    document = sample.findings["counterfactual"]
    rows = what_if.organisations
    # every organisation is counted on both sides, over the same messages
    assert len(rows) == document["organisations"]["total"] == 15
    # mail Firefox Relay forwarded (the mask in From) is received, not sent: its senders
    # are organisations too, the one the mask leaked to among them
    assert {"fjallbutiken.example", "dealshub-mail.example"} <= {r.organisation for r in rows}
    assert all(row.now.addresses and row.after.addresses for row in rows)
    now, after = document["organisations"]["now"], document["organisations"]["after"]
    assert set(now) == set(after) == {"see_several", "tie_several", "know_primary", "matched"}
    assert all(0 <= side[key] <= len(rows) for side in (now, after) for key in side)
    # the real mailbox: the same count as before.know_primary, then nobody
    assert now["know_primary"] == document["before"]["know_primary"] == 6
    assert after["know_primary"] == 0
    # fewer organisations see, or can tie, several of the persona's addresses: never more
    assert (now["see_several"], after["see_several"]) == (5, 2)
    assert (now["tie_several"], after["tie_several"]) == (5, 2)
    # the old keys stay, for the CLI and the README
    assert {"before", "after", "remaining", "primary", "aliases"} <= set(document)


def test_the_organisations_are_the_persona_s_real_correspondents(sample):
    frames = load_frames(sample.out / "store")
    owner = sample.analysis.owner
    people = frames.participants.dropna(subset=["address"])
    correspondents = {
        organisation_of(a)
        for a in people["address"].unique()
        if not owner.owns(a) and not alias_service(a)
    }
    parties = {
        organisation_of(a)
        for a in people.loc[people["role"].isin(PARTY_ROLES), "address"].unique()
        if not owner.owns(a) and not alias_service(a)
    }
    table = [row["organisation"] for row in sample.findings["counterfactual"]["by_organisation"]]
    assert table and set(table) <= correspondents
    # the colleagues, the employer and the shops: not the owner's own domain, no alias
    assert {"kestrel-analytics.example", "jonas.berg@outlook.com", "nordicgear.example"} <= set(
        table
    )
    assert "maya-l.example" not in table
    assert not any(ALIAS_DOMAIN in name or name == "unknown" for name in table)
    # the worst first: the organisations that can tie two addresses now come first
    tied_now = [row["now"]["tied"] for row in sample.findings["counterfactual"]["by_organisation"]]
    assert tied_now == sorted(tied_now, reverse=True) and tied_now[0] == 2
    # an organisation behind an alias service is named, not the service
    assert "birdwatchweekly.example" in table and "birdwatchweekly.example" not in parties


def test_an_organisation_that_sees_two_addresses_now_sees_one_alias(sample):
    rows = {row.organisation: row for row in sample.analysis.counterfactual.organisations}
    employer = rows["kestrel-analytics.example"]
    assert employer.now.addresses == (WORK, PRIMARY)
    assert employer.now.tied == 2 and employer.now.knows_primary
    assert len(employer.after.addresses) == 1
    assert employer.after.addresses[0].endswith(f"@{ALIAS_DOMAIN}")
    assert employer.after.tied == 0 and not employer.after.knows_primary
    # a colleague on the work thread and on personal mail sees both aliases, and the
    # name on each still ties them: said as it is
    colleague = rows["karin.ek@gmail.com"]
    assert len(colleague.now.addresses) == len(colleague.after.addresses) == 2
    assert colleague.after.tied == 2


def test_the_report_shows_the_same_totals_before_and_after(sample):
    section = _section(sample)
    total = sample.findings["counterfactual"]["organisations"]["total"]
    assert f"Both columns count the same {total} organisations" in section
    assert (
        f"| of the {total} organisations you exchange mail with | now | with one alias each |"
        in (section)
    )
    # the pairs of the owner's addresses are no longer set beside the pairs of aliases
    assert "pairs of your addresses someone can tie as one person" not in section
    assert "largest group someone can tie" not in section
    assert "| `kestrel-analytics.example` | 92 | 2 addresses, tied as one person: " in section
    html = (sample.out / "report.html").read_text("utf-8")
    assert f"Both columns count the same {total} organisations" in html
    assert "with one alias each" in html and "with aliases</th>" not in html


def test_mxa_aliases_prints_the_same_organisations_now_and_with_one_alias_each(sample):
    from typer.testing import CliRunner

    from analyzer.cli import app

    result = CliRunner().invoke(app, ["aliases", "--store", str(sample.out)])
    assert result.exit_code == 0, result.output
    organisations = sample.findings["counterfactual"]["organisations"]
    now, after = organisations["now"], organisations["after"]
    assert f"of the {organisations['total']} organisations you exchange mail with" in result.output
    assert f"see two or more of your addresses: {now['see_several']} -> {after['see_several']}" in (
        result.output
    )
    assert f"know your real mailbox {PRIMARY}: {now['know_primary']} -> 0" in result.output
    # no pairs of 8 addresses beside pairs of 15 aliases
    assert "pairs of your addresses someone can tie as one person" not in result.output
