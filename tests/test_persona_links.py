"""The analysis on the persona mailbox: every documented link found, the clean alias clean,
and encryption changing nothing about who can be linked."""

from __future__ import annotations

import datetime
import json
import mailbox
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from analyzer import ingest
from analyzer.audit import analyze_store, run_audit
from analyzer.cli import app
from analyzer.linkability import KNOWN_TOGETHER, VISIBILITY_ORDER, analyze
from analyzer.owner import detect_owner
from analyzer.store import load_frames

PERSONA = Path(__file__).resolve().parent.parent / "sample_data" / "persona"
TRUTH = json.loads((PERSONA / "truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    return run_audit([PERSONA / "persona.mbox"], tmp_path_factory.mktemp("audit"), jobs=1)


def test_owner_is_detected_with_all_identities(audit):
    assert set(audit.owner.identities) == set(TRUTH["owner"]["identities"].values())
    assert audit.owner.how.startswith("detected: ")
    assert "delivered-to" in audit.owner.how


@pytest.mark.parametrize("mistake", TRUTH["mistakes"], ids=[m["id"] for m in TRUTH["mistakes"]])
def test_every_documented_link_is_found_with_its_evidence_id(audit, mistake):
    evidence_ids = (
        mistake["evidence"] if isinstance(mistake["evidence"], list) else [mistake["evidence"]]
    )
    identities = mistake["identities"]
    for evidence in evidence_ids:
        found = [
            link
            for link in audit.links
            if link.evidence == evidence and {link.a, link.b} <= set(identities) and link.owner
        ]
        assert found, f"{mistake['id']}: no {evidence} link among {identities}"
        if mistake["observer_class"] == "correspondents":
            assert any(link.observer_class == "correspondents" for link in found)
        documented = {m.strip("<>") for m in mistake["message_ids"]}
        assert documented & {m for link in found for m in link.messages} or evidence in (
            "display-name",
            "client-ip",
            "client-fingerprint",
        )


@pytest.mark.parametrize("mistake", TRUTH["mistakes"], ids=[m["id"] for m in TRUTH["mistakes"]])
def test_every_documented_mistake_is_answered_under_its_question(audit, mistake):
    """Same-person mistakes tie the identities for their observers; co-recipient and
    thread only show that someone holds both addresses."""
    evidence_ids = mistake["evidence"]
    evidence_ids = evidence_ids if isinstance(evidence_ids, list) else [evidence_ids]
    depth = VISIBILITY_ORDER.index(mistake["observer_class"])
    pairs = [
        p for p in audit.analysis.pairs_of("owner")
        if {p.a, p.b} <= set(mistake["identities"])
        and {lk.evidence for lk in audit.analysis.links_of(p.a, p.b)} & set(evidence_ids)
    ]  # fmt: skip
    assert pairs
    for pair in pairs:
        if set(evidence_ids) <= {"co-recipient", "thread"}:
            known = pair.known_together
            assert known is not None
            assert VISIBILITY_ORDER.index(known.observer_class) <= depth
        else:
            observer = VISIBILITY_ORDER[depth]
            assert pair.same_person.by_observer[observer] >= 0.5, (pair.a, pair.b)


def test_no_correspondent_visible_link_touches_the_clean_alias(audit):
    clean = {entry["alias"] for entry in TRUTH["clean"]}
    touching = [link for link in audit.links if clean & {link.a, link.b}]
    assert touching, "the clean alias is still seen by its providers"
    assert all(link.observer_class != "correspondents" for link in touching)
    assert all(link.evidence == "forwarding" for link in touching)


def test_findings_json_follows_the_contract_and_is_reproducible(audit, tmp_path):
    findings = json.loads(audit.findings_path.read_text())
    assert findings["schema"] == "mxa.findings/2"
    assert set(findings) >= {"input", "owner", "encryption", "identities", "model", "pairs",
                             "links", "clusters", "suggestions", "alias_leaks",
                             "counterfactual"}  # fmt: skip
    assert findings["input"]["messages_read"] == TRUTH["counts"]["messages"]
    assert findings["input"]["messages_read"] == (
        findings["input"]["messages_parsed"] + findings["input"]["messages_quarantined"]
    )
    link = findings["links"][0]
    assert set(link) >= {"a", "b", "evidence", "strength", "question", "level",
                         "level_by_observer", "observer_class", "observers", "messages",
                         "detail"}  # fmt: skip
    pair = findings["pairs"][0]
    assert set(pair["same_person"]) >= {"score", "confidence", "by_observer", "evidence"}
    assert {c["observer_class"] for c in findings["clusters"]} == {
        "correspondents", "providers", "inference"
    }  # fmt: skip
    assert {c["question"] for c in findings["clusters"]} == {"same-person", KNOWN_TOGETHER}
    again = run_audit([PERSONA / "persona.mbox"], tmp_path / "again", jobs=2)
    assert again.findings_path.read_bytes() == audit.findings_path.read_bytes()


def test_the_compact_frames_of_the_audit_give_the_findings_of_the_full_frames(audit):
    # mxa audit reads fewer columns, categoricals and Arrow lists (for a million messages);
    # a notebook reads every column as plain pandas: both must find, draw and say the same
    from analyzer import analysis as whole
    from analyzer.findings import build_findings
    from analyzer.frames import to_pandas
    from analyzer.graphs import communication_graph
    from analyzer.report import build_report
    from analyzer.store import Store

    compact = analyze_store(audit.out / "store")
    assert isinstance(compact.frames.participants["address"].dtype, pd.CategoricalDtype)
    store = Store.open(audit.out / "store")
    frames = load_frames(store)
    inputs = whole.input_counts(len(frames.messages), compact.findings["input"]["sources"],
                                store.manifest.get("totals", {}),
                                to_pandas(store.read_table("quarantine")))  # fmt: skip
    analysis = whole.analyze(frames, detect_owner(frames), inputs=inputs)
    full = build_findings(analysis)
    assert json.dumps(full, default=str) == json.dumps(compact.findings, default=str)

    def drawn(graph):
        return sorted(graph.nodes(data=True)), sorted(graph.edges(data=True))

    assert drawn(communication_graph(analysis)) == drawn(communication_graph(compact.analysis))
    assert repr(build_report(analysis)) == repr(build_report(compact.analysis))


def test_graphs_are_written_and_read_back(audit):
    for name in ("communication", "identities"):
        from_graphml = nx.read_graphml(audit.out / "graphs" / f"{name}.graphml")
        from_gexf = nx.read_gexf(audit.out / "graphs" / f"{name}.gexf")
        assert from_graphml.number_of_nodes() == from_gexf.number_of_nodes() > 0
        assert from_graphml.number_of_edges() == from_gexf.number_of_edges() > 0
    identities = nx.read_graphml(audit.out / "graphs" / "identities.graphml")
    assert identities.has_edge("maya.lindqvist@gmail.com", "m.lindqvist@kestrel-analytics.example")
    communication = nx.read_graphml(audit.out / "graphs" / "communication.graphml")
    edge = communication.edges["jonas.berg@outlook.com", "maya.lindqvist@gmail.com"]
    assert edge["weight"] >= 5 and edge["first_seen"] < edge["last_seen"]


def test_cli_audit_links_and_graph(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app, ["audit", str(PERSONA / "persona.mbox"), "--out", str(tmp_path / "a"), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a" / "findings.json").exists()
    listed = runner.invoke(app, ["links", "--store", str(tmp_path / "a" / "store"), "--json"])
    assert listed.exit_code == 0, listed.output
    payload = json.loads(listed.output)
    assert all(link["a"] in payload["owner"]["identities"] for link in payload["links"])
    graphs = runner.invoke(
        app, ["graph", "--store", str(tmp_path / "a" / "store"), "--out", str(tmp_path / "g"),
              "--format", "gexf"],
    )  # fmt: skip
    assert graphs.exit_code == 0, graphs.output
    listing = (p.name for p in (tmp_path / "g").iterdir() if not p.name.startswith(".mxa-"))
    assert sorted(listing) == [
        "communication.gexf", "identities.gexf"
    ]  # fmt: skip
    bad = runner.invoke(app, ["graph", "--store", str(tmp_path / "a" / "store"), "--format", "png"])
    assert bad.exit_code == 2 and "unknown graph format" in bad.output


def _certificate_for(address: str, key, serial: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.EMAIL_ADDRESS, address)])
    start = datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(serial).not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(address)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip


def test_encrypted_is_not_unlinkable(tmp_path):
    """The same mailbox with every body replaced by real S/MIME enveloped data links the same."""
    plain_box = mailbox.mbox(tmp_path / "plain.mbox")
    sealed_box = mailbox.mbox(tmp_path / "sealed.mbox")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificates: dict[str, x509.Certificate] = {}
    source = mailbox.mbox(PERSONA / "persona.mbox")
    for message in source:
        if message.get_content_type() != "text/plain":
            continue  # start from mail that is plaintext: its links come from headers only
        plain_box.add(message)
        to = (message.get_all("To") or ["unknown@example.org"])[0]
        address = to.split("<")[-1].strip(" >").lower()
        if address not in certificates:
            certificates[address] = _certificate_for(address, key, 1000 + len(certificates))
        enveloped = (
            pkcs7.PKCS7EnvelopeBuilder().set_data(message.get_payload(decode=True) or b"-")
            .add_recipient(certificates[address])
            .encrypt(serialization.Encoding.SMIME, [])
        )  # fmt: skip
        sealed = mailbox.mboxMessage(message)
        for header in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
            del sealed[header]
        head, _, body = enveloped.partition(b"\n\n")
        for line in head.decode().splitlines():
            name, _, value = line.partition(":")
            if name.lower() in ("content-type", "content-transfer-encoding", "mime-version"):
                sealed[name] = value.strip()
        sealed.set_payload(body.decode())
        sealed_box.add(sealed)
    plain_box.flush()
    sealed_box.flush()

    def analyse(name: str):
        ingest([tmp_path / f"{name}.mbox"], tmp_path / name, jobs=1)
        frames = load_frames(tmp_path / name)
        analysis = analyze(frames, detect_owner(frames))
        links = {(lk.a, lk.b, lk.evidence, lk.observer_class, lk.level) for lk in analysis.links}
        scores = {(p.a, p.b, p.same_person.score) for p in analysis.pairs}
        return frames, links | scores

    plain_frames, plain_links = analyse("plain")
    sealed_frames, sealed_links = analyse("sealed")
    assert set(sealed_frames.messages["encryption"]) == {"smime_encrypted"}
    assert set(plain_frames.messages["encryption"]) == {"plaintext"}
    assert len(plain_links) > 10
    assert sealed_links == plain_links


def test_graph_files_stay_valid_xml_with_hostile_addresses(tmp_path):
    from analyzer.graphs import write_graphs

    graph = nx.DiGraph()
    graph.add_edge("evil\x01@example.org", "jane@example.org", weight=1, roles="to\x0b")
    write_graphs({"hostile": graph}, tmp_path)
    assert nx.read_graphml(tmp_path / "hostile.graphml").number_of_edges() == 1
    assert nx.read_gexf(tmp_path / "hostile.gexf").number_of_edges() == 1


def test_big_graphs_are_whole_in_parquet_and_the_owners_network_in_xml(tmp_path):
    import pandas as pd

    from analyzer.graphs import write_graphs

    graph = nx.DiGraph()
    graph.add_node("me@home.example", owner=True)
    for n in range(30):
        graph.add_edge("me@home.example", f"friend{n}@example.org", weight=2, roles="to")
        for m in range(5):  # strangers' mail, many more edges than the owner's
            graph.add_edge(f"friend{n}@example.org", f"other{n}.{m}@example.net", weight=1)
    for node in graph:
        graph.nodes[node].setdefault("owner", False)
    written = write_graphs({"communication": graph}, tmp_path, max_xml_edges=50)
    assert sorted(p.name for p in written) == [
        "communication.edges.parquet", "communication.gexf", "communication.graphml",
        "communication.nodes.parquet",
    ]  # fmt: skip
    edges = pd.read_parquet(tmp_path / "communication.edges.parquet")
    assert len(edges) == graph.number_of_edges() == 180
    assert set(edges.columns) >= {"source", "target", "weight", "roles"}
    nodes = pd.read_parquet(tmp_path / "communication.nodes.parquet")
    assert nodes["owner"].sum() == 1 and len(nodes) == len(graph)
    shown = nx.read_graphml(tmp_path / "communication.graphml")
    assert shown.number_of_edges() == 30  # the owner's own edges: the cap keeps their network
    assert all("me@home.example" in edge for edge in shown.edges)


def test_phrases_and_bare_names_are_never_owner_identities(tmp_path):
    archive = tmp_path / "ezmlm.mbox"
    archive.write_bytes(
        b"From x@y Fri Mar  1 09:00:00 2024\n"
        b"Delivered-To: mailing list neko@lists.example.org\nDelivered-To: kijitora\n"
        b"Delivered-To: jane@example.org\nFrom: a@b.example\nTo: neko@lists.example.org\n\nhi\n"
    )
    ingest([archive], tmp_path / "s", jobs=1)
    owner = detect_owner(load_frames(tmp_path / "s"))
    assert all("@" in a and " " not in a for a in owner.identities)
    assert "jane@example.org" in owner.identities
