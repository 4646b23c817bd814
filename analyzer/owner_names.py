"""The owner's other addresses, by the name in them: a home address, an old user name.

Sent mail and the receiving headers find the mailbox's own addresses. Yet people write to
themselves from home (``cdorland@hotmail.com`` to ``chris.dorland@enron.com``), forward
work there (``haysletr@flash.net``), and get mail at a second user name of their own
organisation (``stan.horton@`` beside ``stanley.horton@``). Such an address is the
owner's when two things hold at once:

- its user name is written the way people write their own name into one: the given and
  family names of the owner's user names (``chris.dorland``), whole, by initial
  (``cdorland``), by nickname (``stan.horton``), with a middle initial, cut to the seven
  or eight letters old systems allowed (``haysletr``), with digits after it (``dgiron1``);
- and mail passes between it and the owner: it writes to the owner, the owner writes to
  it, or mail from or to it lands in the owner's mailbox though it names none of the
  owner's known addresses.

A relative shares the family name, not the given name or its initial (``cgiron@`` for a
Carlos beside Darron Giron); a colleague who shares the whole name rarely also writes to
the owner under it. A bare initial (``c..giron``) names no given name and gives no form.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable

import pandas as pd

from analyzer.addressing import domain_of, has_known_suffix
from analyzer.frames import key_mask
from analyzer.given_names import same_given_name
from analyzer.mailing_lists import is_list_role_address

__all__ = [
    "MIN_NAME_LETTERS",
    "MIN_USER_NAME_LETTERS",
    "named_like",
    "named_like_owner",
    "names_in_user_names",
]

# a given or family name shorter than this is an initial or a syllable, not a name
MIN_NAME_LETTERS = 2
# a shorter user name ("jd", "sdo") fits too many people to be the owner's by its shape
MIN_USER_NAME_LETTERS = 4
# old systems cut user names to this many letters ("haysletr" for r + Hayslett)
_CUT_LENGTHS = (7, 8)
_SEPARATORS = re.compile(r"[._\-+]+")
_TRAILING_DIGITS = re.compile(r"\d+$")
_LETTERS = re.compile(r"[a-z]+")
_PARTY_ROLES = ("from", "to", "cc")


def _tokens(local: str) -> list[str] | None:
    """A user name's words, trailing digits gone (dgiron1); None when digits or other
    characters sit inside it (a machine's name, not a person's)."""
    words = _SEPARATORS.split(_TRAILING_DIGITS.sub("", local.lower()))
    words = [w for w in words if w]
    return words if words and all(_LETTERS.fullmatch(w) for w in words) else None


def names_in_user_names(addresses: Iterable[str]) -> frozenset[tuple[str, str]]:
    """(given, family) names the owner's user names spell out: ``chris.dorland`` gives
    (chris, dorland); ``horton`` and ``c..giron`` give none."""
    names = set()
    for address in addresses:
        words = _tokens(address.rpartition("@")[0])
        if words and len(words) >= 2:
            given, family = words[0], words[-1]
            if len(given) >= MIN_NAME_LETTERS and len(family) >= MIN_NAME_LETTERS:
                names.add((given, family))
    return frozenset(names)


def _cut(initials: str, family: str) -> set[str]:
    """An initial (or two) and a family name cut to an old system's length, both ways."""
    cut = set()
    for length in _CUT_LENGTHS:
        keep = length - len(initials)
        if len(initials) + len(family) > length and keep >= 5:
            cut |= {initials + family[:keep], family[:keep] + initials}
    return cut


def _one_word(compact: str, given: str, family: str) -> bool:
    """A user name of one word: cdorland, chrisdorland, dorlandc, haysletr, cddorlan."""
    initial = given[0]
    forms = {given + family, family + given, initial + family, family + initial}
    if compact in forms | _cut(initial, family):
        return True
    # a middle initial after the first ("cddorland"), maybe cut ("cddorlan")
    initials = compact[:2]
    return compact[0] == initial and (compact[2:] == family or compact in _cut(initials, family))


def _words_written(words: list[str], given: str, family: str) -> bool:
    """A user name of two words, or three with a middle initial: stan.horton, darron.c.giron,
    horton.stanley."""
    if not (len(words) == 2 or (len(words) == 3 and len(words[1]) == 1)):
        return False
    first, last = words[0], words[-1]
    return (last == family and same_given_name(first, given)) or (
        first == family and same_given_name(last, given)
    )


def _written(words: list[str], given: str, family: str) -> bool:
    """Whether one person's way of writing (given, family) into a user name gives these."""
    return _one_word("".join(words), given, family) or _words_written(words, given, family)


def named_like(address: str, names: Collection[tuple[str, str]]) -> bool:
    """Whether ``address``'s user name writes one of the owner's ``names``.

    >>> named_like("cdorland@hotmail.com", {("chris", "dorland")})
    True
    >>> named_like("cgiron@mindspring.com", {("darron", "giron")})
    False
    """
    words = _tokens(address.rpartition("@")[0])
    if not words or len("".join(words)) < MIN_USER_NAME_LETTERS:
        return False
    return any(_written(words, given, family) for given, family in names)


def named_like_owner(
    messages: pd.DataFrame,
    people: pd.DataFrame,
    owner: Collection[str],
    sent: Collection[str],
    lists: Collection[str],
) -> Counter[str]:
    """Addresses named like the ``owner``'s user names that mail passes between and the
    owner, each with the messages that show it (see the module's doc).

    ``sent`` holds the keys of the owner's sent mail; ``lists`` the archive's lists.
    """
    names = names_in_user_names(owner)
    if not names:
        return Counter()
    owner = set(owner)
    every = people["address"].dropna().astype(object).unique()
    candidates = {
        a
        for a in every
        if a not in owner
        and a not in lists
        and not is_list_role_address(a)
        and named_like(a, names)
        and has_known_suffix(domain_of(a))  # not a mistyped or broken address
    }
    if not candidates:
        return Counter()
    parties = people[people["role"].astype(object).isin(_PARTY_ROLES).to_numpy()]
    is_owner = parties["address"].isin(owner).to_numpy()
    is_from = (parties["role"].astype(object) == "from").to_numpy()
    from_owner = set(parties.loc[is_owner & is_from, "message_key"]) | set(sent)
    to_owner = set(parties.loc[is_owner & ~is_from, "message_key"])
    theirs = parties[parties["address"].isin(candidates).to_numpy()]
    keys = theirs["message_key"]
    sends = (theirs["role"].astype(object) == "from").to_numpy()
    shown = (
        (sends & key_mask(keys, to_owner))  # it writes to the owner
        | (~sends & key_mask(keys, from_owner))  # the owner writes to it
        # it is in mail that names none of the owner's addresses, yet lands here
        | ~key_mask(keys, from_owner | to_owner)
    )
    return Counter(theirs.loc[shown, "address"])
