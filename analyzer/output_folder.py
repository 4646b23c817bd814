"""Output folders that cannot be turned against the user.

A command that writes a folder (``mxa audit``, ``report``, ``graph``, ``export``) opens it
as an :class:`OutputFolder`:

- **one run at a time**: the folder's writer lock (:mod:`analyzer.folder_lock`); a second
  run is refused in one line;
- **only mxa's files are replaced**: ``.mxa-outputs.json`` lists every file mxa wrote
  there, with its size and digest. An output name held by anything else (the user's own
  ``report.html``, a file changed since, a symbolic link) is refused unless ``--force``;
  files with other names are left alone;
- **nothing is written through a link**: files are created fresh (``O_EXCL``,
  ``O_NOFOLLOW``) and renamed into place, and a link where an output or an output's
  folder should be is refused (with ``--force``, the link itself is replaced);
- **all or nothing**: the run writes into a private staging folder inside the folder,
  each file synced to disk; only when all are written does one journaled commit rename
  them into place. A run that fails (a full disk) or is killed before leaves the previous
  outputs as they were; the next run removes its leftovers, or completes a commit that a
  kill cut short;
- **private modes**: files 0600 and folders 0700 (less if the umask says so), unless
  ``shared`` asks for the umask's usual modes;
- **kinds do not mix**: a folder of private outputs never receives a redacted copy, and a
  redacted copy to share never receives private outputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from analyzer.errors import OutputError
from analyzer.folder_lock import LOCK_NAME, lock_folder

__all__ = [
    "MANIFEST_NAME",
    "PRIVATE",
    "REDACTED",
    "OutputFolder",
    "atomic_file",
    "ensure_folder",
    "modes",
    "refuse_link",
    "sub_folder",
    "write_manifest",
    "write_outputs",
]

MANIFEST_NAME = ".mxa-outputs.json"
SCHEMA = "mxa.outputs/1"
PRIVATE, REDACTED = "private", "redacted"
STAGING_PREFIX = ".mxa-staging-"
JOURNAL_NAME = ".mxa-commit.json"
_REPLACED = ".mxa-replaced"  # inside the staging folder: what the commit moved out of the way
_BOOKKEEPING = {MANIFEST_NAME, LOCK_NAME, JOURNAL_NAME}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_STORE_MANIFEST = "mxa-store.json"


def _link(path: Path) -> str:
    return f"{path} is a symbolic link; mxa never writes through one (remove it first)"


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def modes(shared: bool) -> tuple[int, int]:
    """(file mode, folder mode): private, or what the umask gives everyone."""
    files, folders = (0o666, 0o777) if shared else (0o600, 0o700)
    mask = _umask()
    return files & ~mask, folders & ~mask


# -- writing one file, one folder ------------------------------------------------------------


def ensure_folder(path: Path, mode: int = 0o700) -> Path:
    """The folder a caller named (made if missing, with ``mode``); it may be a link the
    caller chose. Entries below it are made with :func:`sub_folder` and never followed."""
    try:
        path.mkdir(mode=mode, parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{path} exists and is not a folder") from None
    except OSError as error:
        raise OutputError(f"cannot make {path}: {error.strerror or error}") from None
    return path


def sub_folder(parent: Path, name: str, mode: int = 0o700) -> Path:
    """``parent/name`` as a real folder, made if missing; a link there is refused."""
    path = parent / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        try:
            path.mkdir(mode=mode)
        except OSError as error:
            raise OutputError(f"cannot make {path}: {error.strerror or error}") from None
        return path
    if stat.S_ISLNK(info.st_mode):
        raise OutputError(_link(path))
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path} exists and is not a folder")
    return path


def refuse_link(path: Path) -> None:
    """A one-line error if ``path`` is a symbolic link."""
    if path.is_symlink():
        raise OutputError(_link(path))


def _sync(path: Path) -> None:
    """Flush a folder's entries (the renames in it) to disk, where the platform can."""
    with contextlib.suppress(OSError):
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@contextlib.contextmanager
def atomic_file(target: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """A new file written beside ``target``, synced, then renamed over it: a reader sees
    the old file or the whole new one, and nothing is ever written through a link."""
    refuse_link(target)
    if target.is_dir():
        raise OutputError(f"{target} is a folder, where mxa writes a file")
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    try:
        handle = os.open(temporary, flags, mode)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _sync(target.parent)


# -- what mxa wrote ----------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    """A small JSON file of mxa's, never read through a link; None if absent or unreadable."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | _NOFOLLOW), "rb") as file:
            return json.loads(file.read(50_000_000))
    except (OSError, ValueError):
        return None


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    manifest = _read_json(folder / MANIFEST_NAME)
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        return None
    if not isinstance(manifest.get("files"), dict):
        return None
    return manifest


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with os.fdopen(os.open(path, os.O_RDONLY | _NOFOLLOW), "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path, relative: str = "") -> Iterator[str]:
    """Every file below ``root`` (relative paths), less mxa's bookkeeping and the subtrees
    that carry a manifest of their own."""
    folder = root / relative if relative else root
    for entry in sorted(os.listdir(folder)):
        if entry in _BOOKKEEPING or entry.startswith(STAGING_PREFIX):
            continue
        path = f"{relative}/{entry}" if relative else entry
        info = os.lstat(root / path)
        if stat.S_ISDIR(info.st_mode):
            if not (root / path / MANIFEST_NAME).exists():
                yield from _files(root, path)
        else:
            yield path


def write_manifest(
    folder: Path, kind: str, carried: dict[str, Any] | None = None, mode: int = 0o600
) -> None:
    """List every file in ``folder`` (and ``carried``, the records of files left from an
    earlier run) as mxa's, in ``folder/.mxa-outputs.json``."""
    records = dict(carried or {})
    for relative in _files(folder):
        info = os.lstat(folder / relative)
        records[relative] = {
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "blake2b": _digest(folder / relative),
        }
    manifest = {"schema": SCHEMA, "kind": kind, "files": dict(sorted(records.items()))}
    with atomic_file(folder / MANIFEST_NAME, mode) as file:
        file.write(json.dumps(manifest, indent=1).encode("utf-8"))


def _unchanged(path: Path, info: os.stat_result, record: Any) -> bool:
    if not isinstance(record, dict) or record.get("size") != info.st_size:
        return False
    if record.get("mtime_ns") == info.st_mtime_ns:
        return True
    return record.get("blake2b") == _digest(path)  # copied, touched: the content decides


def _foreign(root: Path, relative: str, records: dict[str, Any]) -> tuple[Path, str] | None:
    """The first thing at ``root/relative`` (or below) that mxa did not write, and why."""
    path = root / relative
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return path, "is a symbolic link, which mxa never follows"
    if stat.S_ISREG(info.st_mode):
        if relative not in records:
            return path, "was not written by mxa"
        if not _unchanged(path, info, records[relative]):
            return path, "was changed since mxa wrote it"
        return None
    if not stat.S_ISDIR(info.st_mode):
        return path, "is not a file mxa wrote"
    nested = _read_manifest(path) if (path / MANIFEST_NAME).exists() else None
    if nested is not None:  # a folder with a manifest of its own: it says what is mxa's
        root, relative, records = path, "", nested["files"]
    for entry in sorted(os.listdir(path)):
        if entry in _BOOKKEEPING or entry.startswith(STAGING_PREFIX):
            continue
        found = _foreign(root, f"{relative}/{entry}" if relative else entry, records)
        if found:
            return found
    return None


# -- the folder of one run -----------------------------------------------------------------


def _remove(path: Path) -> None:
    """Remove a file, a link (never what it points to) or a whole folder."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path)  # removes links inside, never follows them
        else:
            path.unlink()


def _plain_name(name: object) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name


def _roll_forward(folder: Path, journal: dict[str, Any]) -> None:
    """Move each staged entry into place (again: each step can be repeated after a kill),
    then the manifest, then forget the journal and the staging folder."""
    staging = folder / journal["staging"]
    replaced = staging / _REPLACED
    for name in journal["names"]:
        new, old = staging / name, folder / name
        if not os.path.lexists(new):
            continue  # moved before the kill
        if os.path.lexists(old) and (new.is_dir() or old.is_dir() or old.is_symlink()):
            replaced.mkdir(exist_ok=True)
            _remove(replaced / name)
            os.rename(old, replaced / name)
        os.replace(new, old)  # a file replaces a file in one step: never absent
    if os.path.lexists(staging / MANIFEST_NAME):
        os.replace(staging / MANIFEST_NAME, folder / MANIFEST_NAME)
    _sync(folder)
    (folder / JOURNAL_NAME).unlink()
    _sync(folder)
    _remove(staging)


def _recover(folder: Path) -> None:
    """Finish what a killed run committed; remove what it had not."""
    journal = _read_json(folder / JOURNAL_NAME)
    if os.path.lexists(folder / JOURNAL_NAME):
        valid = (
            isinstance(journal, dict)
            and _plain_name(journal.get("staging"))
            and str(journal["staging"]).startswith(STAGING_PREFIX)
            and isinstance(journal.get("names"), list)
            and all(_plain_name(name) for name in journal["names"])
            and (folder / journal["staging"]).is_dir()
            and not (folder / journal["staging"]).is_symlink()
        )
        if valid:
            _roll_forward(folder, journal)
        else:
            _remove(folder / JOURNAL_NAME)
    for entry in os.listdir(folder):
        if entry.startswith(STAGING_PREFIX):
            _remove(folder / entry)


def _is_redacted_store(path: Path) -> bool:
    manifest = _read_json(path / _STORE_MANIFEST)
    runs = manifest.get("runs") if isinstance(manifest, dict) else None
    return bool(runs) and isinstance(runs[0], dict) and runs[0].get("sources") == ["redacted"]


def _check_kind(folder: Path, previous: dict[str, Any] | None, kind: str) -> None:
    """Private outputs and a redacted copy to share never share a folder."""
    held = previous.get("kind") if previous else None
    if kind == REDACTED:
        if (folder / _STORE_MANIFEST).exists():
            raise OutputError(f"{folder} is a store: write the redacted copy to another folder")
        store = folder / "store"
        private_store = os.path.lexists(store) and (
            store.is_symlink() or not _is_redacted_store(store)
        )
        if held == PRIVATE or private_store:
            raise OutputError(
                f"{folder} holds private outputs or a store that is no redacted copy; "
                "write the redacted copy to another --out (mxa audit --redact puts it in "
                "OUT/redacted)"
            )
    elif held == REDACTED:
        raise OutputError(
            f"{folder} holds a redacted copy to share: private outputs written there would be "
            "shared with it; choose another --out"
        )


@dataclass
class OutputFolder:
    """An output folder opened for one run: locked, checked, and staged.

    Write the outputs named ``names`` into :attr:`staging`, then :meth:`commit`; leaving
    the ``with`` block without committing leaves the folder as it was.
    """

    path: Path
    names: tuple[str, ...]
    kind: str
    shared: bool
    staging: Path
    _lock: IO[str] | None
    _previous: dict[str, Any] = field(default_factory=dict)
    _committing: bool = False

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        names: Collection[str],
        *,
        kind: str = PRIVATE,
        force: bool = False,
        shared: bool = False,
    ) -> OutputFolder:
        """Lock ``path`` (made if missing), finish or clear a killed run's work, and refuse
        before anything is written if an output would replace what is not mxa's."""
        folder = Path(path)
        file_mode, folder_mode = modes(shared)
        ensure_folder(folder, folder_mode)
        lock = lock_folder(folder, OutputError, mode=file_mode)
        try:
            _recover(folder)
            manifest = _read_manifest(folder)
            _check_kind(folder, manifest, kind)
            records = manifest["files"] if manifest else {}
            for name in names:
                found = _foreign(folder, name, records)
                if found and not force:
                    where, why = found
                    raise OutputError(
                        f"{where} {why}; mxa replaces only its own outputs: choose another "
                        "--out, or add --force to replace it"
                    )
            staging = folder / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
            staging.mkdir(mode=0o700)
        except OSError as error:
            lock.close()
            raise OutputError(f"cannot prepare {folder}: {error.strerror or error}") from None
        except BaseException:
            lock.close()
            raise
        return cls(folder, tuple(names), kind, shared, staging, lock, records)

    def final(self, staged: Path) -> Path:
        """Where a file written into the staging folder is once committed."""
        return self.path / staged.relative_to(self.staging)

    def commit(self) -> None:
        """Put every staged output in place, with the manifest, as one journaled step."""
        staged = sorted(
            e for e in os.listdir(self.staging) if not e.startswith(".") or e in self.names
        )
        unknown = set(staged) - set(self.names)
        if unknown:
            raise ValueError(f"staged outputs not announced: {sorted(unknown)}")
        file_mode, folder_mode = modes(self.shared)
        carried = {
            name: record
            for name, record in self._previous.items()
            if name.split("/", 1)[0] not in staged
        }
        try:
            write_manifest(self.staging, self.kind, carried, file_mode)
            for root, folders, files in os.walk(self.staging):
                for name in files:
                    path = os.path.join(root, name)
                    os.chmod(path, file_mode)
                    with os.fdopen(os.open(path, os.O_RDONLY | _NOFOLLOW), "rb") as file:
                        os.fsync(file.fileno())  # the Parquet writers do not sync
                for name in folders:
                    os.chmod(os.path.join(root, name), folder_mode)
                _sync(Path(root))
            journal = {"staging": self.staging.name, "names": staged}
            with atomic_file(self.path / JOURNAL_NAME) as file:
                file.write(json.dumps(journal).encode("utf-8"))
            self._committing = True  # from here on, a failed run is finished by the next
            _roll_forward(self.path, journal)
        except OSError as error:
            raise OutputError(f"cannot write into {self.path}: {error.strerror or error}") from None

    def close(self) -> None:
        """Release the folder; an uncommitted staging folder goes with it."""
        if not self._committing:
            with contextlib.suppress(OSError):
                _remove(self.staging)
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        self.close()
        if isinstance(error, OutputError) and str(self.staging) in str(error):
            # name the output the user asked for, not the staging folder it went to first
            raise OutputError(str(error).replace(str(self.staging), str(self.path))) from None


def write_outputs(
    out: str | os.PathLike[str],
    names: Collection[str],
    write: Callable[[Path], list[Path]],
    *,
    kind: str = PRIVATE,
    force: bool = False,
    shared: bool = False,
) -> list[Path]:
    """Open ``out``, let ``write`` fill the staging folder, commit; the final paths."""
    with OutputFolder.open(out, names, kind=kind, force=force, shared=shared) as folder:
        written = write(folder.staging)
        folder.commit()
    return [folder.final(path) for path in written]
