"""The persona mailbox: reproducible, and every documented mistake and leak really in it.

The checks read the committed files with the standard library's email parser, the
`cryptography` package and GnuPG, independently of mxa's own extraction.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import mailbox
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7

from analyzer import ingest, read_frame

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
PERSONA = SAMPLE / "persona"
sys.path.insert(0, str(SAMPLE))
from make_persona import mask_randomised  # noqa: E402

TRUTH = json.loads((PERSONA / "truth.json").read_text("utf-8"))
OWNER = TRUTH["owner"]["identities"]
MISTAKES = {m["id"]: m for m in TRUTH["mistakes"]}


@pytest.fixture(scope="module")
def messages() -> dict[str, list[email.message.Message]]:
    """Every message of the .eml folder by Message-ID (a few IDs occur twice: sent + list copy)."""
    found: dict[str, list] = {}
    for path in sorted((PERSONA / "eml").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
        found.setdefault(message["Message-ID"], []).append(message)
    return found


def addresses(message, *names: str) -> set[str]:
    values = [v for name in names for v in message.get_all(name, [])]
    return {a.lower() for _, a in email.utils.getaddresses(values) if a}


def test_generator_reproduces_the_committed_files(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(SAMPLE / "make_persona.py"), "--out", str(tmp_path / "persona")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    fresh = tmp_path / "persona"
    assert (fresh / "truth.json").read_text() == (PERSONA / "truth.json").read_text()
    committed = sorted(p.relative_to(PERSONA) for p in PERSONA.rglob("*") if p.is_file())
    regenerated = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    assert committed == regenerated
    differing = 0
    for relative in committed:
        old, new = (PERSONA / relative).read_bytes(), (fresh / relative).read_bytes()
        if old != new:
            differing += 1
            # only the documented cryptographic randomness may differ
            if relative.suffix == ".mbox":
                old_box, new_box = mailbox.mbox(PERSONA / relative), mailbox.mbox(fresh / relative)
                assert len(old_box) == len(new_box)
                for key in old_box.iterkeys():
                    assert mask_randomised(old_box.get_bytes(key)) == mask_randomised(
                        new_box.get_bytes(key)
                    )
            else:
                assert mask_randomised(old) == mask_randomised(new), relative
    assert differing > 0  # encryption is randomised, so some files must differ


def test_the_three_formats_hold_the_same_messages(tmp_path):
    keys = {}
    for name, source in [
        ("mbox", PERSONA / "persona.mbox"),
        ("eml", PERSONA / "eml"),
        ("maildir", PERSONA / "maildir"),
    ]:
        result = ingest([source], tmp_path / name, jobs=1)
        assert result.quarantined == 0
        assert result.messages_read == TRUTH["counts"]["messages"]
        keys[name] = set(read_frame(tmp_path / name, "messages")["message_key"])
    assert keys["mbox"] == keys["eml"] == keys["maildir"]


def test_a_large_share_is_really_signed_or_encrypted(tmp_path):
    ingest([PERSONA / "persona.mbox"], tmp_path / "s", jobs=1)
    mix = read_frame(tmp_path / "s", "messages")["encryption"].value_counts()
    protected = mix.drop("plaintext").sum()
    assert protected / mix.sum() > 0.4
    assert {"smime_signed", "smime_encrypted", "pgp_signed", "pgp_encrypted"} <= set(mix.index)


def test_co_recipient(messages):
    (message,) = messages[MISTAKES["co-recipient"]["message_ids"][0]]
    assert {OWNER["private"], OWNER["work"]} <= addresses(message, "To", "Cc")


def test_thread_answered_from_the_other_identity(messages):
    parent_id, reply_id = MISTAKES["thread"]["message_ids"]
    (parent,) = messages[parent_id]
    (reply,) = messages[reply_id]
    assert OWNER["work"] in addresses(parent, "To")
    assert addresses(reply, "From") == {OWNER["private"]}
    assert reply["In-Reply-To"] == parent_id


def test_reply_to(messages):
    (message,) = messages[MISTAKES["reply-to"]["message_ids"][0]]
    assert addresses(message, "From") == {OWNER["work"]}
    assert addresses(message, "Reply-To") == {OWNER["private"]}


def test_sender_header_on_the_catch_all(messages):
    for message_id in MISTAKES["sender-catchall"]["message_ids"]:
        for message in messages[message_id]:
            assert addresses(message, "From") == {OWNER["catch_all_personal"]}
            assert addresses(message, "Sender") == {OWNER["private"]}


def test_subaddress(messages):
    for message_id in MISTAKES["subaddress"]["message_ids"]:
        (message,) = messages[message_id]
        assert OWNER["plus_address"] in addresses(message, "To")
    assert OWNER["plus_address"].replace("+nordicgear", "") == OWNER["private"]


def _signer_addresses(message) -> set[str]:
    for part in message.walk():
        if part.get_content_type() == "application/pkcs7-signature":
            certificates = pkcs7.load_der_pkcs7_certificates(part.get_payload(decode=True))
            found = set()
            for certificate in certificates:
                try:
                    san = certificate.extensions.get_extension_for_class(
                        x509.SubjectAlternativeName
                    )
                except x509.ExtensionNotFound:
                    continue
                found |= {a.lower() for a in san.value.get_values_for_type(x509.RFC822Name)}
            return found
    return set()


def test_smime_certificate_names_both_and_signs_from_both(messages):
    senders = set()
    for message_id in MISTAKES["smime-certificate"]["message_ids"]:
        for message in messages[message_id]:
            assert _signer_addresses(message) >= {OWNER["work"], OWNER["private"]}
            senders |= addresses(message, "From")
    assert {OWNER["work"], OWNER["private"]} <= senders


def _pgp_key_ids(message) -> set[str]:
    """Recipient key ids of the PKESK packets, read by GnuPG without any key."""
    armour = re.search(
        rb"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", message.as_bytes(), re.S
    )
    if armour is None:
        return set()
    with tempfile.TemporaryDirectory() as home:
        listing = subprocess.run(
            ["gpg", "--batch", "--list-packets", "--homedir", home],
            input=armour.group(0),
            capture_output=True,
            check=False,
        )
    text = listing.stdout.decode() + listing.stderr.decode()
    return set(re.findall(r"pubkey enc packet: version \d+, algo \d+, keyid ([0-9A-F]{16})", text))


def test_pgp_key_under_two_addresses(messages):
    key_id = TRUTH["owner"]["pgp_encryption_key_id"]
    addressed = set()
    for message_id in MISTAKES["pgp-key"]["message_ids"]:
        (message,) = messages[message_id]
        assert key_id in _pgp_key_ids(message)
        addressed |= addresses(message, "To", "From") & {
            OWNER["private"],
            OWNER["catch_all_personal"],
        }
    assert addressed == {OWNER["private"], OWNER["catch_all_personal"]}


def test_autocrypt_same_key_under_two_addresses(messages):
    keydata = {}
    for message_id in MISTAKES["autocrypt"]["message_ids"]:
        (message,) = messages[message_id]
        fields = dict(
            item.strip().split("=", 1) for item in "".join(message["Autocrypt"].split()).split(";")
        )
        keydata.setdefault(fields["keydata"], set()).add(fields["addr"])
    assert list(keydata.values()) == [{OWNER["private"], OWNER["catch_all_personal"]}]


def test_laptop_behind_both_identities(messages):
    laptop, home = TRUTH["owner"]["laptop"], TRUTH["owner"]["home_ip"]
    seen = set()
    for message_id in MISTAKES["laptop"]["message_ids"]:
        for message in messages[message_id]:
            hops = message.get_all("Received", [])  # a Sent copy has none; its list copy has
            if hops and hops[-1].startswith(f"from {laptop}") and home in hops[-1]:
                assert message["User-Agent"] == "NeoMutt/20231103"
                assert message["Message-ID"].endswith(f"@{laptop}>")
                seen |= addresses(message, "From")
    assert seen == {OWNER["work"], OWNER["private"]}


def test_trip_shows_the_hotel_under_two_identities(messages):
    trip = TRUTH["trip"]
    seen = set()
    for message_id in trip["message_ids"]:
        for message in messages[message_id]:
            received = " ".join(message.get_all("Received", []))
            if trip["client_ip"] in received:
                assert message["Date"].endswith(trip["timezone"])
                seen |= addresses(message, "From")
    assert seen == {OWNER["work"], OWNER["private"]}


def test_forwarding_shows_alias_to_inbox_to_providers_only(messages):
    aliases = {
        OWNER[k] for k in ("firefox_relay", "duckduckgo", "simplelogin", "catch_all_airline")
    }
    forwarded_aliases = set()
    for message_id in MISTAKES["forwarding"]["message_ids"]:
        for message in messages[message_id]:
            assert message["Delivered-To"] == OWNER["private"]
            forwarded_aliases |= addresses(message, "To") & aliases
    assert forwarded_aliases == aliases


def test_leaks_come_from_an_unrelated_sender_after_the_alias_was_given(messages):
    for leak in TRUTH["leaks"]:
        (first,) = messages[leak["first_legitimate"]]
        first_date = email.utils.parsedate_to_datetime(first["Date"])
        assert leak["alias"] in addresses(first, "To")
        assert leak["given_to"] in first.as_string()
        for message_id in leak["message_ids"]:
            (message,) = messages[message_id]
            assert leak["alias"] in addresses(message, "To")
            assert leak["leaked_to"] in message.as_string()
            assert leak["given_to"] not in message.as_string()
            assert email.utils.parsedate_to_datetime(message["Date"]) > first_date


def test_the_clean_alias_never_meets_another_identity_in_visible_headers(messages):
    clean = TRUTH["clean"][0]["alias"]
    others = set(OWNER.values()) - {clean}
    uses = 0
    for copies in messages.values():
        for message in copies:
            visible = addresses(message, "From", "To", "Cc", "Reply-To", "Sender")
            if clean in visible:
                uses += 1
                assert not visible & others
                assert "Autocrypt" not in message
    assert uses > 0


def test_readme_documents_every_mistake_and_leak():
    readme = (SAMPLE / "README.md").read_text("utf-8")
    for mistake in TRUTH["mistakes"]:
        assert f"`{mistake['id']}`" in readme
        evidence = mistake["evidence"]
        for item in evidence if isinstance(evidence, list) else [evidence]:
            assert f"`{item}`" in readme
    for leak in TRUTH["leaks"]:
        assert f"`{leak['id']}`" in readme and leak["alias"] in readme
    assert TRUTH["clean"][0]["alias"] in readme
