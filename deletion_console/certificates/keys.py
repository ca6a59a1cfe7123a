"""The key certificates are signed with, from the settings."""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils.crypto import salted_hmac

GENERATE = 'python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'


class CertificateKeyError(Exception):
    """No usable signing key: the message says what to set."""


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    development: bool  # derived from SECRET_KEY: evidence of nothing outside a developer's machine

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def signing_key() -> SigningKey:
    configured = settings.DELETION_CERTIFICATE_KEY
    if configured:
        return SigningKey(Ed25519PrivateKey.from_private_bytes(_seed(configured)), development=False)
    if settings.DEBUG:
        seed = salted_hmac("deletion-console.certificate-key", "development", algorithm="sha256").digest()
        return SigningKey(Ed25519PrivateKey.from_private_bytes(seed), development=True)
    raise CertificateKeyError(
        "Deletion certificates cannot be issued: DELETION_CERTIFICATE_KEY is not set. "
        f"Set it to the base64 of a 32-byte Ed25519 seed (for example from `{GENERATE}`)."
    )


def _seed(value: str) -> bytes:
    try:
        seed = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise CertificateKeyError(
            f"DELETION_CERTIFICATE_KEY must be the base64 of a 32-byte Ed25519 seed (for example from `{GENERATE}`)."
        )
    return seed


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint to tell keys apart: the first 16 hex digits of SHA-256 of the raw key."""
    return hashlib.sha256(raw_public(key)).hexdigest()[:16]


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise CertificateKeyError(f"Not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CertificateKeyError("The public key is not an Ed25519 key.")
    return key
