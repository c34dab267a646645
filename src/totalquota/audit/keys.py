"""The audit chain's keys, kept outside the database.

A keyring is a list of ``<key id> <hex key>`` lines, oldest first; new links use the newest key
and verification uses each link's own key, so keys can be rotated without touching old links.
It comes from ``settings.AUDIT_HMAC_KEYS`` (the ``AUDIT_HMAC_KEYS`` environment variable:
``id:hex,id:hex``) when set, otherwise from the file ``settings.AUDIT_KEY_FILE`` (mode 0600,
under the data folder). The file belongs in every backup: without it the chain cannot be
verified any more (see the README, 审计链).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from totalquota import keyfiles

DIGESTS = ("sha256", "sm3")
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class KeyringError(RuntimeError):
    """The keyring is missing, unreadable or malformed."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]  # in file order: oldest first
    newest: str

    def get(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


def digest_name() -> str:
    """The algorithm new links use (``settings.AUDIT_DIGEST``)."""
    name = str(getattr(settings, "AUDIT_DIGEST", "sha256") or "sha256").lower()
    if name not in DIGESTS:
        raise KeyringError(f"AUDIT_DIGEST 必须是 {'、'.join(DIGESTS)} 之一，而不是 {name!r}")
    return name


def mac(key: bytes, algorithm: str, message: bytes) -> str:
    if algorithm not in DIGESTS:
        raise KeyringError(f"未知的摘要算法 {algorithm!r}")
    return hmac.new(key, message, lambda: hashlib.new(algorithm)).hexdigest()


def _parse(entries: list[tuple[str, str]], where: str) -> Keyring:
    keys: dict[str, bytes] = {}
    for key_id, hexkey in entries:
        if not KEY_ID.match(key_id):
            raise KeyringError(f"{where}：密钥编号 {key_id!r} 无效")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            raise KeyringError(f"{where}：密钥 {key_id} 不是十六进制") from None
        if len(key) < 16:
            raise KeyringError(f"{where}：密钥 {key_id} 太短（至少 16 字节）")
        if key_id in keys:
            raise KeyringError(f"{where}：密钥编号 {key_id} 重复")
        keys[key_id] = key
    if not keys:
        raise KeyringError(f"{where}：没有密钥")
    return Keyring(keys=keys, newest=list(keys)[-1])


def key_file() -> Path:
    return Path(getattr(settings, "AUDIT_KEY_FILE", Path(settings.VAR_DIR) / "keys" / "audit.keys"))


def from_env() -> str:
    return str(getattr(settings, "AUDIT_HMAC_KEYS", "") or "").strip()


def load() -> Keyring:
    """The keyring in use; :class:`KeyringError` if there is none."""
    spec = from_env()
    if spec:
        pairs = []
        for item in spec.split(","):
            key_id, sep, hexkey = item.strip().partition(":")
            if not sep:
                raise KeyringError("AUDIT_HMAC_KEYS 的格式为 编号:十六进制密钥,编号:十六进制密钥")
            pairs.append((key_id.strip(), hexkey.strip()))
        return _parse(pairs, "AUDIT_HMAC_KEYS")
    path = key_file()
    try:
        status = path.stat()
        keyfiles.check_owner_only(path)
    except FileNotFoundError:
        raise KeyringError(f"审计密钥文件 {path} 不存在") from None
    except OSError as exc:
        raise KeyringError(f"无法读取审计密钥文件 {path}：{exc}") from None
    # The chainer asks for the keyring on every chaining: the file is read again only when it has
    # changed (a rotation by another process), not on every write of the park.
    identity = (str(path), status.st_ino, status.st_mtime_ns, status.st_size)
    cached = _loaded.get(identity)
    if cached is None:
        cached = _loaded[identity] = _read_file(path)
    return cached


_loaded: dict[tuple[str, int, int, int], Keyring] = {}


def _read_file(path: Path) -> Keyring:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyringError(f"无法读取审计密钥文件 {path}：{exc}") from None
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise KeyringError(f"{path}：每行应为 “编号 十六进制密钥”")
        pairs.append((parts[0], parts[1]))
    return _parse(pairs, str(path))


def _write(path: Path, keys: dict[str, bytes]) -> None:
    """Write the keyring file (mode 0600, atomically)."""
    lines = [
        "# 审计链密钥（排污总量管理平台）。每行：编号 十六进制密钥；最后一行为当前密钥。",
        "# 必须随数据库一同备份；丢失后审计链无法再核验。不要放进数据库或版本库。",
        *(f"{key_id} {key.hex()}" for key_id, key in keys.items()),
    ]
    keyfiles.write_owner_only(path, "\n".join(lines) + "\n")


def new_key_id(existing: dict[str, bytes]) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    n = len(existing) + 1
    while f"k{n}-{stamp}" in existing:
        n += 1
    return f"k{n}-{stamp}"


def add_key() -> str:
    """Add a new newest key to the keyring file (creating the file if needed); its id."""
    if from_env():
        raise KeyringError(
            "密钥来自环境变量 AUDIT_HMAC_KEYS：请在那里追加新密钥（编号:十六进制），而非写入文件"
        )
    path = key_file()
    keys = dict(load().keys) if path.exists() else {}
    key_id = new_key_id(keys)
    keys[key_id] = secrets.token_bytes(32)
    _write(path, keys)
    return key_id


def ensure_key() -> bool:
    """Create the keyring file with a first key if there is no keyring; True if created."""
    if from_env() or key_file().exists():
        return False
    add_key()
    return True
