"""The evidence catalog: each rule, what it speaks to, and the words linkability answers in.

Every rule of the catalog (docs/findings.md) is a function in :mod:`.deterministic` or
:mod:`.fingerprints` that yields :class:`~analyzer.linkability.context.Evidence`; its
levels, strongest first, are what an observer may see of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from analyzer.linkability import deterministic, fingerprints
from analyzer.linkability.context import Evidence
from analyzer.vocabulary import EvidenceId, ObserverClass, Question

__all__ = [
    "CATALOG",
    "CLAIM",
    "KNOWN_TOGETHER",
    "SAME_PERSON",
    "SUGGEST",
    "VISIBILITY_ORDER",
    "Rule",
]

VISIBILITY_ORDER = tuple(ObserverClass)  # from the most to the least visible
SAME_PERSON = Question.SAME_PERSON
KNOWN_TOGETHER = Question.KNOWN_TOGETHER
CLAIM = 0.5  # a pair at or above this score is claimed to be one person
SUGGEST = 0.2  # an address is suggested as the owner's from this score ("weak" and up)


@dataclass(frozen=True)
class Rule:
    """One kind of evidence: how sure it is, which question it answers, and its function."""

    evidence: EvidenceId
    strength: str  # deterministic | probabilistic
    question: Question
    levels: tuple[str, ...]  # strongest first
    function: Callable[..., Iterable[Evidence]]
    summary: str
    # compares candidate pairs instead of blocking on a value, at most one piece per pair
    pairwise: bool = False


_D, _P = "deterministic", "probabilistic"
_E = EvidenceId
CATALOG: tuple[Rule, ...] = (
    Rule(_E.CO_RECIPIENT, _D, KNOWN_TOGETHER, ("shown", "bcc"), deterministic.co_recipient,
         "two identities in To/Cc/Bcc of one message"),
    Rule(_E.THREAD, _D, KNOWN_TOGETHER, ("answered",), deterministic.thread,
         "a thread that reached one identity answered from another"),
    Rule(_E.REPLY_TO, _D, SAME_PERSON, ("reply-to",), deterministic.reply_to,
         "Reply-To names another address than From"),
    Rule(_E.SENDER, _D, SAME_PERSON, ("sender", "return-path"), deterministic.sender,
         "Sender or envelope Return-Path differs from From"),
    Rule(_E.FORWARDING, _D, SAME_PERSON, ("delivered-to", "x-forwarded-to"),
         deterministic.forwarding,
         "Delivered-To / X-Original-To / alias-service headers show alias → mailbox"),
    Rule(_E.SUBADDRESS, _D, SAME_PERSON, ("tag", "spelling"), deterministic.subaddress,
         "user+tag@ is user@ under the provider's rules"),
    Rule(_E.SMIME_CERTIFICATE, _D, SAME_PERSON, ("names-both", "signs-for-other", "same-key"),
         deterministic.smime_certificate,
         "a signer certificate naming several addresses, or one certificate under two"),
    Rule(_E.PGP_KEY, _D, SAME_PERSON, ("same-key",), deterministic.pgp_key,
         "one OpenPGP key id (recipient or signer) under two addresses"),
    Rule(_E.AUTOCRYPT, _D, SAME_PERSON, ("same-key",), deterministic.autocrypt,
         "one Autocrypt key under two addr values"),
    Rule(_E.DISPLAY_NAME, _P, SAME_PERSON,
         ("full-name", "name-variant", "single-word", "first-name"), fingerprints.display_name,
         "the same personal name, or a variant of it, on two addresses"),
    Rule(_E.LOCAL_PART, _P, SAME_PERSON,
         ("same-organisation", "same", "given-name", "names-differ"), fingerprints.local_part,
         "the same user name before the @ at two domains, or at two domains of one organisation"),
    Rule(_E.CLIENT_IP, _P, SAME_PERSON, ("client-ip", "shared-egress"), fingerprints.client_ip,
         "the same public client address in the first hop"),
    Rule(_E.MESSAGE_ID_HOST, _P, SAME_PERSON, ("machine-name",), fingerprints.message_id_host,
         "the same machine name after the @ of the Message-ID"),
    Rule(_E.CLIENT_FINGERPRINT, _P, SAME_PERSON, ("rare", "common", "colleagues"),
         fingerprints.client_fingerprint, "the same mail client build in the same time zone"),
    Rule(_E.SOCIAL_OVERLAP, _P, SAME_PERSON, ("high", "medium", "low"),
         fingerprints.social_overlap, "the same rare correspondents", pairwise=True),
    Rule(_E.TIMING, _P, SAME_PERSON, ("alike", "similar"), fingerprints.timing,
         "the same local sending hours", pairwise=True),
)  # fmt: skip
_RULE = {rule.evidence: rule for rule in CATALOG}  # evidence id → its rule
