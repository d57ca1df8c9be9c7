"""The audit trail's two keys, both kept outside the database (docs/security.md, "Audit trail keys").

- The chain key (HMAC-SHA256): ``NOTIFIER_AUDIT_KEY``, else ``instance/audit_key`` generated once (mode 0600), as the
  secret key is. Without it, nobody can re-chain edited rows so that they verify.
- The checkpoint signing key (Ed25519): the private key file named by ``NOTIFIER_AUDIT_SIGNING_KEY``, else
  ``instance/audit_signing_key`` (PEM, mode 0600), created on first use if missing, its public key beside it
  (``<file>.pub``). The public key is what someone who trusts neither the database nor this machine keeps.
"""

import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app


def fill_defaults(app: Flask) -> None:
    """Called by create_app: the chain key and the paths of the signing key and the checkpoint file."""
    instance = Path(app.instance_path)
    if not app.config.get("AUDIT_KEY"):
        app.config["AUDIT_KEY"] = _secret_file(instance / "audit_key", lambda: secrets.token_hex(32).encode()).decode()
    app.config["AUDIT_KEY"] = str(app.config["AUDIT_KEY"])  # from_prefixed_env parses digits-only keys as numbers
    app.config["AUDIT_SIGNING_KEY"] = str(app.config.get("AUDIT_SIGNING_KEY") or instance / "audit_signing_key")
    app.config["AUDIT_CHECKPOINT_FILE"] = str(app.config.get("AUDIT_CHECKPOINT_FILE")
                                              or instance / "audit-checkpoints.jsonl")


def chain_key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode("utf-8")


def _secret_file(path: Path, make) -> bytes:
    """The content of `path`, written once with `make()` (mode 0600) if it does not exist yet. Written under a
    temporary name, then linked into place: two processes starting together end up with the same key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            os.write(handle, make())
            os.fchmod(handle, 0o600)
            os.close(handle)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process won the race: its key is the key
        finally:
            os.unlink(temporary)
    return path.read_bytes().strip()


def _new_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def signing_key() -> Ed25519PrivateKey:
    path = Path(current_app.config["AUDIT_SIGNING_KEY"])
    key = serialization.load_pem_private_key(_secret_file(path, _new_private_key_pem), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    public_path = public_key_path()
    if not public_path.exists():
        public_path.write_bytes(public_pem(key.public_key()))
    return key


def public_key_path() -> Path:
    return Path(current_app.config["AUDIT_SIGNING_KEY"] + ".pub")


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint naming the key that signed a checkpoint (sha256 of the raw public key, 16 hex digits)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def local_public_keys() -> list[Ed25519PublicKey]:
    """The keys `notifier audit verify` trusts without --public-key: the current one (created if need be) and the
    retired ones kept beside it after a rotation (``<file>.*.pub``, docs/security.md)."""
    current = signing_key().public_key()
    keys = [current]
    private = Path(current_app.config["AUDIT_SIGNING_KEY"])
    for retired in sorted(private.parent.glob(private.name + ".*.pub")):
        keys.append(load_public_key(retired))
    return keys


def verifies(key: Ed25519PublicKey, signature: bytes, payload: bytes) -> bool:
    try:
        key.verify(signature, payload)
    except InvalidSignature:
        return False
    return True
