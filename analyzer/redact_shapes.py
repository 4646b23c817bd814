"""The shapes redaction looks for in free text: addresses, UUCP paths, IP addresses, host
names (and those that spell an IP address), message keys and dates with times.

The patterns are read in one pass (:data:`SHAPES`) and none of them backtracks over a long
hostile line: each starts where its characters start, and the open-ended parts are
possessive. :mod:`analyzer.redact` decides what each match becomes.
"""

from __future__ import annotations

import re

__all__ = ["SHAPES", "cuts_word", "embeds_ip", "to_the_hour"]

# an address, also one whose domain has no dot (raju@bhairavi, from old local mail); it
# starts where its characters start, so a long line without an @ is read once, not once a
# character
_EMAIL = re.compile(
    r"(?<![\w.+\-=!#$%&'*/?^`{|}~])[\w.+\-=!#$%&'*/?^`{|}~]+@[\w\-]+(?:\.[\w\-]+)*", re.ASCII
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# candidates only: ip() keeps what is no valid address (a time such as 10:30:00)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[Ii][Pp][Vv]6:)?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"
)  # with the IPv6: tag of an address literal ([IPv6:2001:db8::1] in a HELO)
# a host name, underscores and all; not the local part of an address (followed by @); from
# its first label only, so that a line of a.a.a.a… is not read again from every label
_HOST = re.compile(r"(?<![\w\-.])(?:[\w\-]+\.)+[A-Za-z]{2,24}(?![\w\-@])", re.ASCII)
# a machine name with no dot right after an @, as in a Message-ID shown <…@ganymede>
_BARE_AFTER_AT = re.compile(r"(?<=@)[\w\-]{2,63}(?![\w\-.@])", re.ASCII)
# a UUCP path, host!host!user: the user at the last host, as an address says it
# (possessive: a hostile line of a!a!a!… is read once, never backtracked over)
_UUCP = re.compile(
    r"(?<![\w!.\-%])[A-Za-z0-9][\w\-]*+(?:\.[\w\-]++)*+"
    r"(?:![\w\-%+=]++(?:\.[\w\-%+=]++)*+)++(?![!@%])",
    re.ASCII,
)
# a machine name with no dot that may spell an IP address (c-73-47-72-35, host-49-2f-48-23)
_DASHED = re.compile(
    r"(?<![\w\-.])(?=[\w\-]*?(?:[0-9A-Fa-f]{1,4}-){3}[0-9A-Fa-f])[\w\-]++(?!\.\w)", re.ASCII
)
# a message key (16 hex digits), replaced when it is one of the store's
_KEY = re.compile(r"(?<![\w\-.])[0-9a-f]{16}(?![\w\-])")
# a date and time as mxa writes it (2024-01-11 17:30, 2024-01-11T17:30:45+00:00) or a Date
# header does (11 Jan 2024 17:30:45): cut to the hour
_TIME = re.compile(
    r"(?<!\d)(?:\d{4}-\d\d-\d\d[T ]|\d{1,2} [A-Z][a-z]{2} \d{2,4} )"
    r"\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?(?!\d)"
)
_CLOCK = re.compile(r"(?P<hour>\d{1,2}):\d\d(?P<seconds>:\d\d(?:\.\d+)?)?$")
# one pass, times and addresses first: a host name or IP address inside an address is the
# address's; a dashed machine name is one when no dotted name contains it
SHAPES = re.compile(
    "|".join(f"(?P<{name}>{pattern.pattern})" for name, pattern in
             (("time", _TIME), ("email", _EMAIL), ("uucp", _UUCP), ("ipv4", _IPV4),
              ("ipv6", _IPV6), ("host", _HOST), ("dashed", _DASHED), ("bare", _BARE_AFTER_AT),
              ("key", _KEY)))
)  # fmt: skip
# the forms in which host names spell an IP address (embeds_ip)
_DECIMAL_QUAD = re.compile(r"(?<!\d)(\d{1,3})[-._](\d{1,3})[-._](\d{1,3})[-._](\d{1,3})(?!\d)")
_DECIMAL_RUN = re.compile(r"(?<!\d)\d{12}(?!\d)")  # pool-073047072035
_HEX_QUAD = re.compile(r"(?<![0-9a-f])(?:[0-9a-f]{2}[-.]){3}[0-9a-f]{2}(?![0-9a-f])")
_HEX_RUN = re.compile(r"(?<![0-9a-f])(?=[a-f]*\d)[0-9a-f]{8}(?![0-9a-f])")  # p5B0A1C2D.dip0
_HEX_V6 = re.compile(r"(?<![0-9a-f])(?:[0-9a-f]{1,4}-{1,2}){4,7}[0-9a-f]{1,4}(?![0-9a-f])")


def to_the_hour(found: str) -> str:
    """A date and time (a ``time`` match) cut to its hour: ``17:30:45`` → ``17:00:00``."""
    clock = _CLOCK.search(found)
    if clock is None:
        return found
    return found[: clock.start()] + f"{clock['hour']}:00" + (":00" if clock["seconds"] else "")


def embeds_ip(name: str) -> bool:
    """Whether a (lower-cased) host name spells an IPv4 address, in any of the ways reverse
    DNS does: ``c-73-47-72-35``, ``73.47.72.35.dyn``, ``35.72.47.73.in-addr``,
    ``pool-073047072035``, hex ``host-49-2f-48-23`` or ``p5b0a1c2d``, or an IPv6 one."""
    for quad in _DECIMAL_QUAD.finditer(name):
        if all(int(part) <= 255 for part in quad.groups()):
            return True
    for run in _DECIMAL_RUN.findall(name):
        if all(int(run[i : i + 3]) <= 255 for i in range(0, 12, 3)):
            return True
    return any(p.search(name) for p in (_HEX_QUAD, _HEX_RUN, _HEX_V6))


def cuts_word(text: str, index: int) -> bool:
    """Whether ``index`` falls inside a word, or inside a name joined by ``.@-+`` such as
    ``sgi.engr.sgi.com``: a display name "sgi" is not replaced there (the host name is)."""
    if not 0 < index < len(text):
        return False
    before, after = text[index - 1], text[index]
    if _is_word(before) and _is_word(after):
        return True
    if after in _JOINERS and _is_word(before):
        return index + 1 < len(text) and _is_word(text[index + 1])
    if before in _JOINERS and _is_word(after):
        return index >= 2 and _is_word(text[index - 2])
    return False


_JOINERS = ".@-+"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"
