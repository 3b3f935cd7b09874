"""Files below a root folder, reached without following a symbolic link: cigen's only way to its own outputs.

``cigen generate`` runs on cloned repositories (the pre-commit hook does), so
a repository must not be able to make it read or write anywhere else: a link
at ``.github/workflows/cigen.yml`` to ``../../../home/me/.profile``, or a
linked ``.github`` folder. Every step from the root down is opened relative to
the folder before it with ``O_NOFOLLOW``, so a link is refused where it is
found (and a link put there while cigen runs makes the open fail, not follow
it); the file is replaced by a rename inside that same open folder. The root
itself is the caller's: it may be reached through links.

Every refusal and every failure is an :class:`~cigen.errors.InputError` naming
the path; :class:`NotAFile` marks the ones where something other than a plain
file or folder is in the way (a link, a pipe, a file where a folder belongs).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cigen.errors import InputError

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_LINK_HINT = "cigen reads and writes only plain files inside the repository; remove the link"


class NotAFile(InputError):
    """A link, a pipe or a file is where cigen needs a plain file or folder."""


def _parts(root: Path, path: Path) -> tuple[str, ...]:
    """The names from ``root`` down to ``path``; refused when ``path`` is not below ``root``."""
    base = os.path.normpath(os.path.abspath(root))
    full = os.path.normpath(os.path.abspath(path))
    relative = os.path.relpath(full, base)
    if relative == os.curdir or relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise InputError(f"is outside the repository {base}", path=path,
                         hint="cigen writes only inside the repository")
    return tuple(relative.split(os.sep))


def _problem(path: Path, exc: OSError, doing: str) -> InputError:
    return InputError(f"cannot {doing}: {exc.strerror or exc}", path=path, hint="check its permissions")


def _lstat(name: str, folder: int, path: Path) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _problem(path.parent, exc, "read folder") from exc


def _refuse_link(path: Path, name: str, folder: int) -> NotAFile:
    try:
        target = f" (to {os.readlink(name, dir_fd=folder)})"
    except OSError:
        target = ""
    return NotAFile(f"is a symbolic link{target}; cigen does not follow links", path=path, hint=_LINK_HINT)


def _open_folder(name: str, folder: int, path: Path) -> int:
    try:
        return os.open(name, _FOLDER, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # replaced by a link or a file since it was looked at
            raise NotAFile("is not a plain folder", path=path, hint=_LINK_HINT) from exc
        raise _problem(path, exc, "read folder") from exc


@contextmanager
def _folder_of(root: Path, path: Path, *, create: bool) -> Iterator[int | None]:
    """An open descriptor of ``path``'s folder, walked down from ``root``; None when one is missing and not ``create``."""
    parts = _parts(root, path)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise _problem(root, exc, "read folder") from exc
    try:
        here = Path(root)
        for name in parts[:-1]:
            here = here / name
            found = _lstat(name, fd, here)
            if found is None:
                if not create:
                    yield None
                    return
                try:
                    os.mkdir(name, dir_fd=fd)
                except FileExistsError:
                    pass  # made meanwhile: opening it below checks what it is
                except OSError as exc:
                    raise _problem(here, exc, "create folder") from exc
            elif stat.S_ISLNK(found.st_mode):
                raise _refuse_link(here, name, fd)
            elif not stat.S_ISDIR(found.st_mode):
                raise NotAFile("is not a folder", path=here, hint="move it away")
            inner = _open_folder(name, fd, here)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _check_file(found: os.stat_result | None, name: str, folder: int, path: Path) -> None:
    if found is None or stat.S_ISREG(found.st_mode):
        return
    if stat.S_ISLNK(found.st_mode):
        raise _refuse_link(path, name, folder)
    raise NotAFile("exists and is not a file", path=path, hint="move it away or choose another path")


def read_file(root: Path, path: Path) -> bytes | None:
    """The bytes of the plain file ``path`` below ``root``; None when there is none."""
    with _folder_of(root, path, create=False) as folder:
        if folder is None:
            return None
        name = path.name
        _check_file(_lstat(name, folder, path), name, folder, path)
        try:
            # O_NONBLOCK: a pipe put there meanwhile must not hang the open (fstat below refuses it).
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _refuse_link(path, name, folder) from exc
            raise _problem(path, exc, "read file") from exc
        with os.fdopen(fd, "rb") as handle:
            _check_file(os.fstat(fd), name, folder, path)
            try:
                return handle.read()
            except OSError as exc:
                raise _problem(path, exc, "read file") from exc


def replace_file(root: Path, path: Path, data: bytes, new_mode: int) -> None:
    """Write ``data`` to ``path`` below ``root`` atomically, creating its folders; ``new_mode`` for a new file.

    The data goes to a temporary file in the same folder, is flushed to disk,
    then renamed over the target: a reader sees the old file or the new one,
    and an interrupted write leaves the old file in place. A file replaced
    keeps its permissions.
    """
    with _folder_of(root, path, create=True) as folder:
        assert folder is not None  # create=True makes every folder
        name = path.name
        found = _lstat(name, folder, path)
        _check_file(found, name, folder, path)
        mode = stat.S_IMODE(found.st_mode) if found is not None else new_mode
        temporary = f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                         dir_fd=folder)
        except OSError as exc:
            raise _problem(path, exc, "write file") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(fd)
                os.fchmod(fd, mode)  # created 0600, so nobody reads it half written; then as before
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException as exc:
            try:
                os.unlink(temporary, dir_fd=folder)
            except FileNotFoundError:
                pass
            if isinstance(exc, OSError):
                raise _problem(path, exc, "write file") from exc
            raise
