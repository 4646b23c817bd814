"""Whether a file's first bytes are a message's header block: how a one-message file
with no telling name (a Maildir-less ``1234``, an emlx after its byte count) is known."""

from __future__ import annotations

import re

__all__ = ["looks_like_message", "opens_with_field"]

_FIELD_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
# a header block that names a field every mail program writes
_TELLTALE_FIELD = re.compile(
    rb"(?im)^(from|date|received|message-id|return-path|delivered-to)[ \t]*:"
)


def opens_with_field(data: bytes) -> bool:
    """Whether ``data`` starts with a header field's name and colon."""
    return bool(_FIELD_LINE.match(data))


def looks_like_message(head: bytes) -> bool:
    """Whether ``head`` opens with a header field, and its header block names From,
    Date, Received, Message-ID, Return-Path or Delivered-To."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    if not opens_with_field(head):
        return False
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    return bool(_TELLTALE_FIELD.search(block))
