"""Claims about other people's addresses, made with no owner (``mxa links --all``, the
archive report): lists are no people, a scam's redirect joins nobody, a name with a role
after it is the name, a person's own ``linux@`` is a person's (issue 24).

Real mail (FIT archives only, tests/real_mail.py) where it holds the case; where it does
not, the test says so and builds the case from real messages or writes it.
"""

from __future__ import annotations

import re

import pytest

from analyzer import ingest
from analyzer.linkability import CLAIM, analyze, compare_pairs
from analyzer.linkability.address_kinds import (
    GENERIC_LOCAL_PARTS,
    OWN_DOMAIN_LOCAL_PARTS,
    is_person_address,
)
from analyzer.linkability.context import Context
from analyzer.linkability.deterministic import reply_to
from analyzer.linkability.fingerprints import display_name
from analyzer.linkability.names import NameMatch, compare_names, parse_name
from analyzer.mailing_lists import archive_lists, more_lists
from analyzer.owner import detect_owner
from analyzer.readable import readable_frames
from analyzer.store import load_frames
from tests.test_linkability import message

IPMI = "list-openipmi-2019-2020"  # a SourceForge list, its patches Cc'd to vger lists
CRYPTO = "crypto-real-world-lists"  # signed posts from several lists
UTIL = "list-util-linux-2019-2021"  # a vger list, and some 150 scams sent to it
KASAN = "list-kasan-dev-2023"  # a Google Group
MIPS = "list-linux-mips-1996-1999"  # a 1990s list
LIST = "dev@lists.example.org"
LIST_HEADERS = f"List-Id: <dev.lists.example.org>\nList-Post: <mailto:{LIST}>"
RMK, RUSSELL = "rmk@armlinux.example", "linux@armlinux.example"
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
    full name, on linux@ and rmk@ as issue 24 saw them (linux@ a generic user name, his
    own at a domain where he alone writes)."""
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


# -- a scam's redirect, on the real scams of util-linux's archive --------------------------
# "Re: € 2,000,000.00 Euro": one message, From a hijacked court mailbox, Reply-To a gmail
SCAM = ("myburghhugohendrik@gmail.com", "nelsonsena@tjto.jus.br")
# a real message of the archive (a thread of Karel Zak's) the scam is made to answer
THREAD_MESSAGE = b"<20190530131904.zvicpy2djdulxt6n@ws>"


def _util_linux_with_a_scam_in_a_thread(corpora, tmp_path):
    """util-linux's archive, its "Re: € 2,000,000.00 Euro" scam given an In-Reply-To.

    No FIT archive holds a scam inside a conversation: each of util-linux's 150-odd
    real redirects (a one-off sender, Reply-To another free-mail mailbox) comes with no
    In-Reply-To, so their senders take part in no conversation, which already keeps
    them out. The issue's scam (hotten@telkomsa.net) carried one; this real scam is
    given one, to a real message of the archive, as that scam was sent.
    """
    raw = (corpora / UTIL / "util-linux-2019-2021.mbox").read_bytes()
    assert b"Message-ID: " + THREAD_MESSAGE in raw
    parts = re.split(rb"(?m)^(?=From mboxrd@z )", raw)
    (scam,) = [i for i, part in enumerate(parts) if b"\nFrom:   nelsonsena@tjto.jus.br\n" in part]
    parts[scam] = parts[scam].replace(
        b"\nFrom:   nelsonsena@", b"\nIn-Reply-To: " + THREAD_MESSAGE + b"\nFrom:   nelsonsena@", 1
    )
    archive = tmp_path / "util-linux.mbox"
    archive.write_bytes(b"".join(parts))
    ingest([archive], tmp_path / "store", jobs=2)
    return load_frames(tmp_path / "store")


def test_real_scam_redirects_join_nobody_even_inside_a_thread(corpora, tmp_path):
    frames = _util_linux_with_a_scam_in_a_thread(corpora, tmp_path)
    ctx = Context.build(readable_frames(frames), detect_owner(frames, archive=True))
    assert SCAM[1] in ctx.in_conversation  # the conversation no longer keeps it out
    by_reply_to = {(e.a, e.b) for e in reply_to(ctx)}
    assert SCAM not in by_reply_to
    assert compare_pairs(frames, [SCAM])[SCAM].levels.get("identity-headers") != "identity-header"
    # every real one-off redirect of the archive: none is Reply-To evidence
    messages, parties = frames.messages, frames.participants
    sender_of = dict(zip(messages["message_key"], messages["from_addr"], strict=True))
    sent = messages["from_addr"].value_counts()
    redirects = {
        tuple(sorted((sender_of[key], address)))
        for key, address in parties.loc[parties["role"] == "reply-to", ["message_key", "address"]]
        .itertuples(index=False)
        if address != sender_of[key] and sent.get(sender_of[key], 0) <= 3 and address not in sent
        and address.endswith(("@gmail.com", "@yahoo.com", "@aol.com", "@outlook.com"))
    }  # fmt: skip
    assert len(redirects) >= 100 and SCAM in redirects
    assert not redirects & by_reply_to
    analysis = analyze(frames, detect_owner(frames, archive=True))
    assert not {p for p in claimed(analysis) if set(p) & {a for pair in redirects for a in pair}}
    # a regular writer's own Reply-To still ties: Sami Kerola's 23 messages to his gmail
    assert ("kerolasa@gmail.com", "kerolasa@iki.fi") in by_reply_to


# -- a name with a role or an organisation after it, as real senders write it ---------------
@pytest.mark.parametrize(
    ("archive", "address", "written", "name"),
    [
        (CRYPTO, "valek@2n.cz", "Jiri Valek - 2N", "Jiri Valek"),
        (KASAN, "cl@linux.com", "Christoph Lameter (Ampere)", "Christoph Lameter"),
        (UTIL, "peterz@infradead.org", "Peter Zijlstra (Intel)", "Peter Zijlstra"),
        (UTIL, "mtk.manpages@gmail.com", "Michael Kerrisk (man-pages)", "Michael Kerrisk"),
        # a role after a comma, which is no "Last, First"
        (MIPS, "stuart@gnqs.org", "Stuart Herbert, GNQS Maintainer", "Stuart Herbert"),
        (UTIL, "lkml@metux.net", "Enrico Weigelt, metux IT consult", "Enrico Weigelt"),
    ],
)
def test_a_real_name_with_a_suffix_compares_as_the_name(corpora, tmp_path, archive, address,
                                                         written, name):  # fmt: skip
    """ "Russell King - ARM Linux admin" is in no FIT archive (they name only "Russell King
    <linux@armlinux.org.uk>", in Cc lines); these senders write the same form."""
    ingest([corpora / archive], tmp_path / "store", jobs=2)
    parties = load_frames(tmp_path / "store").participants
    names = set(parties.loc[parties["address"] == address, "display_name"].dropna())
    assert written in names
    assert parse_name(written) == parse_name(name)
    assert compare_names(parse_name(written), parse_name(name)) == NameMatch.FULL


# -- a person's own linux@: a generic user name at a domain of one person's ---------------
def test_a_persons_own_generic_address_is_a_person(ipmi):
    """Guenter Roeck writes to openipmi from linux@roeck-us.net under his name; the list's
    own addresses and the vger lists it Cc's stay lists."""
    frames, _ = ipmi
    ctx = Context.build(readable_frames(frames), detect_owner(frames, archive=True))
    assert OWN_DOMAIN_LOCAL_PARTS <= GENERIC_LOCAL_PARTS
    assert not is_person_address("linux@roeck-us.net")  # alone, a generic user name
    assert ctx.is_person("linux@roeck-us.net")  # the archive says whose it is
    assert not any(ctx.is_person(a) for a in ctx.lists)


def test_own_generic_addresses_pair_with_their_owners_other_addresses(corpora, tmp_path):
    """kasan-dev: Guenter Roeck's linux@roeck-us.net sent by his gmail (Sender), WANG
    Xuerui's kernel@ and git@xen0n.name, Michael Karcher's kernel@ at a dial-up host and
    his university address. Each was out of every pair for its user name."""
    ingest([corpora / KASAN], tmp_path / "store", jobs=2)
    frames = load_frames(tmp_path / "store")
    found = claimed(analyze(frames, detect_owner(frames, archive=True)))
    assert {
        ("groeck7@gmail.com", "linux@roeck-us.net"),
        ("git@xen0n.name", "kernel@xen0n.name"),
        ("kernel@mkarcher.dialup.fu-berlin.de", "michael.karcher@fu-berlin.de"),
    } <= found


def test_an_offices_or_a_scams_generic_address_stays_nobodys(tmp_path):
    """info@ where colleagues write under other names is an office's; a one-off info@ that
    answers nobody (util-linux's scams write from hijacked ones) is nobody's; so is an
    info@ at a provider or a linux@ whose name is a program's."""
    thread = "\nIn-Reply-To: <q@acme.example>"
    mails = [
        message("Jane Doe <jane@acme.example>", LIST, day=1, extra=LIST_HEADERS,
                message_id="<q@acme.example>"),
        message("Jane Doe <info@acme.example>", LIST, day=2, extra=LIST_HEADERS + thread),
        message("John Roe <john@acme.example>", LIST, day=3, extra=LIST_HEADERS + thread),
        message("Herr David Williams <admin@qf-corp.example>", LIST, day=4, extra=LIST_HEADERS),
        message("Hans Meier <info@gmx.de>", LIST, day=5, extra=LIST_HEADERS + thread),
        message("Build Robot <linux@builds.example>", LIST, day=6, extra=LIST_HEADERS + thread),
        message("Ann Other <linux@other.example>", LIST, day=7, extra=LIST_HEADERS + thread),
    ]  # fmt: skip
    frames, _ = archive_analysis(tmp_path, *mails)
    ctx = Context.build(readable_frames(frames), detect_owner(frames, archive=True))
    for office in ("info@acme.example", "admin@qf-corp.example", "info@gmx.de",
                   "linux@builds.example"):  # fmt: skip
        assert not ctx.is_person(office), office
    assert ctx.is_person("linux@other.example")
