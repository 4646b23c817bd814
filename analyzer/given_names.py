"""Given names and their nicknames: which words people go by.

One table (the ``nicknames`` package's name triplets, bundled offline) serves both the
linkability rules, which compare display names, and owner detection, which reads the
owner's name out of their user names. It sits below both, so neither imports the other.
"""

from __future__ import annotations

from functools import cache

__all__ = ["is_given_name", "nicknames_of", "same_given_name"]


@cache
def _nicknames() -> dict[str, frozenset[str]]:
    from nicknames import name_triplets

    related: dict[str, set[str]] = {}
    for triplet in name_triplets():
        related.setdefault(triplet.name1, set()).add(triplet.name2)
        related.setdefault(triplet.name2, set()).add(triplet.name1)
    return {name: frozenset(others) for name, others in related.items()}


def is_given_name(word: str) -> bool:
    """A common given name or nickname ("john", "chad", "mike"): many people's user name."""
    return word in _nicknames()


def nicknames_of(word: str) -> frozenset[str]:
    """The names ``word`` is a nickname of, or the nicknames of it (bob ↔ robert)."""
    return _nicknames().get(word, frozenset())


def same_given_name(short: str, given: str) -> bool:
    """Whether ``short`` is a way to write ``given``: itself, its start (stan, chris), or a
    nickname (bob for robert). An initial is no given name here."""
    if len(short) < 3:
        return False
    return short == given or given.startswith(short) or short in nicknames_of(given)
