"""Every evidence id of the catalog, each on realistic headers, and who can see it."""

from __future__ import annotations

import base64
import datetime
import hashlib
from email.utils import format_datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from analyzer import ingest
from analyzer.addressing import base_mailbox
from analyzer.linkability import CATALOG, KNOWN_TOGETHER, analyze
from analyzer.owner import detect_owner
from analyzer.store import load_frames

ME1, ME2 = "jane.doe@gmail.com", "j.doe@acme-corp.example"
FRIEND, OTHER = "bob@example.net", "carol@example.org"


def message(
    sender: str,
    to: str,
    *,
    cc: str = "",
    subject: str = "hello",
    hour: int = 9,
    day: int = 1,
    extra: str = "",
    message_id: str | None = None,
    body: bytes = b"Hi.\n",
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    date = datetime.datetime(
        2024, 3, day, hour, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    lines = [f"From: {sender}", f"To: {to}"]
    if cc:
        lines.append(f"Cc: {cc}")
    lines += [f"Subject: {subject}", f"Date: {format_datetime(date)}"]
    digest = hashlib.sha256((sender + to + extra).encode()).hexdigest()[:10]
    lines.append(f"Message-ID: {message_id or f'<{day}.{hour}.{digest}@example.net>'}")
    lines += [line for line in extra.splitlines() if line]
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}"]
    return ("\n".join(lines) + "\n\n").encode() + body


def analysis_of(tmp_path, *messages: bytes, me=(ME1, ME2), me_domains=()):
    tmp_path.mkdir(parents=True, exist_ok=True)
    archive = tmp_path / "archive.mbox"
    archive.write_bytes(
        b"".join(b"From x@y Fri Mar  1 09:00:00 2024\n" + m + b"\n" for m in messages)
    )
    ingest([archive], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    return analyze(frames, detect_owner(frames, me, me_domains))


def links_of(tmp_path, *messages: bytes, me=(ME1, ME2), me_domains=()):
    return list(analysis_of(tmp_path, *messages, me=me, me_domains=me_domains).links)


def find(links, evidence, a=ME1, b=ME2):
    pair = tuple(sorted((a, b)))
    found = [link for link in links if link.evidence == evidence and (link.a, link.b) == pair]
    return found[0] if found else None


def test_co_recipient_is_known_together_not_same_person(tmp_path):
    analysis = analysis_of(
        tmp_path, message(f"Bob <{FRIEND}>", f"Mary <{ME1}>", cc=f"Jane <{ME2}>, {OTHER}")
    )
    link = find(analysis.links, "co-recipient")
    assert link.strength == "deterministic" and link.question == KNOWN_TOGETHER
    assert link.observer_class == "correspondents"
    (pair,) = analysis.pairs_of("owner")
    assert pair.known_together.observer_class == "correspondents"
    assert pair.known_together.evidence == ("co-recipient",)
    # two people on one Cc line are no one person: the names differ, the score stays low
    assert pair.same_person.score < 0.5
    assert set(link.observers) == {FRIEND, OTHER}
    assert "Cc: Jane <j.doe@acme-corp.example>" in link.detail


def test_reply_to(tmp_path):
    links = links_of(
        tmp_path, message(f"Jane Doe <{ME2}>", FRIEND, extra=f"Reply-To: Jane <{ME1}>")
    )
    link = find(links, "reply-to")
    assert link.observer_class == "correspondents" and link.observers == (FRIEND,)
    assert link.detail.endswith(f"Reply-To: Jane <{ME1}>")


def test_sender_and_return_path(tmp_path):
    send_as = message(f"Jane <{ME2}>", FRIEND, extra=f"Sender: {ME1}")
    bounce = message(f"Jane <{ME2}>", OTHER, extra=f"Return-Path: <{ME1}>", hour=10)
    links = links_of(tmp_path, send_as, bounce)
    link = find(links, "sender")
    assert link.observer_class == "correspondents" and link.level == "sender"
    assert link.observers == (FRIEND,)  # who sees the strongest form, Sender:
    return_path = links_of(tmp_path / "b", bounce)
    assert find(return_path, "sender").level == "return-path"


def test_forwarding_is_seen_by_providers_only(tmp_path):
    alias = "quiet.fox.7@duck.com"
    forwarded = message(
        "News <news@shop.example>", alias,
        extra=f"Delivered-To: {ME1}\nReceived: from outbound1.duck.com (outbound1.duck.com "
        "[20.67.221.10]) by mx.google.com with ESMTPS id x1; Fri, 01 Mar 2024 09:00:05 +0000",
    )  # fmt: skip
    links = links_of(tmp_path, forwarded, me=(ME1, alias))
    link = find(links, "forwarding", alias, ME1)
    assert link.observer_class == "providers"
    assert {"duck.com", "gmail.com"} <= set(link.observers)


def test_forwarding_by_original_to_and_alias_headers(tmp_path):
    catch_all = "shop@jane.example"
    relayed = message(
        "Shop <orders@shop.example>",
        catch_all,
        extra=f"Delivered-To: {ME1}\nX-Original-To: {catch_all}",
    )
    sl_alias = "birch.lake12@simplelogin.com"
    simplelogin = message(
        '"Paper - news at paper.example" <abc.def@simplelogin.co>', sl_alias, hour=11,
        extra=f"Delivered-To: {ME1}\nX-SimpleLogin-Type: Forward\n"
        f"X-SimpleLogin-Envelope-To: {sl_alias}",
    )  # fmt: skip
    links = links_of(tmp_path, relayed, simplelogin, me=(ME1,), me_domains=("jane.example",))
    assert find(links, "forwarding", catch_all, ME1).observer_class == "providers"
    assert find(links, "forwarding", sl_alias, ME1) is not None


@pytest.mark.parametrize(
    ("tagged", "mailbox"),
    [
        ("jane.doe+shop@gmail.com", "jane.doe@gmail.com"),
        (
            "janedoe+x@googlemail.com",
            "jane.doe@gmail.com",
        ),  # Gmail ignores dots, googlemail = gmail
        ("jane-news@yahoo.com", "jane@yahoo.com"),  # Yahoo uses "-"
        ("jane+tag@pm.me", "jane@proton.me"),  # Proton's domains are one
        ("shop@jane.fastmail.com", "jane@fastmail.com"),  # Fastmail subdomain addressing
    ],
)
def test_provider_subaddress_rules(tagged, mailbox):
    assert base_mailbox(tagged) == base_mailbox(mailbox)


def test_subaddress(tmp_path):
    links = links_of(
        tmp_path, message("Shop <orders@shop.example>", f"Jane <{ME1.replace('@', '+shop@')}>")
    )
    link = find(links, "subaddress", "jane.doe+shop@gmail.com", ME1)
    assert link.observer_class == "correspondents" and link.observers == ("orders@shop.example",)


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("jane@yahoo.com", "jane-news@yahoo.com"),
        ("jane.doe@gmail.com", "janedoe@googlemail.com"),
        ("jane@fastmail.com", "shop@jane.fastmail.com"),
    ],
)
def test_subaddress_under_each_providers_rule(tmp_path, given, written):
    links = links_of(tmp_path, message("Shop <orders@shop.example>", written), me=(given,))
    link = find(links, "subaddress", written, given)
    assert link is not None and link.observer_class == "correspondents"


def test_thread_answered_from_the_other_identity(tmp_path):
    question = message(f"Bob <{FRIEND}>", f"Jane <{ME2}>", message_id="<q1@example.net>")
    answer = message(
        f"Jane <{ME1}>", f"Bob <{FRIEND}>", hour=11, extra="In-Reply-To: <q1@example.net>"
    )
    link = find(links_of(tmp_path, question, answer), "thread")
    assert link.observer_class == "correspondents" and link.observers == (FRIEND,)
    assert "In-Reply-To: <q1@example.net>" in link.detail


def _certificate(addresses: list[str], serial: int):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Jane Doe")])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(serial).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=900))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(a) for a in addresses]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return certificate, key


def _smime_signed(sender: str, to: str, certificate, key, hour: int = 9) -> bytes:
    signed = (
        pkcs7.PKCS7SignatureBuilder().set_data(b"Content-Type: text/plain\r\n\r\nhi\r\n")
        .add_signer(certificate, key, hashes.SHA256())
        .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
    )  # fmt: skip
    head, _, body = signed.replace(b"\r\n", b"\n").partition(b"\n\n")
    content_type = head.split(b"Content-Type: ", 1)[1].decode().replace("\n", " ")
    return message(sender, to, body=body, content_type=content_type, hour=hour)


def test_smime_certificate_naming_two_addresses(tmp_path):
    certificate, key = _certificate([ME2, ME1], 0x51)
    link = find(
        links_of(tmp_path, _smime_signed(f"Jane <{ME2}>", FRIEND, certificate, key)),
        "smime-certificate",
    )
    assert link.observer_class == "correspondents" and link.observers == (FRIEND,)
    assert ME1 in link.detail and ME2 in link.detail


def test_a_certificate_for_one_address_signing_mail_from_another(tmp_path):
    certificate, key = _certificate([ME1], 0x52)
    links = links_of(tmp_path, _smime_signed(f"Jane <{ME2}>", OTHER, certificate, key))
    link = find(links, "smime-certificate")
    assert link.observer_class == "correspondents" and link.observers == (OTHER,)


def test_a_ca_certificate_in_the_bundle_links_nobody(tmp_path):
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ca@issuer.example")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(1).not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=900)).sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    mails = []
    for hour, person in enumerate(("ann@a.example", "ben@b.example")):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, person)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(10 + hour)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=900))
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(person)]), False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        signed = (
            pkcs7.PKCS7SignatureBuilder().set_data(b"Content-Type: text/plain\r\n\r\nhi\r\n")
            .add_signer(certificate, key, hashes.SHA256()).add_certificate(ca)
            .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
        )  # fmt: skip
        head, _, body = signed.replace(b"\r\n", b"\n").partition(b"\n\n")
        content_type = head.split(b"Content-Type: ", 1)[1].decode().replace("\n", " ")
        mails.append(message(person, ME1, body=body, content_type=content_type, hour=8 + hour))
    links = links_of(tmp_path, *mails, me=(ME1,))
    assert not [lk for lk in links if lk.evidence == "smime-certificate"]


def _pgp_encrypted(pgp, sender: str, to: str, recipient_key: str, hour: int) -> bytes:
    armoured = pgp.encrypt(
        [recipient_key], b"Content-Type: text/plain\r\n\r\nsecret\r\n", 1709280000, None
    )
    body = (
        b"--b1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b1\n"
        b"Content-Type: application/octet-stream\n\n" + armoured + b"\n--b1--\n"
    )
    content_type = 'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"'
    return message(sender, to, body=body, content_type=content_type, hour=hour)


def test_pgp_key_recipient_under_two_addresses(tmp_path, gnupg):
    key = gnupg.fingerprint("maya.lindqvist@gmail.com")
    keydata = base64.b64encode(gnupg.public_key(key)).decode()
    announce = [  # what ties the recipient key id to the two addresses
        message(f"Jane <{me}>", OTHER, hour=7 + i, extra=f"Autocrypt: addr={me}; keydata={keydata}")
        for i, me in enumerate((ME1, ME2))
    ]
    links = links_of(
        tmp_path,
        *announce,
        _pgp_encrypted(gnupg, f"Bob <{FRIEND}>", f"Jane <{ME1}>", key, 9),
        _pgp_encrypted(gnupg, f"Bob <{FRIEND}>", f"Jane <{ME2}>", key, 10),
    )
    link = find(links, "pgp-key")
    assert link.observer_class == "correspondents" and FRIEND in link.observers
    assert gnupg.encryption_key_id(key) in link.detail


def test_a_recipient_key_nothing_ties_to_an_address_links_nobody(tmp_path, gnupg):
    # Bob's client also encrypts to Bob's own key: that key follows Bob, not Jane
    key = gnupg.fingerprint("maya.lindqvist@gmail.com")
    links = links_of(
        tmp_path,
        _pgp_encrypted(gnupg, f"Bob <{FRIEND}>", f"Jane <{ME1}>", key, 9),
        _pgp_encrypted(gnupg, f"Bob <{FRIEND}>", f"Jane <{ME2}>", key, 10),
    )
    assert find(links, "pgp-key") is None


def test_pgp_signatures_by_one_key_from_two_addresses(tmp_path, gnupg):
    key = gnupg.fingerprint("maya.lindqvist@gmail.com")
    mails = []
    for hour, me in ((9, ME1), (10, ME2)):
        entity = b"Content-Type: text/plain\r\n\r\nsigned\r\n"
        signature = gnupg.detached_signature(key, entity, 1709280000)
        signed = entity.replace(b"\r\n", b"\n")
        part = b"Content-Type: application/pgp-signature\n\n" + signature
        body = b"--s1\n" + signed + b"\n--s1\n" + part + b"\n--s1--\n"
        kind = 'multipart/signed; protocol="application/pgp-signature"; boundary="s1"'
        mails.append(message(f"Jane <{me}>", FRIEND, hour=hour, body=body, content_type=kind))
    link = find(links_of(tmp_path, *mails), "pgp-key")
    assert link.observer_class == "correspondents" and link.observers == (FRIEND,)
    assert key[-16:] in link.detail


def test_autocrypt_same_key_two_addresses(tmp_path, gnupg):
    keydata = base64.b64encode(
        gnupg.public_key(gnupg.fingerprint("maya.lindqvist@gmail.com"))
    ).decode()
    links = links_of(
        tmp_path,
        message(
            f"Jane <{ME1}>",
            FRIEND,
            extra=f"Autocrypt: addr={ME1}; prefer-encrypt=mutual; keydata={keydata}",
        ),
        message(
            f"Jane <{ME2}>", FRIEND, hour=10, extra=f"Autocrypt: addr={ME2}; keydata={keydata}"
        ),
    )
    link = find(links, "autocrypt")
    assert link.observer_class == "correspondents" and link.observers == (FRIEND,)


def test_display_name_but_never_a_generic_one(tmp_path):
    links = links_of(
        tmp_path,
        message(f"Jane Doe <{ME1}>", FRIEND),
        message(f'"Doe, Jane" <{ME2}>', OTHER, hour=10),
        message(f"Bob <{FRIEND}>", ME1, hour=13),
        message("Support <help@a.example>", FRIEND, hour=11),
        message("Support <help@b.example>", FRIEND, hour=12),
    )  # fmt: skip
    link = find(links, "display-name")
    assert link.strength == "probabilistic" and link.level == "full-name"
    assert link.observer_class == "inference"
    assert not [
        lk for lk in links if lk.evidence == "display-name" and "help@a.example" in (lk.a, lk.b)
    ]


def test_a_link_lists_its_first_messages_and_counts_them_all(tmp_path, monkeypatch):
    import analyzer.linkability.links

    monkeypatch.setattr(analyzer.linkability.links, "MAX_LINK_MESSAGES", 2)
    sent = [message(f"Jane Doe <{ME1}>", FRIEND, hour=h) for h in (8, 9, 10)]
    sent += [message(f"Jane Doe <{ME2}>", OTHER, hour=h) for h in (11, 12)]
    answer = message(f"Bob <{FRIEND}>", ME1, hour=13)  # a conversation, not a spam persona
    link = find(links_of(tmp_path, *sent, answer), "display-name")
    assert link.messages_total == 5
    assert len(link.messages) == 2 and list(link.messages) == sorted(link.messages)
    assert link.as_dict()["messages_total"] == 5


def _submitted(
    sender: str, to: str, helo: str, ip: str, hour: int, protocol: str = "ESMTPSA"
) -> bytes:
    hop = (
        f"Received: from {helo} ([{ip}]) by smtp.example.com with {protocol} id a{hour}; "
        f"Fri, 01 Mar 2024 0{hour % 10}:00:01 +0100"
    )
    return message(sender, to, hour=hour, extra=hop)


def test_client_ip_of_the_submitting_machine(tmp_path):
    links = links_of(
        tmp_path,
        _submitted(f"Jane <{ME1}>", FRIEND, "janes-laptop", "203.0.113.5", 8),
        _submitted(f"Jane <{ME2}>", FRIEND, "janes-laptop", "203.0.113.5", 9),
    )
    link = find(links, "client-ip")
    assert link.observer_class == "correspondents" and link.observers == (FRIEND,)  # Bob got both


def test_private_addresses_and_provider_relays_are_not_client_addresses(tmp_path):
    links = links_of(
        tmp_path,
        _submitted(f"Jane <{ME1}>", FRIEND, "janes-laptop", "192.168.1.5", 8),
        _submitted(f"Jane <{ME2}>", OTHER, "janes-laptop", "192.168.1.5", 9),
        _submitted(
            f"Jane <{ME1}>", FRIEND, "mail-wr1-f54.google.com", "209.85.221.54", 6, "ESMTPS"
        ),
        _submitted(f"Jane <{ME2}>", OTHER, "mail-wr1-f54.google.com", "209.85.221.54", 7, "ESMTPS"),
    )
    assert find(links, "client-ip") is None


def test_message_id_host_of_a_machine_not_a_provider(tmp_path):
    links = links_of(
        tmp_path,
        message(f"Jane <{ME1}>", FRIEND, message_id="<20240301.GA1@janes-laptop>"),
        message(f"Jane <{ME2}>", OTHER, hour=10, message_id="<20240301.GA2@janes-laptop>"),
        message(f"Jane <{ME1}>", OTHER, hour=11, message_id="<CAxyz@mail.gmail.com>"),
        message(f"Jane <{ME2}>", OTHER, hour=12, message_id="<CAabc@mail.gmail.com>"),
    )
    link = find(links, "message-id-host")
    assert link.observer_class == "inference" and "janes-laptop" in link.detail
    assert "gmail" not in link.detail


def test_client_fingerprint(tmp_path):
    agent = (
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.8.0"
    )
    links = links_of(
        tmp_path,
        message(f"Jane <{ME1}>", FRIEND, extra=agent),
        message(f"Jane <{ME2}>", OTHER, hour=10, extra=agent),
    )
    link = find(links, "client-fingerprint")
    assert "Thunderbird/115.8.0" in link.detail and "+0100" in link.detail


def test_social_overlap(tmp_path):
    friends = ["a@x.example", "b@x.example", "c@x.example"]
    mails = [
        message(f"Jane <{me}>", f, hour=8 + i) for i, f in enumerate(friends) for me in (ME1, ME2)
    ]
    link = find(links_of(tmp_path, *mails), "social-overlap")
    assert link.level == "high" and "3 shared correspondents" in link.detail


def test_timing_says_little(tmp_path):
    mails = [
        message(f"Jane <{me}>", FRIEND, hour=7, day=d) for d in range(1, 12) for me in (ME1, ME2)
    ]
    analysis = analysis_of(tmp_path, *mails)
    link = find(analysis.links, "timing")
    # measured on real pairs, alike sending hours do not tell people apart
    assert link.strength == "probabilistic" and link.level == "alike"
    (pair,) = analysis.pairs_of("owner")
    assert abs(pair.same_person.weights["timing"]) < 1


def test_every_catalog_id_has_a_rule():
    assert {rule.evidence for rule in CATALOG} == {
        "co-recipient", "reply-to", "sender", "forwarding", "subaddress", "thread",
        "smime-certificate", "pgp-key", "autocrypt", "display-name", "local-part", "client-ip",
        "message-id-host", "client-fingerprint", "social-overlap", "timing",
    }  # fmt: skip


def test_links_among_other_people_come_after_the_owners(tmp_path):
    links = links_of(
        tmp_path,
        message(f"Jane <{ME2}>", FRIEND, extra=f"Reply-To: {ME1}"),
        message(
            "Bob Smith <bob@work.example>", f"Jane <{ME1}>", hour=10,
            extra="Reply-To: bob@home.example", message_id="<bob-1@work.example>",
        ),
        message("Bob Smith <bob@home.example>", f"Jane <{ME1}>", hour=11),
        # Jane answers: Bob takes part in a conversation, no one-off sender
        message(f"Jane <{ME1}>", "bob@home.example", hour=12,
                extra="In-Reply-To: <bob-1@work.example>"),
    )  # fmt: skip
    owners = [link.owner for link in links]
    assert owners == sorted(owners, reverse=True)
    assert find(links, "reply-to", "bob@home.example", "bob@work.example") is not None


def test_a_tag_seen_only_in_delivered_to_is_for_providers(tmp_path):
    tagged = ME1.replace("@", "+lists@")
    links = links_of(
        tmp_path,
        message("Shop <orders@shop.example>", "list@shop.example", extra=f"Delivered-To: {tagged}"),
    )
    assert find(links, "subaddress", tagged, ME1).observer_class == "providers"


def test_bcc_pairs_are_not_shown_to_the_other_recipients(tmp_path):
    links = links_of(tmp_path, message(f"Bob <{FRIEND}>", f"{ME1}, {OTHER}", extra=f"Bcc: {ME2}"))
    link = find(links, "co-recipient", ME1, ME2)
    assert link.observer_class == "providers"  # Carol, in To, never sees the Bcc
    assert FRIEND in link.observers and OTHER not in link.observers


def test_a_mailbox_that_forwarded_the_mail_is_the_owners_but_a_lists_is_not(tmp_path):
    """Gmail forwarding to Fastmail writes its Delivered-To below Fastmail's; a list does too,
    but only a forward says so (X-Forwarded-For)."""
    forwarded = (
        "Delivered-To: jane@fastmail.com\n"
        "Received: from mx.gmail.com by mx.fastmail.com; Fri, 01 Mar 2024 09:00:02 +0000\n"
        "X-Forwarded-To: jane@fastmail.com\n"
        "X-Forwarded-For: jane.doe@gmail.com jane@fastmail.com\n"
        "Delivered-To: jane.doe@gmail.com\n"
        "Received: from mail.example.net by mx.google.com; Fri, 01 Mar 2024 09:00:01 +0000"
    )
    listed = (
        "Delivered-To: jane@fastmail.com\n"
        "Received: from lists.example.org by mx.fastmail.com; Fri, 01 Mar 2024 10:00:02 +0000\n"
        "Delivered-To: devel@lists.example.org\n"
        "Received: from mail.example.net by lists.example.org; Fri, 01 Mar 2024 10:00:01 +0000"
    )
    analysis = analysis_of(
        tmp_path,
        message(f"Bob <{FRIEND}>", "Jane <jane.doe@gmail.com>", extra=forwarded),
        message(f"Bob <{FRIEND}>", "devel@lists.example.org", extra=listed, hour=10),
        me=(),
    )
    assert set(analysis.owner.identities) == {"jane.doe@gmail.com", "jane@fastmail.com"}
    link = find(analysis.links, "forwarding", "jane.doe@gmail.com", "jane@fastmail.com")
    assert link.observer_class == "providers"


def test_a_name_on_too_many_addresses_to_compare_pairwise_still_joins_them(tmp_path):
    """Five hundred aliases under one name: the block is too big for pairs, so the ones
    that go by exactly that name are joined as a star around the first."""
    aliases = [f"shop{n:03d}@aliases.example" for n in range(500)]
    sent = [
        message(f"Jane Doe <{alias}>", f"orders@org{n}.example", hour=8 + n % 10, day=1 + n % 28)
        for n, alias in enumerate(aliases)
    ]
    answers = [message(f"Orders <orders@org{n}.example>", a) for n, a in enumerate(aliases)]
    links = links_of(tmp_path, *sent, *answers, me=aliases)
    named = [link for link in links if link.evidence == "display-name"]
    assert {(link.a, link.b) for link in named} == {(aliases[0], a) for a in aliases[1:]}
    assert {link.level for link in named} == {"full-name"}
