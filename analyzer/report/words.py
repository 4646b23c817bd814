"""The report's words for what the analysis names by id: kinds of evidence and who can
tell. A reader meets these; ids, levels and scores by class stay in findings.json."""

from __future__ import annotations

from analyzer.vocabulary import EvidenceId, ObserverClass

__all__ = [
    "ARCHIVE_OBSERVER_NAMES",
    "ARCHIVE_OBSERVER_WORDS",
    "EVIDENCE_NAMES",
    "OBSERVER_NAMES",
    "OBSERVER_WORDS",
]

# each kind of evidence, as a table cell says it
EVIDENCE_NAMES: dict[str, str] = {
    EvidenceId.CO_RECIPIENT: "both addressed at once",
    EvidenceId.THREAD: "a reply from the other",
    EvidenceId.REPLY_TO: "Reply-To",
    EvidenceId.SENDER: "Sender or Return-Path",
    EvidenceId.FORWARDING: "forwarding",
    EvidenceId.SUBADDRESS: "a tag of one mailbox",
    EvidenceId.SMIME_CERTIFICATE: "one S/MIME certificate",
    EvidenceId.PGP_KEY: "one OpenPGP key",
    EvidenceId.AUTOCRYPT: "one Autocrypt key",
    EvidenceId.DISPLAY_NAME: "the same name",
    EvidenceId.LOCAL_PART: "the same user name",
    EvidenceId.CLIENT_IP: "the same IP address",
    EvidenceId.MESSAGE_ID_HOST: "the same computer name",
    EvidenceId.CLIENT_FINGERPRINT: "the same mail program",
    EvidenceId.SOCIAL_OVERLAP: "the same correspondents",
    EvidenceId.TIMING: "the same hours",
}
# who can tell, in a few words (OBSERVER_WORDS says each at length)
OBSERVER_NAMES: dict[str, str] = {
    ObserverClass.CORRESPONDENTS: "your correspondents",
    ObserverClass.PROVIDERS: "mail providers",
    ObserverClass.INFERENCE: "anyone comparing",
}
# in an archive of many people's mail nobody is "you": who can tell about its people
ARCHIVE_OBSERVER_NAMES: dict[str, str] = {
    ObserverClass.CORRESPONDENTS: "their correspondents",
    ObserverClass.PROVIDERS: "mail providers",
    ObserverClass.INFERENCE: "anyone comparing",
}

# who each observer class is, at length: the verdict's sentences and "How to read"
OBSERVER_WORDS = {
    "correspondents": "people you wrote to or heard from",
    "providers": "your mail providers and the servers in between",
    "inference": "anyone who holds enough of your mail to compare it",
}
ARCHIVE_OBSERVER_WORDS = {
    "correspondents": "people who wrote to them or heard from them",
    "providers": "their mail providers and the servers in between",
    "inference": "anyone who holds enough of this mail to compare it",
}
