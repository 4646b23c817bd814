"""IMAP addresses and logins: which server, user and folder the user names, and the
secret to log in with.

An ``imaps://USER@HOST[:PORT]/FOLDER`` address names a folder on the command line and in
the store (its ``source``, the key of its resume state); it never holds a password. The
password or OAuth2 token is looked for where the user keeps it (the environment, the
system keyring, a prompt), never on the command line. Nothing here touches the network:
an address is checked, and a missing password said, before any connection is opened
(:mod:`analyzer.sources.imap_client` opens it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from analyzer.errors import UsageError

__all__ = [
    "SCHEMES",
    "Credentials",
    "ImapAddress",
    "credentials",
    "is_imap_address",
    "parse_imap_address",
]

SCHEMES = {"imaps": 993, "imap": 143}  # imap: STARTTLS, never plain text


@dataclass(frozen=True)
class ImapAddress:
    """``imaps://USER@HOST[:PORT]/FOLDER`` (``imap://``: STARTTLS on port 143)."""

    scheme: str
    user: str
    host: str
    port: int
    folder: str | None  # None: every folder (with --all-folders), or none named

    @property
    def server(self) -> str:
        """The address without its folder, and never with a password."""
        return f"{self.scheme}://{quote(self.user, safe='')}@{self.host}:{self.port}"

    def source(self, folder: str) -> str:
        """What the store calls a folder: its ``source`` and the key of its state."""
        return f"{self.server}/{quote(folder, safe='/')}"


def is_imap_address(text: object) -> bool:
    return isinstance(text, str) and text.split("://", 1)[0].lower() in SCHEMES and "://" in text


def parse_imap_address(text: str) -> ImapAddress:
    """An :class:`ImapAddress`, or a one-line :class:`~analyzer.errors.UsageError`."""
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as error:  # an unclosed IPv6 bracket, a bracketed host that is no IP
        raise UsageError(f"{text}: not a valid address ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UsageError(f"{text}: not an IMAP address (imaps://USER@HOST/FOLDER)")
    if parts.password is not None:
        raise UsageError(
            "a password in the address would be kept in shell history and in the store: "
            "give it in MXA_IMAP_PASSWORD, the system keyring, or at the prompt"
        )
    if not parts.username or not hostname:
        raise UsageError(f"{text}: the address needs a user and a host (imaps://USER@HOST/FOLDER)")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError as error:
        raise UsageError(f"{text}: {error}") from None
    folder = unquote(parts.path.lstrip("/")) or None
    return ImapAddress(scheme, unquote(parts.username), hostname, port, folder)


@dataclass(frozen=True)
class Credentials:
    """A password or an OAuth2 bearer token (XOAUTH2); never kept anywhere."""

    password: str | None = field(default=None, repr=False)
    oauth2_token: str | None = field(default=None, repr=False)


def credentials(address: ImapAddress, prompt: Callable[[str], str] | None = None) -> Credentials:
    """From ``MXA_IMAP_OAUTH2_TOKEN``, ``MXA_IMAP_PASSWORD``, the system keyring (service
    ``mxa``, user ``USER@HOST``), or ``prompt`` (``getpass.getpass`` at a terminal; a
    library never asks by itself); in that order. Never the command line."""
    token = os.environ.get("MXA_IMAP_OAUTH2_TOKEN")
    if token:
        return Credentials(oauth2_token=token)
    password = os.environ.get("MXA_IMAP_PASSWORD")
    if password:
        return Credentials(password=password)
    password = _from_keyring(address)
    if password:
        return Credentials(password=password)
    if prompt is None:
        raise UsageError(
            f"no password for {address.user}@{address.host}: set MXA_IMAP_PASSWORD or "
            "MXA_IMAP_OAUTH2_TOKEN, or store it in the system keyring (service 'mxa')"
        )
    return Credentials(password=prompt(f"IMAP password for {address.user}@{address.host}: "))


def _from_keyring(address: ImapAddress) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password("mxa", f"{address.user}@{address.host}")
    except (KeyringError, RuntimeError):  # no keyring on this machine
        return None
