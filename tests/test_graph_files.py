"""The graph files as a Gephi user opens them (issue 25, item 3): read back from disk with
networkx, every node says who it is (display name, person, kind, organisation, community,
list or machinery) and every edge how many messages stand behind it (``weight``); an
identity edge also carries its score and evidence, as findings.json has them.

Read on the sample mailbox (the owner's view) and on a real list archive read as nobody's
(``--archive``), where the kinds were once empty on every node.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox
from analyzer.vocabulary import RECIPIENT_ROLES

# what docs/graphs.md promises on every node of both graphs
NODE_ATTRIBUTES = {"label", "name", "person", "kind", "organisation", "community",
                   "report_community", "is_list", "is_machinery", "owner"}  # fmt: skip
READERS = {"graphml": nx.read_graphml, "gexf": nx.read_gexf}
MAYA_AT_WORK = "m.lindqvist@kestrel-analytics.example"  # the sample's owner, at work
DOCS = Path(__file__).resolve().parent.parent / "docs" / "graphs.md"
LINUX_MIPS = "list-linux-mips-1996-1999/linux-mips-1996-1999.mbox"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return run_audit([sample_mailbox()], tmp_path_factory.mktemp("gephi") / "sample", jobs=1).out


@pytest.fixture(scope="module")
def linux_mips(corpora, tmp_path_factory) -> Path:
    """A 1990s list's archive, read as many people's mail."""
    out = tmp_path_factory.mktemp("gephi") / "linux-mips"
    return run_audit([corpora / LINUX_MIPS], out, jobs=2, archive=True).out


@pytest.fixture(params=["sample", "linux_mips"])
def audit(request) -> Path:
    return request.getfixturevalue(request.param)


def _graphs(out: Path, name: str) -> dict[str, nx.Graph]:
    return {fmt: read(out / "graphs" / f"{name}.{fmt}") for fmt, read in READERS.items()}


def _nodes(graph: nx.Graph) -> dict[str, dict]:
    return dict(graph.nodes(data=True))


def test_every_node_says_who_it_is_in_both_files(audit):
    for name in ("communication", "identities"):
        for fmt, graph in _graphs(audit, name).items():
            nodes = _nodes(graph)
            assert nodes, (name, fmt)
            for node, data in nodes.items():
                assert set(data) >= NODE_ATTRIBUTES, (name, fmt, node, sorted(data))
                assert data["label"] == (data["name"] or node)
                assert data["kind"], (name, fmt, node)  # archive mode too, not ""
                assert data["is_list"] in (True, False) and data["is_machinery"] in (True, False)
            named = [n for n, d in nodes.items() if d["name"]]
            assert len(named) > len(nodes) / 2, (name, fmt, len(named), len(nodes))
    for fmt, graph in _graphs(audit, "communication").items():
        communities = Counter(d["community"] for _, d in graph.nodes(data=True) if d["community"])
        assert len(communities) >= 2, (fmt, communities)


def test_the_sample_names_maya_as_you_and_flags_her_list(sample):
    for graph in _graphs(sample, "communication").values():
        nodes = _nodes(graph)
        maya = nodes[MAYA_AT_WORK]
        assert maya["name"] == "Maya Lindqvist" and maya["person"] == "you"
        assert maya["kind"] == "work" and maya["organisation"] == "kestrel-analytics.example"
        assert nodes["maya.lindqvist@gmail.com"]["organisation"] == ""  # a public provider
        assert nodes["ornithology-l@lists.birdnet.example"]["is_list"] is True
        # a DuckDuckGo stand-in is the newsletter behind it
        assert nodes["birdwatchweekly.example"]["kind"] == "organisation"


def test_a_list_archive_names_people_merges_their_addresses_and_flags_lists(linux_mips):
    for graph in _graphs(linux_mips, "communication").values():
        nodes = _nodes(graph)
        ralf = nodes["ralf@uni-koblenz.de"]
        # the only person the mail shows at uni-koblenz.de (his other addresses are his)
        assert ralf["name"] == "Ralf Baechle" and ralf["kind"] == "domain"
        assert ralf["organisation"] == "uni-koblenz.de" and ralf["community"] > 0
        # Ariel's addresses, tied as one person, share their person id
        ariel = {a for a, d in nodes.items() if d["person"] == nodes["ariel@sgi.com"]["person"]}
        assert {"ariel@sgi.com", "ariel@cthulhu.engr.sgi.com"} <= ariel
        assert nodes["linux@cthulhu.engr.sgi.com"]["is_list"] is True
        assert nodes["majordomo@cthulhu.engr.sgi.com"]["is_machinery"] is True
        assert nodes["majordomo@cthulhu.engr.sgi.com"]["person"] == ""
    for fmt, graph in _graphs(linux_mips, "identities").items():  # the same facts there
        for node, data in graph.nodes(data=True):
            if node not in nodes:  # an address only in Reply-To or Sender writes to nobody
                continue
            assert data["community"] == nodes[node]["community"], (fmt, node)
            assert data["person"] == nodes[node]["person"], (fmt, node)


def _messages_between(out: Path, sender: str, recipient: str) -> int:
    """Messages from ``sender`` to ``recipient`` in To, Cc or Bcc, counted in the store."""
    people = pd.read_parquet(out / "store" / "participants.parquet")
    by_sender = (people["address"] == sender) & (people["role"] == "from")
    to = people["role"].isin(list(RECIPIENT_ROLES)) & (people["address"] == recipient)
    return len(set(people.loc[by_sender, "message_key"]) & set(people.loc[to, "message_key"]))


@pytest.mark.parametrize(
    ("which", "sender", "recipient"),
    [
        ("sample", MAYA_AT_WORK, "priya.raman@kestrel-analytics.example"),
        ("linux_mips", "ralf@uni-koblenz.de", "linux@cthulhu.engr.sgi.com"),
    ],
)
def test_a_communication_edge_weighs_its_messages(request, which, sender, recipient):
    out = request.getfixturevalue(which)
    expected = _messages_between(out, sender, recipient)
    assert expected > 10
    for fmt, graph in _graphs(out, "communication").items():
        assert graph.edges[sender, recipient]["weight"] == expected, fmt


def _pairs_and_links(out: Path) -> tuple[dict, dict]:
    findings = json.loads((out / "findings.json").read_text("utf-8"))
    pairs = {frozenset((p["a"], p["b"])): p for p in findings["pairs"]}
    links: dict[frozenset, list] = {}
    for link in findings["links"]:
        links.setdefault(frozenset((link["a"], link["b"])), []).append(link)
    return pairs, links


def test_an_identity_edge_carries_its_pairs_score_evidence_and_messages(audit):
    pairs, links = _pairs_and_links(audit)
    for fmt, graph in _graphs(audit, "identities").items():
        assert graph.number_of_edges() == len(pairs), fmt
        for a, b, edge in graph.edges(data=True):
            pair, shown = pairs[frozenset((a, b))], links.get(frozenset((a, b)), [])
            assert edge["score"] == pair["same_person"]["score"], (fmt, a, b)
            assert edge["finding"] == (pair["id"] or ""), (fmt, a, b)
            evidence = set(filter(None, edge["evidence"].split(";")))
            assert evidence == {link["evidence"] for link in shown}, (fmt, a, b)
            assert set(pair["same_person"]["evidence"]) <= evidence, (fmt, a, b)
            # the messages that show the evidence, each once (a link lists its oldest only);
            # none for two of the owner's addresses that nothing ties but their mailbox
            ids = {m for link in shown for m in link["messages"]}
            behind = max([len(ids), *(link["messages_total"] for link in shown)])
            assert edge["messages"] == behind and (behind > 0) == bool(shown), (fmt, a, b)
            assert edge["weight"] == max(behind, 1), (fmt, a, b)  # Gephi drops a 0
        evidenced = [e for *_, e in graph.edges(data=True) if e["evidence"]]
        assert len(evidenced) >= min(5, graph.number_of_edges()), fmt


def test_every_attribute_in_the_files_is_documented(audit):
    """docs/graphs.md is the contract: an attribute the files carry is listed there."""
    documented = set(re.findall(r"`([a-z_]+)`", DOCS.read_text("utf-8")))
    for name in ("communication", "identities"):
        for fmt, graph in _graphs(audit, name).items():
            nodes = {k for _, data in graph.nodes(data=True) for k in data}
            edges = {k for *_, data in graph.edges(data=True) for k in data}
            # GEXF keeps a node's label and an edge's weight in its own fields, with an id
            assert nodes | edges <= documented | {"id"}, (name, fmt)


def test_the_redacted_files_name_nobody_but_the_owner(tmp_path):
    """The names and organisations the nodes now carry are redacted like the rest."""
    out = run_audit([sample_mailbox()], tmp_path / "audit", jobs=1, redact=True).out
    for name in ("communication", "identities"):
        for fmt, graph in _graphs(out / "redacted", name).items():
            text = (out / "redacted" / "graphs" / f"{name}.{fmt}").read_text("utf-8")
            for someone in ("Priya", "Anders", "Erik", "nystrom.example", "audubon"):
                assert someone not in text, (name, fmt, someone)
            assert any(d["name"] for _, d in graph.nodes(data=True))  # a stand-in name


# what a kind says of someone else's address: none of the owner's own words (a domain
# "only the owner uses", the owner's primary mailbox, a catch-all of theirs)
OWNER_ONLY_KINDS = {"primary", "catch-all", "custom-domain"}


def test_lists_machinery_and_other_peoples_addresses_get_a_kind_that_reads_right(sample):
    """The owner's classifier applied to every address called a list "custom-domain" (a
    domain one person uses) and a no-reply sender "work"; a shop that writes from one
    address was "work" because its bounce addresses counted as colleagues."""
    documented = DOCS.read_text("utf-8")
    for fmt, graph in _graphs(sample, "communication").items():
        nodes = _nodes(graph)
        assert nodes["ornithology-l@lists.birdnet.example"]["kind"] == "list", fmt
        assert nodes["no-reply@skynordic.example"]["kind"] == "machinery", fmt
        for node, data in nodes.items():
            assert (data["kind"] == "list") == data["is_list"], (fmt, node)
            assert (data["kind"] == "machinery") == data["is_machinery"], (fmt, node)
            if not data["owner"]:
                assert data["kind"] not in OWNER_ONLY_KINDS, (fmt, node, data["kind"])
            assert f"`{data['kind'].split(':')[0]}" in documented, (fmt, node, data["kind"])
        # other people at the owner's employer are colleagues there; anyone who is the only
        # person the mail shows at their domain is at a "domain", whatever its bounces
        for colleague in ("priya.raman", "anders.holm"):
            assert nodes[f"{colleague}@kestrel-analytics.example"]["kind"] == "work", fmt
        for alone in ("orders@nordicgear.example", "k.sato@example.ac.jp", "erik@nystrom.example"):
            assert nodes[alone]["kind"] == "domain", (fmt, alone)
        assert nodes["sofia.almeida@proton.me"]["kind"] == "mailbox", fmt
        assert nodes[MAYA_AT_WORK]["kind"] == "work"  # the owner's own keep their kinds
        assert nodes["maya@maya-l.example"]["kind"] == "custom-domain"


def test_a_list_archive_counts_people_not_addresses_at_a_domain(linux_mips):
    """Ralf's five uni-koblenz.de addresses are one person, and root@ is machinery: nobody
    else there makes it a workplace the mail shows."""
    for fmt, graph in _graphs(linux_mips, "communication").items():
        nodes = _nodes(graph)
        assert nodes["linux@cthulhu.engr.sgi.com"]["kind"] == "list", fmt
        assert nodes["majordomo@cthulhu.engr.sgi.com"]["kind"] == "machinery", fmt
        assert nodes["root@uni-koblenz.de"]["kind"] == "machinery", fmt
        assert nodes["ralf@uni-koblenz.de"]["kind"] == "domain", fmt
        for node, data in nodes.items():
            assert data["kind"] not in OWNER_ONLY_KINDS, (fmt, node, data["kind"])
        sgi = [d["kind"] for d in nodes.values() if d["organisation"] == "sgi.com"]
        assert sgi.count("work") > 5, (fmt, Counter(sgi))


LIST = "ornithology-l@lists.birdnet.example"
ONLY_WITH_MAYA = {
    "sofia.almeida@proton.me",
    "l.fischer@brightwater.example",
    "forvaltning@bostad.example",
    "orders@nordicgear.example",
    "birdwatchweekly.example",
    "morgon.example",
    "cryptovault-news.example",
}
ORNITHOLOGY_POSTERS = (
    "hcole@audubon-volunteers.example",
    "ines.moreau@fastmail.com",
    "k.sato@example.ac.jp",
    "lars.dahl@gmail.com",
    "tomas.varga@posteo.de",
)


def test_a_personal_mailboxs_list_is_a_community_with_the_people_who_post_to_it(sample):
    """In a personal mailbox most people share mail with nobody but the owner, so with
    "you" and the lists left out of the communities 22 of the sample's 28 nodes had none:
    the people the owner knows from a list are one community, with the list."""
    for fmt, graph in _graphs(sample, "communication").items():
        nodes = _nodes(graph)
        on_the_list = {nodes[a]["community"] for a in (LIST, *ORNITHOLOGY_POSTERS)}
        assert len(on_the_list) == 1 and on_the_list != {0}, (fmt, on_the_list)
        assert nodes[LIST]["report_community"] == 0  # the report's figure is as it was
        # who shares mail with nobody but the owner is in no community: colour by organisation
        alone = {n for n, d in nodes.items() if not d["community"] and not d["owner"]}
        assert alone == ONLY_WITH_MAYA | {"no-reply@skynordic.example"}, (fmt, sorted(alone))
        communities = Counter(d["community"] for d in nodes.values() if d["community"])
        assert sorted(communities.values(), reverse=True) == [6, 3, 3], (fmt, communities)
