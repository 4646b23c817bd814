"""Received headers as hops: who handed the message to whom, from which address.

Why not mail-parser's ``parse_received``: it splits a header into its clauses
(``from``, ``by``, ``with``, ``id``, ``for``) correctly, but with a Python loop over
every character, and it leaves the ``from`` clause as one string —
``"mail.example.com (mail.example.com [192.0.2.1])"`` — where mxa needs the HELO
name, the reverse host and the address apart. ``benchmarks/components.py``
measures both on the corpora: this module takes about a quarter of the time per
header (layout table, then clause splitter) and agrees with mail-parser on the
``by`` host, the ``from`` clause and the timestamp for over 99.6% of headers. For
the rare header neither path here can split (no ``from`` or ``by`` clause outside
comments) it asks mail-parser's careful splitter before giving up; a header nothing
can split is kept as a hop with its raw text (``docs/parsing.md``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache

from analyzer.extract.dates import parse_date
from analyzer.records import Hop

__all__ = ["parse_received", "parse_received_chain"]

_TOKENS = re.compile(
    r"[()]|(?<![\w.\-=/@:<])(from|by|via|with|id|for)(?=[\s(\[<]|$)",
    re.IGNORECASE,
)
_DATE_AT_END = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+"
    r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}))?(?:\s*\([^)]*\))?\s*$"
)
_BRACKETED = re.compile(r"\[(?i:IPv6:)?([0-9A-Fa-f:.]+)\](?::\d+)?")
_PARENTHESISED_IP = re.compile(r"\(\s*(?:IPv6:)?([0-9A-Fa-f:.]{3,})\s*\)")
_BARE_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_HELO_IN_COMMENT = re.compile(
    r"(?:\bhelo=|\b(?:HELO|EHLO|LHLO)\s+)(\[[^\]\s]*\]|[^\s()\[\]\"]+)", re.IGNORECASE
)
_HOST_BEFORE_IP = re.compile(r"(?:^|\()\s*(?:[^\s@()]+@)?([A-Za-z0-9][\w.\-]*\.?)\s+\[")
_ANGLE_ADDRESS = re.compile(r"<([^<>\s]*)>")
_ENVELOPE_FROM = re.compile(r"envelope-(?:from|sender)\s*<([^<>\s]*)>", re.IGNORECASE)
# Substrings (of the lower-cased header) that say the hop was encrypted; plain
# substring tests, since one alternation regex over every header cost 15 µs.
_TLS_MARKERS = (
    "version=tls",
    "tlsv1",
    "tls1",
    "using tls",
    "with tls",
    " tls tls_",
    "cipher=",
    "sslv3",
)
_TLS_PROTOCOLS = frozenset(
    {"ESMTPS", "ESMTPSA", "UTF8SMTPS", "UTF8SMTPSA", "LMTPS", "LMTPSA", "SMTPS", "HTTPS"}
)
# Fast path: the layouts real MTAs write, each matched by one regular expression.
# Together they cover most real headers; what none matches goes to the clause
# splitter below, and a test checks that both paths agree where both apply.
# a comment, nested one level deep: "(using TLSv1.3 (256/256 bits))", loop unrolled
_COMMENT = r"\([^()]*(?:\([^()]*\)[^()]*)*\)"
# Possessive: a gap takes every comment in a row and gives none back. Nothing after a
# gap starts with "(", so no match is lost, and runs of comments before a missing date
# cannot make the six gaps share them out in every way (minutes on 40 comments).
_GAP = rf"(?:\s*{_COMMENT})*+"
_DATE = (
    r"(?P<date>(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*[+-]\d{4}|\s+[A-Za-z]{1,5}(?:\s+[A-Za-z]{3})?)?(?:\s*\([^()]*\))?)"
)
_BY_ONWARDS = (
    r"\s*\bby\s+(?P<by>[^\s();]+)"
    + _GAP
    + r"(?:\s+(?:with|via)\s+(?!id\s)(?P<protocol>Microsoft\s+SMTP\s+Server|[^\s();]+))?"
    + _GAP
    + r"(?:\s+tls\s+[^\s();]+)?"
    + _GAP
    + r"(?:\s+id\s+(?P<id>[^\s();]+))?"
    + _GAP
    + r"(?:\s+for\s+<?(?P<for>[^\s<>();]*)>?)?"
    + _GAP
    + r"(?:\s+id\s+(?P<late_id>[^\s();]+))?"  # old sendmail: "for <x> id ABC"
    + _GAP
    # the date, and whatever old sendmails append after it ("mail_from (…)", "env-from (…)")
    + r"\s*;\s*"
    + _DATE
    + r"(?:\s+[^;]*)?$"
)
_TAIL = _GAP + _BY_ONWARDS
_IP = r"(?:IPv6:|IPV6:)?(?P<ip>[0-9A-Fa-f:.]+)"
_LAYOUTS = {
    # Postfix, sendmail, Exim and vger: from HELO (REVERSE [IP]) / from REVERSE ([IP] helo=X)
    "bracketed": re.compile(
        r"from\s+(?P<first>[^\s()]+)\s+\((?!(?:HELO|EHLO|LHLO)\s)"
        r"(?:(?:[^\s@()\[\]]+@)?(?P<rdns>[^\s()\[\]\"]+)\s+)?"
        r"\[" + _IP + r"\](?::\d+)?"
        r"(?:\s+(?:helo=(?P<helo>[^\s()]+)|\"(?:HELO|EHLO)\s+(?P<ehlo>[^\"\s]+)\"[^()]*))?\)"
        + _TAIL
    ),
    # Exim without reverse DNS: from [IP] (helo=name)
    "exim_literal": re.compile(
        r"from\s+(?P<first>\[" + _IP + r"\])(?::\d+)?\s+\(helo=(?P<helo>[^\s()]+)\)" + _TAIL
    ),
    # Microsoft 365 and qmail: from HELO (IP) / from REVERSE (HELO name) (IP)
    "parenthesised": re.compile(
        r"from\s+(?P<first>[^\s()]+)\s+(?:\((?:HELO|EHLO|LHLO)\s+(?P<ehlo>[^\s()]+)\)\s+)?"
        r"\(\[?" + _IP + r"\]?\)" + _TAIL
    ),
    # internal hops and list expanders: (comment) by HOST ...
    "by_only": re.compile(r"(?:\([^()]*\)\s*)?(?=by\s)" + _TAIL),
    # sendmail with ident or no address: from HELO (user@host) by ...
    "commented": re.compile(
        r"from\s+(?P<first>[^\s()\[]+)\s+\((?![^()]*(?:\[|\bHELO\b|\bEHLO\b|helo=|\d+\.\d+\.\d+\.\d+))"
        r"[^()]*\)" + _TAIL
    ),
    # from HOST by HOST, with no comment to say more
    "bare": re.compile(r"from\s+(?P<first>[^\s()]+)\s+(?=by\s)" + _BY_ONWARDS),
}


# Which layouts can match, by how the header starts: a failed match is not free.
_BY_FIRST = (_LAYOUTS["by_only"],)
_LITERAL_FIRST = tuple(
    _LAYOUTS[k] for k in ("exim_literal", "bracketed", "parenthesised", "commented", "bare")
)
_NAME_FIRST = tuple(_LAYOUTS[k] for k in ("bracketed", "parenthesised", "commented", "bare"))
_NAME_FIRST_NO_LITERAL = tuple(_LAYOUTS[k] for k in ("parenthesised", "commented", "bare"))


def _first_token(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    end = len(text)
    for stop in (" ", "\t", "(", ";"):
        position = text.find(stop)
        if 0 < position < end:
            end = position
    token = text[:end].strip().rstrip(";,")
    return token or None


@lru_cache(maxsize=65536)
def _clean_ip(candidate: str) -> str | None:
    return canonical_ip(candidate.strip())


def canonical_ip(text: str) -> str | None:
    """The address in ``ipaddress``'s canonical form, or None when it is none.

    A canonical dotted quad, by far the most common case, is checked by the C library
    (``inet_pton``) and returned as it is. The C library also writes IPv6 the way
    ``ipaddress`` does (RFC 5952), except with an IPv4 address inside; that, and anything
    else, goes through ``ipaddress``, ten times slower."""
    try:
        if socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, text)) == text:
            return text
    except (OSError, ValueError):
        pass
    if ":" in text:
        try:
            written = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))
            if "." not in written:
                return written
        except (OSError, ValueError):
            pass
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _split_clauses(text: str) -> dict[str, str]:
    """Split on top-level keywords; keywords inside comments don't count."""
    depth = 0
    starts: list[tuple[str, int, int]] = []
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            starts.append((token.lower(), match.start(), match.end()))
    clauses: dict[str, str] = {}
    for index, (keyword, _, value_start) in enumerate(starts):
        value_end = starts[index + 1][1] if index + 1 < len(starts) else len(text)
        if keyword not in clauses:  # the first from/by is the real one
            clauses[keyword] = text[value_start:value_end].strip()
    return clauses


def _split_with_mailparser(text: str) -> dict[str, str]:
    # imported here: one header in a hundred gets this far, and the import costs 30 ms
    from mailparser.exceptions import MailParserReceivedParsingError
    from mailparser.received import split_received

    try:
        pairs, _ = split_received(text)
    except MailParserReceivedParsingError:
        return {}
    clauses: dict[str, str] = {}
    for keyword, value in pairs:
        clauses.setdefault(keyword.lower(), value)
    return clauses


def _split_timestamp(value: str) -> tuple[str, float | None, int | None]:
    head, semicolon, tail = value.rpartition(";")
    if semicolon:
        timestamp, offset = parse_date(tail.strip())
        if timestamp is not None:
            return head, timestamp, offset
    match = _DATE_AT_END.search(value)
    if match:
        timestamp, offset = parse_date(match.group(0))
        if timestamp is not None:
            return value[: match.start()].rstrip(" ;"), timestamp, offset
    return value, None, None


def _from_clause_parts(clause: str) -> tuple[str | None, str | None, str | None]:
    """``(helo, reverse_host, ip)`` from a ``from`` clause in any MTA's dialect.

    Postfix and sendmail write ``helo (reverse [ip])``, Exim ``reverse ([ip]
    helo=name)``, qmail ``reverse (HELO name) (ip)``, Microsoft ``helo (ip)``.
    """
    first = _first_token(clause)
    comment_start = clause.find("(")
    comments = clause[comment_start:] if comment_start >= 0 else ""
    helo_match = _HELO_IN_COMMENT.search(comments)
    if helo_match:  # the announced name may be an address literal: not the client's
        comments = comments[: helo_match.start()] + comments[helo_match.end() :]

    ip = None
    for pattern in (_BRACKETED, _PARENTHESISED_IP):
        for match in pattern.finditer(comments):
            ip = _clean_ip(match.group(1))
            if ip:
                break
        if ip:
            break
    if ip is None and comments:
        match = _BARE_IPV4.search(comments)
        ip = _clean_ip(match.group(0)) if match else None
    if ip is None and first:
        literal = _BRACKETED.match(first)
        ip = _clean_ip(literal.group(1)) if literal else _clean_ip(first)

    if helo_match:
        # Exim and qmail: the first token is the reverse name, the HELO is in the comment
        named = _named(first) and _clean_ip(first or "") is None
        return helo_match.group(1), first if named else None, ip

    reverse = None
    host_match = _HOST_BEFORE_IP.search(comments)
    if host_match:
        candidate = host_match.group(1).rstrip(".")
        if candidate.lower() != "unknown" and _clean_ip(candidate) is None:
            reverse = candidate
    return first, reverse, ip


def parse_received(value: str, hop: int = 0) -> Hop:
    """One Received header value as a :class:`Hop` (``hop`` is its position)."""
    raw = " ".join(value.split())
    return parse_fast(raw, hop) or parse_general(raw, hop)


def parse_fast(raw: str, hop: int = 0) -> Hop | None:
    """The fast path: a hop when one of the known layouts matches, else None."""
    if raw.startswith(("by ", "(")):
        candidates = _BY_FIRST
    elif raw.startswith("from ["):
        candidates = _LITERAL_FIRST
    elif "[" not in raw:
        candidates = _NAME_FIRST_NO_LITERAL
    else:
        candidates = _NAME_FIRST
    for layout in candidates:
        match = layout.match(raw)
        if match is not None:
            return _from_layout(match, raw, hop)
    return None


def parse_general(raw: str, hop: int = 0) -> Hop:
    """The general path: split clauses at top-level keywords, then read each."""
    body, timestamp, offset = _split_timestamp(raw)
    clauses = _split_clauses(body)
    if "from" not in clauses and "by" not in clauses:
        clauses = _split_with_mailparser(body)
    parsed = "from" in clauses or "by" in clauses

    helo = reverse = ip = None
    if "from" in clauses:
        helo, reverse, ip = _from_clause_parts(clauses["from"])
    by_host = _first_token(clauses.get("by", ""))
    protocol = _first_token(clauses.get("with", "")) or _first_token(clauses.get("via", ""))
    if protocol:
        protocol = protocol.upper()
        if protocol == "MICROSOFT" and "smtp server" in clauses.get("with", "").lower():
            protocol = "MICROSOFT SMTP SERVER"

    for_value = clauses.get("for", "")
    for_match = _ANGLE_ADDRESS.search(for_value)
    for_addr = (for_match.group(1) if for_match else _first_token(for_value)) or None
    smtp_id = _first_token(clauses.get("id", ""))
    return _hop(hop, raw, helo, reverse, ip, by_host, protocol, smtp_id, for_addr,
                timestamp, offset, parsed)  # fmt: skip


def _hop(
    hop: int, raw: str, helo: str | None, reverse: str | None, ip: str | None,
    by_host: str | None, protocol: str | None, smtp_id: str | None, for_addr: str | None,
    timestamp: float | None, offset: int | None, parsed: bool,
) -> Hop:  # fmt: skip
    """The one place a Hop is made, so both parsing paths normalise alike."""
    lowered = raw.lower()
    envelope = _ENVELOPE_FROM.search(raw) if "envelope-" in lowered else None
    return Hop(
        hop=hop,
        from_helo=helo,
        from_host=reverse.lower().rstrip(".") if reverse else None,
        from_ip=ip,
        by_host=by_host.lower().rstrip(".") if by_host else None,
        protocol=protocol,
        tls=_tls(protocol, lowered),
        smtp_id=smtp_id,
        for_addr=for_addr.lower() if for_addr else None,
        envelope_from=envelope.group(1).lower() if envelope else None,
        timestamp_utc=timestamp,
        tz_offset_min=offset,
        parsed=parsed,
        raw=raw,
    )


def _tls(protocol: str | None, lowered: str) -> bool | None:
    """Whether the hop was encrypted; ``lowered`` is the lower-cased header."""
    if protocol in _TLS_PROTOCOLS:
        return True
    hinted = "tls" in lowered or "ssl" in lowered or "cipher" in lowered
    if hinted and any(marker in lowered for marker in _TLS_MARKERS):
        return True
    return False if protocol else None


def _named(token: str | None) -> bool:
    if not token or token.startswith("["):
        return False
    return token.lower() not in ("unknown", "<unknown>")


def _from_layout(match: re.Match[str], raw: str, hop: int) -> Hop | None:
    """A hop from a fast-path match; None sends the header to the general path."""
    groups = match.groupdict()
    timestamp, offset = parse_date(groups["date"])
    if timestamp is None:
        return None
    first = groups.get("first")
    announced = groups.get("helo") or groups.get("ehlo")
    if announced:  # Exim, qmail, vger: the first token is the reverse name
        helo, rdns = announced, first if _named(first) else None
    else:
        helo, rdns = first, groups.get("rdns")
    if rdns:
        rdns = rdns.strip("<>")
        if rdns.lower() == "unknown" or _clean_ip(rdns):
            rdns = None
    ip_text = groups.get("ip")
    if ip_text is not None:
        ip = _clean_ip(ip_text)
        if ip is None:
            return None
    elif first:
        literal = _BRACKETED.match(first)
        ip = _clean_ip(literal.group(1)) if literal else _clean_ip(first)
    else:
        ip = None
    protocol = groups["protocol"]
    protocol = " ".join(protocol.split()).upper() if protocol else None
    smtp_id = groups["id"] or groups["late_id"]
    return _hop(hop, raw, helo, rdns, ip, groups["by"], protocol, smtp_id, groups["for"],
                timestamp, offset, True)  # fmt: skip


def parse_received_chain(values: list[str]) -> tuple[Hop, ...]:
    """Headers in the order they appear (newest first) → hops, oldest first."""
    count = len(values)
    return tuple(parse_received(values[count - 1 - i], hop=i) for i in range(count))
