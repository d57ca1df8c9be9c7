"""The evidence vault's storage: files encrypted at rest with AES-256-GCM (PyPI ``cryptography``) under
STORAGE_DIR/evidence, each under a random name, and the thumbnails re-encoded from images.

The key: ``NOTIFIER_EVIDENCE_KEY`` (32 bytes as 64 hex digits), else ``instance/evidence_key`` generated once
(mode 0600), as the secret key is. Retired keys stay readable through ``NOTIFIER_EVIDENCE_OLD_KEYS`` (comma-separated)
until `notifier evidence rekey` has re-encrypted every file with the current key (docs/case.md, "Key rotation").

A stored file is ``NEV1`` + the key id (8 bytes: the start of the key's SHA-256) + a random 12-byte nonce + the
ciphertext and its 16-byte tag; the additional authenticated data is the magic and the file's storage name, so a file
moved under another name, cut or altered does not decrypt. Nothing here reads what a file contains, except
``thumbnail`` for the image formats it names."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

MAGIC = b"NEV1"
NONCE_BYTES = 12
KEY_ID_BYTES = 8
THUMBNAIL_SIZE = (320, 320)
#: Only these formats are decoded to make a thumbnail; the decoder refuses images above THUMBNAIL_MAX_PIXELS
#: (a decompression bomb), and the thumbnail is a fresh PNG: nothing of the uploaded bytes reaches the browser.
THUMBNAIL_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
THUMBNAIL_MAX_PIXELS = 40_000_000


class VaultError(RuntimeError):
    """A stored file that is missing or does not decrypt (altered, cut, or encrypted with a key no longer given)."""


def _parse_key(text: str) -> bytes:
    cleaned = text.strip()
    try:
        key = bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError("an evidence key is 64 hexadecimal digits (32 bytes)") from None
    if len(key) != 32:
        raise ValueError("an evidence key is 64 hexadecimal digits (32 bytes)")
    return key


def _instance_key(path: Path) -> bytes:
    """The key file, written once (mode 0600) under a temporary name then linked into place, so that two processes
    starting together end up with the same key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            os.write(handle, secrets.token_hex(32).encode())
            os.fchmod(handle, 0o600)
            os.close(handle)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    return _parse_key(path.read_text())


def _setting(name: str) -> str | None:
    """A key setting as typed: app.config.from_prefixed_env reads values as JSON, so a hex key made of digits and
    one "e" would arrive as a number; the environment's own text wins then."""
    value = current_app.config.get(name)
    if value is not None and not isinstance(value, str):
        value = os.environ.get(f"NOTIFIER_{name}", str(value))
    return value


def current_key() -> bytes:
    configured = _setting("EVIDENCE_KEY")
    if configured:
        return _parse_key(str(configured))
    return _instance_key(Path(current_app.instance_path) / "evidence_key")


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).digest()[:KEY_ID_BYTES].hex()


def known_keys() -> dict[str, bytes]:
    keys = {}
    for text in str(_setting("EVIDENCE_OLD_KEYS") or "").split(","):
        if text.strip():
            key = _parse_key(text)
            keys[key_id(key)] = key
    key = current_key()
    keys[key_id(key)] = key
    return keys


def directory() -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_name() -> str:
    return secrets.token_hex(16)


def encrypt(data: bytes, name: str, key: bytes | None = None) -> tuple[bytes, str]:
    key = key or current_key()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, data, MAGIC + name.encode())
    return MAGIC + bytes.fromhex(key_id(key)) + nonce + sealed, key_id(key)


def decrypt(blob: bytes, name: str) -> bytes:
    if len(blob) < len(MAGIC) + KEY_ID_BYTES + NONCE_BYTES + 16 or not blob.startswith(MAGIC):
        raise VaultError("not an evidence file")
    start = len(MAGIC)
    kid = blob[start:start + KEY_ID_BYTES].hex()
    nonce = blob[start + KEY_ID_BYTES:start + KEY_ID_BYTES + NONCE_BYTES]
    key = known_keys().get(kid)
    if key is None:
        raise VaultError(f"encrypted with key {kid}, which is not configured (NOTIFIER_EVIDENCE_OLD_KEYS)")
    try:
        return AESGCM(key).decrypt(nonce, blob[start + KEY_ID_BYTES + NONCE_BYTES:], MAGIC + name.encode())
    except InvalidTag:
        raise VaultError("the stored file was altered or cut (AES-GCM tag does not match)") from None


def store(data: bytes) -> tuple[str, str]:
    """Encrypt and write ``data``; returns (storage name, key id). Written to a temporary file then renamed."""
    name = new_name()
    blob, kid = encrypt(data, name)
    _write(directory() / name, blob)
    return name, kid


def _write(path: Path, blob: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(blob)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load(name: str) -> bytes:
    path = directory() / name
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise VaultError("the stored file is missing") from None
    return decrypt(blob, name)


def remove(name: str | None) -> None:
    if name:
        (directory() / name).unlink(missing_ok=True)


def rekey(name: str) -> bool:
    """Re-encrypt one stored file with the current key; False when it already was."""
    path = directory() / name
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise VaultError(f"the stored file {name} is missing (restore it from the backup)") from None
    key = current_key()
    if blob[len(MAGIC):len(MAGIC) + KEY_ID_BYTES].hex() == key_id(key):
        return False
    data = decrypt(blob, name)
    fresh, _kid = encrypt(data, name, key)
    _write(path, fresh)
    return True


def thumbnail(data: bytes) -> bytes | None:
    """A PNG thumbnail re-encoded from an image of THUMBNAIL_FORMATS, or None (not such an image, too large, broken).
    The uploaded bytes are decoded by Pillow and drawn anew: no metadata, script or polyglot survives."""
    from PIL import Image

    try:
        # formats=: no other decoder of Pillow's (PSD, EPS through Ghostscript, TIFF...) even reads the header; the
        # size is read from the header and checked before a pixel is decoded (Pillow's own bomb limit stays as it is,
        # the process-wide setting is not changed for the other features).
        with Image.open(io.BytesIO(data), formats=sorted(THUMBNAIL_FORMATS)) as image:
            if image.format not in THUMBNAIL_FORMATS:
                return None
            if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                return None
            image.seek(0)
            image.thumbnail(THUMBNAIL_SIZE)
            copy = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            out = io.BytesIO()
            copy.save(out, format="PNG")
            return out.getvalue()
    except Exception:  # noqa: BLE001 - any decoding problem: no thumbnail, the file itself is kept as it is
        return None
