"""The communication graph, `mxa stats` and the report's network show who wrote: relay and
reverse-alias addresses as the organisation behind them, one node per person, lists as
lists, and a legend for every community colour (issue 23, items 4 and 5).

The report's figure is tested through the data it is drawn from (``drawn_network``).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from analyzer.aliases.senders import party_behind
from analyzer.audit import analyze_store, run_audit
from analyzer.graphs import communication_graph
from analyzer.report import build_report
from analyzer.report.figures.network import (
    COMMUNITY_COLOURS,
    NO_COMMUNITY,
    drawn_network,
    ego_network,
)
from analyzer.stats import store_stats

PERSONA = Path(__file__).resolve().parent.parent / "sample_data" / "persona" / "persona.mbox"
DUCK = "news_at_birdwatchweekly.example_777f1e@duck.com"  # DuckDuckGo's stand-in for a sender
REVERSE = "77bc21.6dfbe@simplelogin.co"  # a SimpleLogin reverse alias (Tidningen Morgon)
RELAYS = {DUCK: "birdwatchweekly.example", REVERSE: "morgon.example"}
LIST = "ornithology-l@lists.birdnet.example"


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    return run_audit([PERSONA], tmp_path_factory.mktemp("audit"), jobs=1)


@pytest.fixture(scope="module")
def archive(audit):
    """The sample mailbox read as nobody's: Maya's addresses are one person among others."""
    return analyze_store(audit.out / "store", archive=True).analysis


def test_an_alias_service_stand_in_is_the_organisation_behind_it():
    assert party_behind(DUCK) == "birdwatchweekly.example"
    named = "Tidningen Morgon - nyhetsbrev at morgon.example"
    assert party_behind(REVERSE, named) == "morgon.example"
    assert party_behind(REVERSE) == "simplelogin.co (relay)"  # it names nobody: the relay
    assert party_behind("quiet.otter.42@duck.com") is None  # someone's own alias
    assert party_behind("jane@example.org", "x at shop.example") is None


def test_relay_addresses_are_their_organisation_in_the_communication_graph(audit):
    graph = communication_graph(audit.analysis)
    for address, organisation in RELAYS.items():
        assert address not in graph
        assert graph.nodes[organisation]["kind"] == "organisation"
        assert graph.nodes[organisation]["addresses"] == address  # kept for a researcher
    gmail = "maya.lindqvist@gmail.com"
    assert graph.nodes[gmail]["addresses"] == gmail
    assert graph.nodes["birdwatchweekly.example"]["messages_sent"] == 18


def test_relay_addresses_are_their_organisation_in_stats(audit):
    stats = store_stats(audit.out / "store", top=20)
    senders = dict(stats.top_senders)
    assert not set(RELAYS) & set(senders)
    assert senders["birdwatchweekly.example"] == 18 and senders["morgon.example"] == 14
    domains = dict(stats.top_domains)
    assert "duck.com" not in domains and domains["birdwatchweekly.example"] == 18


def test_relay_addresses_are_their_organisation_in_the_network_and_communities(archive):
    nodes = {node.id: node for node in archive.network.nodes}
    assert not set(RELAYS) & set(nodes)
    for address, organisation in RELAYS.items():
        assert nodes[organisation].kind == "organisation"
        assert address in nodes[organisation].addresses
    members = {m for community in build_report(archive).communities for m in community}
    assert not set(RELAYS) & members
    assert "morgon.example" in members


def test_addresses_the_analysis_ties_as_one_person_are_one_node(archive):
    claimed = nx.Graph(
        (pair.a, pair.b) for pair in archive.pairs_of("others") if pair.same_person.score >= 0.5
    )
    tied = nx.node_connected_component(claimed, "maya.lindqvist@gmail.com")
    assert "m.lindqvist@kestrel-analytics.example" in tied
    holding = [n for n in archive.network.nodes if tied & set(n.addresses)]
    assert len(holding) == 1
    maya = holding[0]
    assert maya.kind == "person" and maya.label == "Maya Lindqvist"
    assert maya.id in tied and set(maya.addresses) <= tied
    drawn = {a for a, b, _ in archive.network.edges} | {b for _, b, _ in archive.network.edges}
    assert maya.id in drawn and not (tied - {maya.id}) & drawn


def test_a_list_is_drawn_as_a_list_not_as_a_person(audit):
    report = build_report(audit.analysis)
    drawn = {node.id: node for node in drawn_network(report).nodes}
    assert drawn[LIST].kind == "list"
    assert drawn[LIST].marker != drawn["jonas.berg@outlook.com"].marker
    assert ("a mailing list", "#FFFFFF", drawn[LIST].marker) in drawn_network(report).legend
    assert not any(LIST in members for members in report.communities)


def test_the_legend_names_each_community_colour_as_the_list_under_the_figure(audit, archive):
    for analysis in (audit.analysis, archive):
        report = build_report(analysis)
        network = drawn_network(report)
        legend = {words: colour for words, colour, _ in network.legend}
        shown = report.communities[: len(COMMUNITY_COLOURS)]
        assert shown, "the sample has communities"
        for number, members in enumerate(shown, 1):
            colour = legend[f"community {number}"]
            coloured = {n.label for n in network.nodes if n.colour == colour}
            assert coloured == set(members)  # named as the nodes are, coloured as the legend
        assert all(n.colour in legend.values() for n in network.nodes if n.kind != "list")
        grey = any(n.colour == NO_COMMUNITY for n in network.nodes)
        assert grey == ("in no community shown" in legend)
        assert ego_network(report) is not None


def test_each_person_is_labelled_once(archive):
    labels = [node.label for node in archive.network.nodes]
    assert len(labels) == len(set(labels))
    graph = nx.Graph()
    graph.add_weighted_edges_from(archive.network.edges)
    assert set(graph) == {node.id for node in archive.network.nodes}


def test_a_person_behind_a_relay_is_their_own_node_with_both_addresses(tmp_path):
    # Jane (at Gmail) writes once through DuckDuckGo's stand-in, once straight: one node
    from analyzer import ingest
    from tests.conftest import make_message

    mails = [
        make_message(sender="jane_at_gmail.com_ab12@duck.com", to="bob@example.net",
                     message_id="<1@x>"),
        make_message(sender="Jane <jane@gmail.com>", to="bob@example.net", message_id="<2@x>"),
    ]  # fmt: skip
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"".join(b"From x Tue Mar 14 10:00:00 2023\n" + m + b"\n" for m in mails))
    ingest([mbox], tmp_path / "store", jobs=1)
    graph = communication_graph(analyze_store(tmp_path / "store", archive=True).analysis)
    assert "jane_at_gmail.com_ab12@duck.com" not in graph
    jane = graph.nodes["jane@gmail.com"]
    assert jane["addresses"] == "jane@gmail.com;jane_at_gmail.com_ab12@duck.com"
    assert jane["kind"] == "mailbox" and jane["messages_sent"] == 2  # the one classifier's
    assert graph.edges["jane@gmail.com", "bob@example.net"]["weight"] == 2


def test_a_person_who_goes_by_their_user_name_is_no_list():
    from analyzer.analysis.network import _more_lists

    found = _more_lists(
        frozenset({"linux-mips@vger.example"}),
        ["anna@foo.example", "linux-mm@kvack.example"],
        senders={"me@home.example"},
        names={"anna@foo.example": "anna", "linux-mm@kvack.example": "Linux MM"},
    )
    assert found == {"linux-mm@kvack.example"}
