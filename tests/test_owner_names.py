"""The owner's other addresses, by the name in them (issue 24: owners of personal
mailboxes): a home address that writes to the owner, a second user name at their own
organisation. Relatives share the family name, not the given name or its initial.

Real mail: FIT Enron owners only (dorland-c, giron-d); the held-out owners are measured
by evaluation/mailboxes.py, never read here.
"""

from __future__ import annotations

import lzma
import mailbox
import shutil

import pytest

from analyzer.ingest import ingest
from analyzer.owner import detect_owner
from analyzer.owner_names import named_like, names_in_user_names
from analyzer.store import load_frames
from tests.conftest import make_message
from tests.real_mail import FIT_ENRON_OWNERS


@pytest.mark.parametrize(
    ("address", "names"),
    [
        ("cdorland@hotmail.com", ("chris", "dorland")),  # initial and family name
        ("chrisdorland@msn.com", ("chris", "dorland")),  # run together
        ("chris.dorland@msn.com", ("chris", "dorland")),
        ("dgiron1@houston.rr.com", ("darron", "giron")),  # digits after it
        ("darron.c.giron@enron.com", ("darron", "giron")),  # a middle initial
        ("haysletr@flash.net", ("rod", "hayslett")),  # cut to eight letters
        ("rhaysle@enron.com", ("rod", "hayslett")),  # cut to seven
        ("stan.horton@enron.com", ("stanley", "horton")),  # a short given name
        ("stan_horton@eott.com", ("stanley", "horton")),
        ("bob.smith@example.org", ("robert", "smith")),  # a nickname
        ("horton.stanley@example.org", ("stanley", "horton")),  # family name first
    ],
)
def test_a_user_name_written_from_the_owners_name(address, names):
    assert named_like(address, {names})


@pytest.mark.parametrize(
    ("address", "names"),
    [
        ("cgiron@mindspring.com", ("darron", "giron")),  # Carlos Giron, a relative
        ("dan.dorland@enron.com", ("chris", "dorland")),  # his brother
        ("kentdorland@yahoo.com", ("chris", "dorland")),
        ("wcash@houston.rr.com", ("michelle", "cash")),  # Trey Cash
        ("tana.cashion@enron.com", ("michelle", "cash")),  # a colleague's longer surname
        ("khortongolf@aol.com", ("stanley", "horton")),  # more after the name
        ("hortonscha@aol.com", ("stanley", "horton")),
        ("sd@example.org", ("sam", "d")),  # too short to say anything
        ("s4neal@example.org", ("scott", "neal")),  # digits inside: a machine's name
    ],
)
def test_a_user_name_that_is_someone_elses(address, names):
    assert not named_like(address, {names})


def test_only_user_names_with_a_given_and_a_family_name_give_names():
    found = names_in_user_names(["chris.dorland@enron.com", "c..giron@enron.com", "horton@x.org"])
    assert found == {("chris", "dorland")}


def _mailbox(path, messages: list[bytes], sent: set[int]) -> None:
    """A Maildir with an INBOX and a Sent folder, as Thunderbird or Dovecot keep it."""
    box = mailbox.Maildir(path, create=True)
    outbox = box.add_folder("Sent")
    for number, data in enumerate(messages):
        (outbox if number in sent else box).add(mailbox.MaildirMessage(data))


def test_a_home_address_that_writes_to_the_owner_is_theirs_a_relatives_is_not(tmp_path):
    work = "Jane Doe <jane.doe@work.example>"
    messages = [
        make_message(sender=work, to="bob@client.example", message_id=f"<s{n}@work.example>",
                     date=f"Tue, {n + 1} Mar 2023 10:00:00 +0100")
        for n in range(6)
    ] + [
        # she sends herself a link from home
        make_message(sender="jdoe77@gmail.com", to="jane.doe@work.example",
                     message_id="<h1@gmail.com>"),
        # her brother writes to her, and a cousin with her initial writes to someone else
        make_message(sender="John Doe <john.doe@gmail.com>", to="jane.doe@work.example",
                     message_id="<b1@gmail.com>"),
        make_message(sender="bob@client.example", to="jane.doe@work.example",
                     extra="Cc: Jenny Doe <jdoe@client.example>", message_id="<c1@client>"),
    ]  # fmt: skip
    _mailbox(tmp_path / "mail", messages, sent=set(range(6)))
    ingest([tmp_path / "mail"], tmp_path / "store", jobs=1)
    owner = detect_owner(load_frames(tmp_path / "store"))
    assert set(owner.identities) == {"jane.doe@work.example", "jdoe77@gmail.com"}
    assert "named like the owner" in owner.how


def _enron_store(corpora, name: str, folder):
    assert name in FIT_ENRON_OWNERS, f"{name}'s mailbox is held out for the evaluation"
    path = folder / f"{name}.mbox"
    with lzma.open(corpora / "personal-enron" / f"{name}.mbox.xz") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    ingest([path], folder / "store", jobs=1)
    return folder / "store"


def test_enron_home_addresses_are_the_owners_and_the_family_is_not(corpora, tmp_path):
    """Darron Giron forwards to dgiron1@houston.rr.com and dgiron1@pdq.net from work; mail
    from outside reaches him as darron.c.giron@. His wife, brother and father are Girons
    who write to him (kristi.giron@, carlos.giron@, cgiron@mindspring.com)."""
    owner = detect_owner(load_frames(_enron_store(corpora, "giron-d", tmp_path)))
    found = set(owner.identities)
    assert {"dgiron1@houston.rr.com", "dgiron1@pdq.net", "darron.c.giron@enron.com"} <= found
    relatives = {"kristi.giron@cfisd.net", "carlos.giron@psiusa.com", "cgiron@mindspring.com",
                 "ronniegiron@yahoo.com"}  # fmt: skip
    assert not found & relatives


def test_a_broken_address_named_like_the_owner_is_none_of_theirs(tmp_path):
    """Two addresses run together in a To header, or a domain cut short, reach nobody."""
    work = "Jane Doe <jane.doe@work.example>"
    messages = [
        make_message(sender=work, to=to, message_id=f"<s{n}@work.example>")
        for n, to in enumerate(
            ["bob@client.example"] * 4 + ["jane.doe@work.exa", "jdoe7@home.net.bob"]
        )
    ]
    _mailbox(tmp_path / "mail", messages, sent=set(range(6)))
    ingest([tmp_path / "mail"], tmp_path / "store", jobs=1)
    assert detect_owner(load_frames(tmp_path / "store")).identities == ("jane.doe@work.example",)
