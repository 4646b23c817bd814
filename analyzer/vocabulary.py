"""The words mxa's frames and findings use, in one place.

Each is a :class:`~enum.StrEnum`, so a value is its own string in a frame, in JSON and
in a comparison (``Question.SAME_PERSON == "same-person"``). Lower layers (extraction,
the store) and upper ones (linkability, findings, the CLI) import from here, never
from each other, for these names.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DefectKind", "Encryption", "ObserverClass", "QuarantineCode", "Question"]


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


class ObserverClass(StrEnum):
    """Who can see a piece of evidence, from the most to the least visible."""

    CORRESPONDENTS = "correspondents"
    PROVIDERS = "providers"
    INFERENCE = "inference"


class Question(StrEnum):
    """The two questions linkability answers, never mixed."""

    SAME_PERSON = "same-person"
    KNOWN_TOGETHER = "known-together"
