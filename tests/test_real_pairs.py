"""Linkability on real mail: the most instructive labelled pairs, pinned.

Each pair comes from ``evaluation/pairs.tsv`` (with the reason for its label) and is
declared as one owner exactly as a user would (``--me A --me B``). The whole set is
measured by ``evaluation/evaluate.py`` (docs/evaluation.md); these keep the lessons
from regressing in the fast suite.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from analyzer import ingest
from analyzer.linkability import KNOWN_TOGETHER, MAX_OTHERS_LINK_MESSAGES, analyze
from analyzer.owner import detect_owner
from analyzer.store import load_frames

PAIRS = Path(__file__).resolve().parent.parent / "evaluation" / "pairs.tsv"
MIPS = "list-linux-mips-1996-1999"
UTIL_LINUX = "list-util-linux-2019-2021"
USB = "list-usb-storage-2021-2023"
IPMI = "list-openipmi-2019-2020"
ISCSI = "list-open-iscsi-2021-2022"
CRYPTO = "crypto-real-world-lists"


def labelled() -> dict[tuple[str, str, str], dict[str, str]]:
    with PAIRS.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {(r["archive"], r["a"], r["b"]): r for r in rows}


@pytest.fixture(scope="module")
def frames_of(corpora, tmp_path_factory):
    loaded = {}

    def frames(archive: str):
        if archive not in loaded:
            store = tmp_path_factory.mktemp(archive)
            ingest([corpora / archive], store, jobs=2)
            loaded[archive] = load_frames(store)
        return loaded[archive]

    return frames


def verdict(frames, a: str, b: str):
    analysis = analyze(frames, detect_owner(frames, [a, b]))
    (pair,) = [p for p in analysis.pairs_of("owner") if {p.a, p.b} == {a, b}]
    return pair, analysis


def test_the_labelled_set_is_big_enough_and_explained(corpora):
    rows = labelled()
    labels = Counter(r["label"] for r in rows.values())
    assert labels["same"] >= 50 and labels["different"] >= 200
    assert set(labels) == {"same", "different"}
    assert len({archive for archive, _, _ in rows}) >= 5
    for (archive, a, b), row in rows.items():
        assert (corpora / archive).is_dir(), archive
        assert a < b and a == a.lower() and b == b.lower() and "@" in a and "@" in b
        assert len(row["reason"]) > 20, (a, b)
    hard = sum(r["category"] != "other" for r in rows.values() if r["label"] == "different")
    assert hard >= 200


SAME = [
    # "Andy Isaacson" / "Andrew Isaacson": a nickname, and the same user name
    (MIPS, "adisaacs@mr-happy.com", "adisaacs@mtu.edu"),
    # "Kev Needham" / "Kevin Needham": a nickname alone
    (MIPS, "kevsgi@deadsquid.com", "kneedham@sgi.com"),
    # "Greg KH" / "Greg Kroah-Hartman": the initials of a compound name
    (USB, "greg@kroah.com", "gregkh@linuxfoundation.org"),
    # "zenghongling" / "Hongling Zeng": run together, in the other order
    (USB, "zenghongling@kylinos.cn", "zhongling0719@126.com"),
    # a one-off patch nobody answered, from an address the sender's domain never signed
    (UTIL_LINUX, "andrzej.jakowski@intel.com", "andrzej.jakowski@linux.intel.com"),
    # one S/MIME certificate naming both
    (CRYPTO, "david.woodhouse@intel.com", "dwmw2@infradead.org"),
]


@pytest.mark.parametrize(("archive", "a", "b"), SAME, ids=[f"{a}~{b}" for _, a, b in SAME])
def test_one_person_is_found(frames_of, archive, a, b):
    if (archive, a, b) in labelled():
        assert labelled()[(archive, a, b)]["label"] == "same"
    pair, _ = verdict(frames_of(archive), a, b)
    assert pair.same_person.score >= 0.5, pair.same_person.levels


DIFFERENT = [
    # the maintainer and a regular contributor: in each other's threads for years
    (UTIL_LINUX, "kerolasa@iki.fi", "kzak@redhat.com"),
    # one spam persona ("Manuel Franco") on two hijacked, DKIM-signed accounts
    (UTIL_LINUX, "silitonga@kemenperin.go.id", "yperez@vallenar.cl"),
    # two Joels with the same user name: Joel Stanley and Joel Fernandes
    (IPMI, "joel@jms.id.au", "joel@joelfernandes.org"),
    # two Lis at two companies, both on git-send-email in one time zone
    (ISCSI, "fengli@smartx.com", "libaokun1@huawei.com"),
    # two people whose mail leaves through one gateway
    (UTIL_LINUX, "gmazyland@gmail.com", "vdolezal@redhat.com"),
]


@pytest.mark.parametrize(
    ("archive", "a", "b"), DIFFERENT, ids=[f"{a}~{b}" for _, a, b in DIFFERENT]
)
def test_different_people_are_not_joined(frames_of, archive, a, b):
    assert labelled()[(archive, a, b)]["label"] == "different"
    pair, _ = verdict(frames_of(archive), a, b)
    assert pair.same_person.score < 0.5, pair.same_person.levels


def test_known_together_is_not_same_person(frames_of):
    """Karel Zak and Sami Kerola answer each other's mail: everyone on the list holds both."""
    pair, analysis = verdict(frames_of(UTIL_LINUX), "kerolasa@iki.fi", "kzak@redhat.com")
    assert pair.known_together.observer_class == "correspondents"
    assert set(pair.known_together.evidence) <= {"co-recipient", "thread"}
    assert pair.same_person.score < 0.5
    together = [c for c in analysis.clusters if c.question == KNOWN_TOGETHER]
    assert together and not [c for c in analysis.clusters if c.question == "same-person"]


def test_many_addresses_under_one_name_are_suggested(frames_of):
    """Ralf Baechle wrote from eleven addresses; naming one, the others are suggested."""
    analysis = analyze(frames_of(MIPS), detect_owner(frames_of(MIPS), ["ralf@uni-koblenz.de"]))
    suggested = {s.address for s in analysis.suggestions if s.address.startswith("ralf")}
    assert len(suggested) >= 10
    likely = [s for s in analysis.suggestions if s.address in suggested and s.score >= 0.7]
    assert len(likely) >= 9
    # and his other addresses no longer show up as somebody else's pairs
    assert not [p for p in analysis.pairs_of("others") if p.a in suggested and p.b in suggested]


@pytest.mark.parametrize("archive", [CRYPTO, UTIL_LINUX])
def test_the_archive_mailbox_is_found_never_the_list(frames_of, archive):
    """Lists write Delivered-To / X-Original-To below the archiver's own: those name the list.
    The archiver's mailbox wrote none of the mail: it keeps the list's archive."""
    owner = detect_owner(frames_of(archive))
    kept_by = owner.archived_by  # it keeps the list's archive: no owner, no list address
    assert not owner.identities and kept_by and all(a.endswith("@lfdr.de") for a in kept_by)


def test_shared_egress_weighs_little(frames_of):
    _, analysis = verdict(frames_of(UTIL_LINUX), "gmazyland@gmail.com", "vdolezal@redhat.com")
    levels = {lk.level for lk in analysis.links if lk.evidence == "client-ip"}
    assert "shared-egress" in levels


def test_a_forwarded_signed_message_is_the_authors(frames_of):
    """Alistair Lambie forwards a signed upload notice: the armour and its key are not his."""
    frames = frames_of(MIPS)
    messages = frames.messages
    forwarded = messages[messages["subject"].fillna("").str.contains("(Fwd) Libraries uploaded",
                                                                     regex=False)]  # fmt: skip
    assert len(forwarded) >= 1
    assert set(forwarded["encryption"]) == {"plaintext"}
    keys = frames.keys
    assert keys[keys["message_key"].isin(forwarded["message_key"])].empty


def test_links_between_other_people_list_a_few_message_ids_and_count_all(frames_of):
    frames = frames_of(ISCSI)
    analysis = analyze(frames, detect_owner(frames, ["lists+open-iscsi@lfdr.de"]))  # owner mode
    relation = {(p.a, p.b): p.relation for p in analysis.pairs}
    others = [link for link in analysis.links if relation[(link.a, link.b)] == "others"]
    assert max(link.messages_total for link in others) > MAX_OTHERS_LINK_MESSAGES
    assert all(len(link.messages) <= MAX_OTHERS_LINK_MESSAGES for link in others)
    assert any(len(link.messages) == MAX_OTHERS_LINK_MESSAGES for link in others)
    mine = [link for link in analysis.links if relation[(link.a, link.b)] != "others"]
    assert max(len(link.messages) for link in mine) > MAX_OTHERS_LINK_MESSAGES
