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


def read_key_file(path: Path) -> str:
    """The key in ``path``; refuses a file others may read or a key too short to be one."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(f"{path}: key file must be readable by its owner only (chmod 600), is {mode:o}")
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_LENGTH:
        raise ValueError(f"{path}: key shorter than {MIN_LENGTH} characters")
    return key


if __name__ == "__main__":
    for name in sys.argv[1:]:
        ensure_key_file(Path(name))
