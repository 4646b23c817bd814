"""Address fields: From, To, Cc and every other role that names a mailbox."""

from __future__ import annotations

import re
from email.utils import getaddresses

from analyzer.extract.headers import collapse_spaces, decode_words

__all__ = ["ADDRESS_ROLES", "normalise_address", "parse_address_list"]

# header name -> role in the participants frame. Order is the order of the frame.
ADDRESS_ROLES: dict[str, str] = {
    "from": "from",
    "to": "to",
    "cc": "cc",
    "bcc": "bcc",
    "reply-to": "reply-to",
    "sender": "sender",
    "return-path": "return-path",
    "delivered-to": "delivered-to",
    "x-original-to": "x-original-to",
    "x-forwarded-to": "x-forwarded-to",
    "x-forwarded-for": "x-forwarded-for",
    "envelope-to": "envelope-to",
    "resent-from": "resent-from",
    "resent-sender": "resent-sender",
    "resent-to": "resent-to",
    "resent-cc": "resent-cc",
    "resent-bcc": "resent-bcc",
    "resent-reply-to": "resent-reply-to",
    # alias services name the alias a forwarded message was sent to
    "x-simplelogin-envelope-to": "x-simplelogin-envelope-to",
    "x-anonaddy-original-to": "x-anonaddy-original-to",
    "duck-original-to": "duck-original-to",
    # ... and who sent it before they rewrote From (whom a leaked alias was given to)
    "x-simplelogin-original-from": "x-simplelogin-original-from",
    "x-simplelogin-envelope-from": "x-simplelogin-envelope-from",
    "x-anonaddy-original-sender": "x-anonaddy-original-sender",
    "x-anonaddy-original-from-header": "x-anonaddy-original-from-header",
    "x-anonaddy-original-envelope-from": "x-anonaddy-original-envelope-from",
    "duck-original-from": "duck-original-from",
}


# One list item in the shapes nearly all mail uses: ``addr``, ``<addr>``,
# ``Name <addr>``, ``"Name, Quoted" <addr>``. Anything else (comments, groups,
# route addresses, broken quoting) goes to ``email.utils.getaddresses``.
_SIMPLE_ITEM = re.compile(
    r'[\s,]*(?:(?:"((?:[^"\\]|\\.)*)"|([^",<>()\[\]:;@\\]*?))\s*<([^<>()\s,;:"\\]*)>'
    r'|([^\s",<>()\[\]:;\\]+))\s*(?:,|$)'
)
_ADDR_SPEC = re.compile(r"[\w.+\-=!#$%&'*/?^`{|}~]+@[\w.\-]+")
_QUOTED_PAIR = re.compile(r"\\(.)")
_NOT_IN_ADDRESS = re.compile(r"[\s<>,;]")


def _simple_items(value: str) -> list[tuple[str, str]] | None:
    items = []
    position, end = 0, len(value)
    while position < end:
        match = _SIMPLE_ITEM.match(value, position)
        if match is None:
            if not value[position:].strip(" \t,"):
                break
            return None
        quoted, plain, bracketed, bare = match.groups()
        if bracketed is not None:
            name = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else plain
            items.append((name.strip(), bracketed))
        else:
            items.append(("", bare))
        position = match.end()
    return items


def _top_level_items(value: str) -> list[str]:
    """The list split at commas outside quotes, angle brackets and comments; one pass."""
    items, start = [], 0
    quoted = escaped = False
    angle = comment = 0
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or comment):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"' and not comment:
            quoted = True
        elif char == "(":
            comment += 1
        elif char == ")" and comment:
            comment -= 1
        elif comment:
            continue
        elif char == "<":
            angle += 1
        elif char == ">" and angle:
            angle -= 1
        elif char == "," and not angle:
            items.append(value[start:index])
            start = index + 1
    items.append(value[start:])
    return [item for item in items if item.strip()]


def _rfc_items(item: str) -> list[tuple[str, str]]:
    """One list item as RFC 5322 reads it, or as people wrote it where that fails.

    A display name with unquoted specials (``Eve [work] <eve@x.org>``) is no phrase:
    ``getaddresses`` splits it into bogus mailboxes (``eve``, ``work``). One item names
    one mailbox, so when the parser makes more of it, the bracketed address wins with the
    text before it as the name, or else the parts that are addresses.
    """
    try:
        found = [(n, a) for n, a in getaddresses([item]) if a]
    except RecursionError:
        # the stdlib parser recurses once per group; hostile lists exhaust the stack
        found = [("", address) for address in _ADDR_SPEC.findall(item)]
    if len(found) <= 1:
        return found
    text = item.strip()
    opening = text.rfind("<")
    if text.endswith(">") and opening >= 0:
        return [(text[:opening].strip().strip('"'), text[opening + 1 : -1])]
    return [(name, address) for name, address in found if "@" in address]


def normalise_address(address: str) -> str:
    """Lower-cased addr-spec without angle brackets, quotes or ``mailto:``.

    What the parsers hand over from broken quoting (``x@y.org>;``) is cut to the
    addr-spec in it, or to nothing when there is none.
    """
    address = address.strip().strip("<>").strip()
    if address[:7].lower() == "mailto:":
        address = address[7:]
    if _NOT_IN_ADDRESS.search(address):
        found = _ADDR_SPEC.search(address)
        address = found.group() if found else ""
    return address.lower()


def parse_address_list(value: str) -> list[tuple[str, str | None]]:
    """``[(address, display_name)]`` for one header value, bad entries dropped.

    Group syntax (``undisclosed-recipients:;``) yields nothing; a display name in
    RFC 2047 encoded words is decoded. ``email.utils.getaddresses`` does the
    RFC 5322 parsing: it is correct on comments, quoting and groups, which a
    regular expression is not.
    """
    if not value:
        return []
    pairs = []
    items = _simple_items(value)
    if items is None:
        items = [pair for item in _top_level_items(value) for pair in _rfc_items(item)]
    for name, address in items:
        if " " in address.strip():  # "mailing list x@y" (ezmlm), "Jane Doe jane@x.org"
            words = address.split()
            specs = [w for w in words if "@" in w]
            if not specs:
                continue
            address = specs[-1]
            name = name or " ".join(w for w in words if w != address)
        address = normalise_address(address)
        if not address or address == "@":
            continue
        display = collapse_spaces(decode_words(name)) if name else None
        pairs.append((address, display or None))
    return pairs
