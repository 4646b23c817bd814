"""The words mxa's frames and findings use, in one place.

Each is a :class:`~enum.StrEnum`, so a value is its own string in a frame, in JSON and
in a comparison (``Question.SAME_PERSON == "same-person"``). Lower layers (extraction,
the store) and upper ones (linkability, findings, the CLI) import from here, never
from each other, for these names.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ALIAS_ENVELOPE_ROLES",
    "ALIAS_SERVICE_OF_ROLE",
    "DELIVERY_ROLES",
    "ENCRYPTED",
    "ENCRYPTION_CLASSES",
    "OWN_WORDS",
    "OWN_WORD_KEYS",
    "PARTY_ROLES",
    "RECEIVING_ROLES",
    "RECIPIENT_ROLES",
    "SENT",
    "DefectKind",
    "Encryption",
    "EvidenceId",
    "IdentityKind",
    "ObserverClass",
    "QuarantineCode",
    "Question",
    "Relation",
    "Said",
]


class DefectKind(StrEnum):
    """Something odd in a message that was parsed anyway (``messages.defects[].kind``)."""

    NOT_A_FIELD = "not-a-header-field"  # a header line that is no field (a stray ">From")
    NO_ADDRESS = "no-address"  # an address header with no address in it
    BAD_DATE = "unparseable-date"
    HEADER_CUT = "header-block-cut"  # the header block past its budget was left out
    FIELD_CUT = "field-cut"  # a field past its budget was cut
    HOPS_LEFT_OUT = "received-left-out"  # Received headers past their budget


class QuarantineCode(StrEnum):
    """Why a message could not be parsed (``quarantine.code``)."""

    EMPTY = "empty"
    NO_HEADER_FIELDS = "no-header-fields"
    # an Outlook item (PST, MSG) kept without the header block it arrived with: what its
    # owner sent or drafted, a generated item
    NO_TRANSPORT_HEADERS = "no-transport-headers"
    EXTRACTION_FAILED = "extraction-failed"  # a bug in mxa: the message is kept aside
    OVER_TIME = "over-time-budget"
    UNREADABLE = "unreadable"  # the file cannot be opened or decompressed at all
    UNREADABLE_FROM_HERE = "unreadable-from-here-on"  # damaged, cut, or a bomb, from here


class Encryption(StrEnum):
    """The outermost cryptographic layer of a message (``messages.encryption``)."""

    PLAINTEXT = "plaintext"
    SMIME_SIGNED = "smime_signed"
    SMIME_ENCRYPTED = "smime_encrypted"
    PGP_SIGNED = "pgp_signed"
    PGP_ENCRYPTED = "pgp_encrypted"


ENCRYPTION_CLASSES = tuple(Encryption)  # every class, in the order findings.json lists them
ENCRYPTED = (Encryption.SMIME_ENCRYPTED, Encryption.PGP_ENCRYPTED)  # bodies hidden


# -- roles: which header named an address (``participants.role``) --------------------------
PARTY_ROLES = ("from", "to", "cc")  # the people a message is between, as everyone sees them
RECIPIENT_ROLES = ("to", "cc", "bcc")  # whom the sender addressed
# headers the receiving side writes: the mailbox a provider delivered the message to
RECEIVING_ROLES = ("delivered-to", "x-original-to", "envelope-to", "x-forwarded-to")
# headers an alias service writes with the alias it forwarded for (role → service)
ALIAS_SERVICE_OF_ROLE = {
    "x-simplelogin-envelope-to": "simplelogin",
    "x-anonaddy-original-to": "addy.io",
    "duck-original-to": "duckduckgo",
}
ALIAS_ENVELOPE_ROLES = tuple(ALIAS_SERVICE_OF_ROLE)
# every header that names the address a message was delivered to
DELIVERY_ROLES = (*RECIPIENT_ROLES, *RECEIVING_ROLES, *ALIAS_ENVELOPE_ROLES)

# -- folders: the role of the folder a message was filed in (``messages.folder_role``) ----
# never the folder's name, which can name people and matters (analyzer.extract.folders)
SENT = "sent"  # a sent folder, or one the IMAP server marks \Sent: mail the mailbox sent


# a dataclass field's metadata, or a document's key, for mxa's own prose (a section title,
# what an evidence kind reads, a fix): words a redacted copy keeps as they are
OWN_WORDS = {"own_words": True}
OWN_WORD_KEYS = frozenset({"title", "reads", "fix", "how", "claim"})


class Said(str):
    """A sentence of mxa's own words with values from mail in it (addresses, domains,
    names): it reads as the whole sentence, and a redacted copy replaces the values and
    keeps the words. ``words`` holds ``{0}``, ``{1}``… where the values go."""

    words: str
    values: tuple[str, ...]

    def __new__(cls, words: str, values: tuple[str, ...] | list[str] = ()) -> Said:
        said = super().__new__(cls, words.format(*values) if values else words)
        said.words, said.values = words, tuple(values)
        return said

    def __reduce__(self):  # a copy or a pickle keeps the words and the values apart
        return Said, (self.words, self.values)


class Relation(StrEnum):
    """Whose addresses a pair joins (``pairs[].relation``)."""

    OWNER = "owner"  # two of the owner's
    SUGGESTION = "suggestion"  # one of the owner's and another that may be theirs
    OTHERS = "others"  # two of other people's


class IdentityKind(StrEnum):
    """What one of the owner's addresses is; an alias's service is a field of its own."""

    PRIMARY = "primary"  # the mailbox the others deliver to, or the one most used
    MAILBOX = "mailbox"  # another mailbox at a public provider
    SUBADDRESS = "subaddress"  # a mailbox with a tag (+shop, Yahoo's -news)
    ALIAS = "alias"  # at an alias service, which forwards to a mailbox
    CATCH_ALL = "catch-all"  # at a domain of the owner's where every address reaches them
    CUSTOM_DOMAIN = "custom-domain"  # at a domain only the owner uses
    WORK = "work"  # at an organisation's domain other people there use too
    DISPOSABLE = "disposable"  # at a throwaway-mail domain


class EvidenceId(StrEnum):
    """What ties two addresses (``links[].evidence``, ``evidence[].id``)."""

    CO_RECIPIENT = "co-recipient"
    THREAD = "thread"
    REPLY_TO = "reply-to"
    SENDER = "sender"
    FORWARDING = "forwarding"
    SUBADDRESS = "subaddress"
    SMIME_CERTIFICATE = "smime-certificate"
    PGP_KEY = "pgp-key"
    AUTOCRYPT = "autocrypt"
    DISPLAY_NAME = "display-name"
    LOCAL_PART = "local-part"
    CLIENT_IP = "client-ip"
    MESSAGE_ID_HOST = "message-id-host"
    CLIENT_FINGERPRINT = "client-fingerprint"
    SOCIAL_OVERLAP = "social-overlap"
    TIMING = "timing"


class ObserverClass(StrEnum):
    """Who can see a piece of evidence, from the most to the least visible."""

    CORRESPONDENTS = "correspondents"
    PROVIDERS = "providers"
    INFERENCE = "inference"


class Question(StrEnum):
    """The two questions linkability answers, never mixed."""

    SAME_PERSON = "same-person"
    KNOWN_TOGETHER = "known-together"
