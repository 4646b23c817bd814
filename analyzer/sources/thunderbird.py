"""Thunderbird profiles: where Thunderbird keeps its mail, so that a user need not find it.

Thunderbird lists its profiles in ``profiles.ini`` (in ``~/.thunderbird`` on Linux,
``~/Library/Thunderbird`` on macOS, ``%APPDATA%\\Thunderbird`` on Windows). A profile
keeps each account's mail in a folder of its own: ``Mail/Local Folders`` and POP accounts
under ``Mail/``, the offline copies of IMAP folders under ``ImapMail/``, and any account
moved elsewhere where ``prefs.js`` says. In those folders every mail folder is an mbox
without an extension (``Inbox``, ``Sent``, ``Archives.sbd/2024``) beside its ``.msf``
index, or a Maildir when the account stores mail one file a message. Discovery
(:func:`analyzer.sources.discover_sources`) reads such a folder whole, by content; this
module only says which folders they are. Nothing here reads mail.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

from analyzer.errors import SourceError

__all__ = [
    "ThunderbirdProfile",
    "default_profile",
    "profile_mail_folders",
    "thunderbird_homes",
    "thunderbird_profiles",
]

PROFILES_INI = "profiles.ini"
INSTALLS_INI = "installs.ini"  # newer releases keep the [Install...] sections here too
_ACCOUNT_ROOTS = ("Mail", "ImapMail")
# accounts whose folders hold no one's mail: newsgroups and RSS feeds
_NOT_MAIL_ACCOUNTS = frozenset({"nntp", "rss"})
_PROFILE_DIR = "[ProfD]"
_SERVER_PREF = re.compile(
    r'user_pref\(\s*"mail\.server\.(server\d+)\.(directory|directory-rel|type)"\s*,\s*'
    r'"((?:[^"\\]|\\.)*)"\s*\)'
)


def thunderbird_homes(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> list[Path]:
    """The folders that may hold Thunderbird's ``profiles.ini`` on this system, most
    usual first: the native install's, then the snap's and the flatpak's on Linux."""
    home = Path(environ.get("HOME") or environ.get("USERPROFILE") or Path.home())
    if platform.startswith("win"):
        appdata = environ.get("APPDATA")
        roaming = Path(appdata) if appdata else home / "AppData" / "Roaming"
        return [roaming / "Thunderbird"]
    if platform == "darwin":
        return [home / "Library" / "Thunderbird"]
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return [
        home / ".thunderbird",
        home / "snap" / "thunderbird" / "common" / ".thunderbird",
        home / ".var" / "app" / "org.mozilla.Thunderbird" / ".thunderbird",
        # where a build following XDG would keep it, as newer Firefox releases on Linux do
        config / "thunderbird",
    ]


def _read_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read(path, encoding="utf-8-sig")  # Windows editors add a BOM
    except (OSError, configparser.Error, UnicodeDecodeError) as error:
        raise SourceError(f"cannot read {path}: {error}") from None
    return parser


def _profile_path(home: Path, value: str, is_relative: bool | None = None) -> Path:
    """A profile's folder as profiles.ini names it: relative to the ini's folder (always
    with "/"), or absolute (on Windows with its drive and backslashes)."""
    if is_relative is None:
        is_relative = not (Path(value).is_absolute() or PureWindowsPath(value).is_absolute())
    return home / value if is_relative else Path(value)


def _defaults_in(home: Path) -> tuple[list[Path], str]:
    """The profiles ``home``'s profiles.ini makes the default, in the order Thunderbird
    would choose them, and why there is none when the list is empty."""
    ini = _read_ini(home / PROFILES_INI)
    installs = _read_ini(home / INSTALLS_INI) if (home / INSTALLS_INI).is_file() else None
    chosen: list[Path] = []
    for parser in (ini, installs):
        for section in parser.sections() if parser is not None else ():
            if section.startswith("Install") and parser.get(section, "Default", fallback=""):
                chosen.append(_profile_path(home, parser.get(section, "Default")))
    profiles = [
        section for section in ini.sections()
        if section.startswith("Profile") and ini.get(section, "Path", fallback="")
    ]  # fmt: skip

    def path_of(section: str) -> Path:
        relative = ini.get(section, "IsRelative", fallback="1").strip() == "1"
        return _profile_path(home, ini.get(section, "Path"), relative)

    chosen += [path_of(s) for s in profiles if ini.get(s, "Default", fallback="") == "1"]
    if len(profiles) == 1:
        chosen.append(path_of(profiles[0]))
    if not profiles and not chosen:
        return [], f"{home / PROFILES_INI} lists no profile"
    if not chosen:
        return [], (
            f"{home / PROFILES_INI} lists {len(profiles)} profiles and makes none the "
            "default: name the one to read"
        )
    return chosen, f"the default profile {chosen[0]} is missing"


def default_profile(homes: Sequence[Path]) -> Path:
    """The profile Thunderbird opens by default: the one its install marks (an
    ``[Install...]`` section's ``Default=``), else the ``[ProfileN]`` with ``Default=1``,
    else the only one. The first home with a profiles.ini naming one that exists wins.

    Raises :class:`SourceError`, in one line naming where it looked, when there is none.
    """
    reasons: list[str] = []
    missing: list[str] = []
    for home in homes:
        if not (home / PROFILES_INI).is_file():
            missing.append(str(home))
            continue
        chosen, reason = _defaults_in(home)
        found = next((path for path in chosen if path.is_dir()), None)
        if found is not None:
            return found
        reasons.append(reason)
    if missing:
        reasons.append(f"no {PROFILES_INI} in {', '.join(missing)}")
    raise SourceError(f"no Thunderbird profile found: {'; '.join(reasons) or 'nowhere to look'}")


def _pref_text(literal: str) -> str:
    """A string of prefs.js as JavaScript writes it ("C:\\\\Users\\\\me")."""
    try:
        return json.loads(f'"{literal}"')
    except ValueError:
        return re.sub(r"\\(.)", r"\1", literal)


def _servers(profile: Path) -> dict[str, dict[str, str]]:
    """Each account server's prefs that say where its mail is and what it is."""
    try:
        text = (profile / "prefs.js").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    servers: dict[str, dict[str, str]] = {}
    for server, key, literal in _SERVER_PREF.findall(text):
        servers.setdefault(server, {})[key] = _pref_text(literal)
    return servers


def _account_folder(profile: Path, prefs: Mapping[str, str]) -> Path | None:
    """Where an account keeps its mail: its profile-relative pref first, as Thunderbird
    reads it (the absolute one goes stale when a profile is copied or moved)."""
    relative = prefs.get("directory-rel", "")
    if relative.startswith(_PROFILE_DIR):
        return profile / relative.removeprefix(_PROFILE_DIR).lstrip("/\\")
    absolute = prefs.get("directory")
    return Path(absolute) if absolute else None


def _overlaps(path: Path, folders: Sequence[Path]) -> bool:
    """Whether ``path`` is one of ``folders``, in one, or holds one: read it and a folder
    would be read twice."""
    return any(
        path == folder or folder in path.parents or path in folder.parents for folder in folders
    )


def profile_mail_folders(profile: Path) -> list[Path]:
    """The folders of a profile's mail accounts that exist: each account under ``Mail/``
    (Local Folders, POP) and ``ImapMail/`` (IMAP), and any account ``prefs.js`` keeps
    elsewhere; newsgroup and feed accounts left out. Each folder once, in a stable order.
    """
    servers = _servers(profile)
    placed = {server: _account_folder(profile, prefs) for server, prefs in servers.items()}
    not_mail = [
        folder.resolve() for server, folder in placed.items()
        if folder is not None and servers[server].get("type") in _NOT_MAIL_ACCOUNTS
    ]  # fmt: skip
    candidates: list[Path] = []
    for root in _ACCOUNT_ROOTS:
        try:
            candidates += sorted(p for p in (profile / root).iterdir() if p.is_dir())
        except OSError:
            continue
    candidates += [folder for folder in placed.values() if folder is not None]
    found: list[Path] = []
    seen: list[Path] = []
    for folder in candidates:
        try:
            real = folder.resolve()
            if not folder.is_dir():
                continue
        except OSError:
            continue
        if _overlaps(real, seen) or real in not_mail:
            continue
        seen.append(real)
        found.append(folder)
    return found


@dataclass(frozen=True)
class ThunderbirdProfile:
    """A profile and the folders of its mail accounts that hold mail, to read as sources;
    and those that hold none yet (a new profile's Local Folders, an IMAP account that
    keeps nothing offline), which are said, not read."""

    path: Path
    mail_folders: list[Path]
    without_mail: list[Path] = field(default_factory=list)


def _profile_at(given: Path) -> Path:
    """A folder a user named: a profile, or the folder of profiles.ini (its default)."""
    if not given.is_dir():
        raise SourceError(f"no such Thunderbird profile folder: {given}")
    if (given / PROFILES_INI).is_file():
        return default_profile([given])
    if any((given / name).exists() for name in ("prefs.js", *_ACCOUNT_ROOTS)):
        return given
    raise SourceError(
        f"not a Thunderbird profile: {given} (no {PROFILES_INI}, prefs.js, Mail or ImapMail in it)"
    )


def thunderbird_profiles(
    given: Sequence[str | os.PathLike[str]],
    environ: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> list[ThunderbirdProfile]:
    """The profiles named (each a profile folder or the folder of profiles.ini), or with
    none named the default one, each with its mail folders.

    Raises :class:`SourceError` for a profile that cannot be found or holds no mail at
    all; an account folder without mail is no error while another has some.
    """
    paths = [_profile_at(Path(p)) for p in given] or [
        default_profile(thunderbird_homes(environ, platform))
    ]
    profiles: list[ThunderbirdProfile] = []
    for path in dict.fromkeys(paths):  # a profile named twice is read once
        folders = profile_mail_folders(path)
        with_mail = [folder for folder in folders if _holds_mail(folder)]
        if not with_mail:
            where = "none under Mail or ImapMail, none named in prefs.js" if not folders else (
                "its account folders hold only indexes and empty folders"
            )  # fmt: skip
            raise SourceError(f"no mail in the Thunderbird profile {path} ({where})")
        without = [folder for folder in folders if folder not in with_mail]
        profiles.append(ThunderbirdProfile(path, with_mail, without))
    return profiles


def _holds_mail(folder: Path) -> bool:
    """Whether discovery finds mail under an account folder (by content, as it reads)."""
    from analyzer.sources.discovery import discover_sources

    try:
        discover_sources([folder])
    except SourceError:
        return False
    return True
