"""Aliases: what each identity is, which service leaked it, and what aliases would change.

:func:`identity_kinds` names each of the owner's addresses (primary, tag, alias, catch-all,
work, disposable); :func:`find_leaks` finds whom each was given to and who else wrote to it.
"""

from analyzer.aliases.kinds import KINDS, identity_kinds, is_disposable, kind_of
from analyzer.aliases.leaks import Exposure, Leak, find_leaks
from analyzer.aliases.senders import BULK_PLATFORMS, Sender, organisation_of, original_sender

__all__ = [
    "BULK_PLATFORMS",
    "KINDS",
    "Exposure",
    "Leak",
    "Sender",
    "find_leaks",
    "identity_kinds",
    "is_disposable",
    "kind_of",
    "organisation_of",
    "original_sender",
]
