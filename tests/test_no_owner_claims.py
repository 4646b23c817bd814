"""Claims about other people's addresses, made with no owner (``mxa links --all``, the
archive report): lists are no people, a scam's redirect joins nobody, a name with a role
after it is the name (issue 24)."""

from __future__ import annotations

import pytest

from analyzer import ingest
from analyzer.linkability import CLAIM, analyze
from analyzer.linkability.address_kinds import is_person_address
from analyzer.linkability.context import Context
from analyzer.linkability.fingerprints import display_name
from analyzer.mailing_lists import archive_lists, more_lists
from analyzer.owner import detect_owner
from analyzer.readable import readable_frames
from analyzer.store import load_frames
from tests.test_linkability import message

IPMI = "list-openipmi-2019-2020"  # a SourceForge list, its patches Cc'd to vger lists
CRYPTO = "crypto-real-world-lists"  # signed posts from several lists
LIST = "dev@lists.example.org"
LIST_HEADERS = f"List-Id: <dev.lists.example.org>\nList-Post: <mailto:{LIST}>"
RMK, RUSSELL = "rmk@armlinux.example", "russell@armlinux.example"
LIST_HOSTS = ("vger.kernel.org", "googlegroups.com", "kvack.org")


def archive_analysis(tmp_path, *messages: bytes):
    """Linkability of an archive read as nobody's (``--archive``), with every pair."""
    archive = tmp_path / "archive.mbox"
    archive.write_bytes(
        b"".join(b"From x@y Fri Mar  1 09:00:00 2024\n" + m + b"\n" for m in messages)
    )
    ingest([archive], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    return frames, analyze(frames, detect_owner(frames, archive=True))


def claimed(analysis) -> set[tuple[str, str]]:
    return {(p.a, p.b) for p in analysis.pairs if p.same_person.score >= CLAIM}


@pytest.fixture(scope="module")
def ipmi(corpora, tmp_path_factory):
    store = tmp_path_factory.mktemp("ipmi")
    ingest([corpora / IPMI], store, jobs=1)
    frames = load_frames(store)
    return frames, analyze(frames, detect_owner(frames, archive=True))


def test_lists_cc_d_together_are_never_one_person(ipmi):
    """get_maintainer Cc's a patch to several vger lists ("Linux Doc Mailing List",
    "Linux Media Mailing List", "open list:SPI SUBSYSTEM"): they were claimed as one
    person at 0.77; they stay observers."""
    frames, analysis = ipmi
    lists = archive_lists(frames, is_person_address)
    assert {"linux-doc@vger.kernel.org", "linux-media@vger.kernel.org", "bpf@vger.kernel.org",
            "linux-spi@vger.kernel.org"} <= lists  # fmt: skip
    assert "openipmi-developer@lists.sourceforge.net" in lists  # its own List-Id
    both_lists = [
        (a, b) for a, b in claimed(analysis)
        if a.endswith(LIST_HOSTS) and b.endswith(LIST_HOSTS)
    ]  # fmt: skip
    assert both_lists == []
    assert not {p for p in claimed(analysis) if set(p) & lists}
    # the people the patches came from are still compared: Corey Minyard's two addresses
    assert ("cminyard@mvista.com", "minyard@acm.org") in claimed(analysis)
    # the lists still see the pairs they carried
    observers = {o for link in analysis.links for o in link.observers}
    assert "openipmi-developer@lists.sourceforge.net" in observers


def test_a_list_is_known_by_its_name_or_its_host():
    """Names get_maintainer and people give lists, hosts that serve only lists; a person
    who never writes keeps their mailbox at an organisation's own domain."""
    names = {
        "bpf@kernel.example": {"open list:BPF (Safe dynamic programs and tools)"},
        "media@tv.example": {"Linux Media Mailing List"},
        "linux-usb@usb.example": {"Linux USB List"},
        "jonas@list.example": {"Jonas List"},
        "maintainer@linux-mips.example": {"Quiet Maintainer"},
        "linux-mips@lists.mips.example": set(),
        "kasan@googlegroups.com": set(),
    }
    found = more_lists(
        {"linux-mips@linux-mips.example", "dev@lists.mips.example"},
        names,
        senders={"ralf@linux-mips.example"},
        names=names,
        is_person=is_person_address,
    )
    assert found == {
        "bpf@kernel.example", "media@tv.example", "linux-usb@usb.example",
        "linux-mips@lists.mips.example", "kasan@googlegroups.com",
    }  # fmt: skip


def test_a_one_off_senders_redirect_joins_nobody(tmp_path):
    """A scam with an In-Reply-To (so that it looks like part of a conversation) sends the
    answers to a gmail "claim agent": no Reply-To evidence, no claim."""
    people = [("Alice Martin", "alice@one.example"), ("Bruno Keller", "bruno@two.example"),
              ("Chen Wei", "chen@three.example")]  # fmt: skip
    thread = [
        message(f"{name} <{address}>", LIST, day=day + 1, extra=LIST_HEADERS,
                message_id=f"<t{day}@{address.partition('@')[2]}>")
        for day, (name, address) in enumerate(people)
    ]  # fmt: skip
    answers = [
        message(f"{name} <{address}>", LIST, day=day + 1, hour=15, message_id=f"<a{day}@x>",
                extra=f"{LIST_HEADERS}\nIn-Reply-To: <t{(day + 1) % 3}@x>")
        for day, (name, address) in enumerate(people)
    ]  # fmt: skip
    scam = message(
        "Mr. Hotten <hotten@telkomsa.example>", LIST, day=9, message_id="<scam@telkomsa>",
        extra=f"{LIST_HEADERS}\nReply-To: Claim Agent <claims.agent77@gmail.com>\n"
        "In-Reply-To: <nothing-here@example.net>",
    )  # fmt: skip
    _, analysis = archive_analysis(tmp_path, *thread, *answers, scam)
    pair = ("claims.agent77@gmail.com", "hotten@telkomsa.example")
    assert not [link for link in analysis.links if (link.a, link.b) == pair]
    assert pair not in claimed(analysis)


def test_a_regular_senders_reply_to_still_ties(tmp_path):
    """Someone who writes often, answers going to their own gmail: that is still theirs."""
    own = [
        message("Sami Kerola <kerolasa@iki.example>", LIST, day=day, extra=LIST_HEADERS +
                "\nReply-To: kerolasa@gmail.com\nIn-Reply-To: <elsewhere@example.net>")
        for day in range(1, 6)
    ]  # fmt: skip
    _, analysis = archive_analysis(tmp_path, *own)
    pair = ("kerolasa@gmail.com", "kerolasa@iki.example")
    assert [link for link in analysis.links if (link.a, link.b) == pair]


def test_a_one_off_senders_return_path_is_no_redirect(corpora, tmp_path):
    """Only Reply-To redirects answers: Zhang Le's one signed post, From r0bertz@gentoo.org
    with Return-Path his gmail, still ties the two."""
    ingest([corpora / CRYPTO], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    analysis = analyze(frames, detect_owner(frames, archive=True))
    pair = ("r0bertz@gentoo.org", "robert.zhangle@gmail.com")
    assert [link.evidence for link in analysis.links if (link.a, link.b) == pair] == ["sender"]


def test_a_name_with_a_role_after_it_is_the_name(tmp_path):
    """ "Russell King - ARM Linux admin" is "Russell King": the names compare as the same
    full name (issue 24 saw them on linux@ and rmk@armlinux.org.uk; linux@ is a role's
    user name, which mxa never pairs, so the test gives him another)."""
    question = message(
        "Ann Other <ann@elsewhere.example>",
        LIST,
        day=1,
        extra=LIST_HEADERS,
        message_id="<question@elsewhere.example>",
    )
    answer = f"{LIST_HEADERS}\nIn-Reply-To: <question@elsewhere.example>"
    mails = [
        question,
        message(f"Russell King - ARM Linux admin <{RUSSELL}>", LIST, day=2,
                extra=answer),
        message(f"Russell King <{RMK}>", LIST, day=3, extra=answer),
    ]  # fmt: skip
    frames, _ = archive_analysis(tmp_path, *mails)
    ctx = Context.build(readable_frames(frames), detect_owner(frames, archive=True))
    (found,) = [e for e in display_name(ctx) if {e.a, e.b} == {RMK, RUSSELL}]
    assert found.level == "full-name"
    assert "Russell King - ARM Linux admin" in found.detail
