"""Keys a started platform generates once and keeps under its data folder (``VAR_DIR``).

A key file holds one URL-safe random text, is readable by its owner only (0600) and is reused on
every later start: a new Django secret key would sign everyone out and invalidate password-reset
links. The files belong in the backup with the database.

``bin/start`` creates them before anything else runs::

    python -m totalquota.keyfiles var/secret_key
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

MIN_LENGTH = 50


def ensure_key_file(path: Path, nbytes: int = 50) -> str:
    """The key stored in ``path``, generated (0600, written once) when the file does not exist.

    Two processes starting together cannot both write: the file is created with ``O_EXCL`` and
    the loser reads what the winner wrote.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(nbytes) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return read_key_file(path)


def check_owner_only(path: Path) -> None:
    """Refuse a key file that anyone but its owner may read or write."""
    mode = Path(path).stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(f"{path}: key file must be readable by its owner only (chmod 600), is {mode:o}")


def write_owner_only(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, atomically: a temporary file beside it, synced to
    disk, then renamed over it (a reader sees the old file or the new one, never half of one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_key_file(path: Path) -> str:
    """The key in ``path``; refuses a file others may read or a key too short to be one."""
    path = Path(path)
    check_owner_only(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_LENGTH:
        raise ValueError(f"{path}: key shorter than {MIN_LENGTH} characters")
    return key


if __name__ == "__main__":
    for name in sys.argv[1:]:
        ensure_key_file(Path(name))
