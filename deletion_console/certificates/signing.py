"""Signing a certificate body and verifying a certificate file, offline.

The signature covers the canonical JSON of the body (sorted keys, no whitespace, UTF-8). The
file is written in one deterministic layout, and verification also requires the file to be
byte for byte that layout, so that any change to it fails, whitespace included.
"""

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deletion_console.certificates.keys import SigningKey, key_id, raw_public

FORMAT = "deletion-console/certificate/v1"
ALGORITHM = "Ed25519"


class CertificateInvalid(Exception):
    """The file is not a certificate signed by the given key, exactly as it was issued."""


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: dict, key: SigningKey) -> dict:
    signature = key.private.sign(canonical(body))
    return {
        "certificate": body,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(key.public),
            "public_key": base64.b64encode(raw_public(key.public)).decode(),
            "value": base64.b64encode(signature).decode(),
        },
    }


def dumps(document: dict) -> str:
    """The one layout certificate files are written in."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Verified:
    body: dict
    key_id: str


def verify(data: bytes, public_key: Ed25519PublicKey) -> Verified:
    try:
        text = data.decode("utf-8")
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CertificateInvalid(f"not a certificate: {exc}") from None
    body, signature = _parts(document)
    trusted = key_id(public_key)
    named = (signature.get("key_id"), _b64(signature.get("public_key"), "public key"))
    if named != (trusted, raw_public(public_key)):
        raise CertificateInvalid(f"signed by another key than the given one (key id {trusted})")
    try:
        public_key.verify(_b64(signature.get("value"), "signature"), canonical(body))
    except InvalidSignature:
        raise CertificateInvalid("the signature does not match the content: the certificate was changed") from None
    if dumps(document) != text:
        raise CertificateInvalid("the file was changed: its signed content is intact but its text is not as issued")
    return Verified(body=body, key_id=trusted)


def _parts(document) -> tuple[dict, dict]:
    if not isinstance(document, dict) or set(document) != {"certificate", "signature"}:
        raise CertificateInvalid("not a certificate: expected exactly the fields certificate and signature")
    body, signature = document["certificate"], document["signature"]
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise CertificateInvalid(f"not a certificate of the format {FORMAT}")
    if not isinstance(signature, dict) or set(signature) != {"algorithm", "key_id", "public_key", "value"}:
        raise CertificateInvalid("not a certificate: expected the signature's algorithm, key_id, public_key and value")
    if signature["algorithm"] != ALGORITHM:
        raise CertificateInvalid(f"the signature is not {ALGORITHM}")
    return body, signature


def _b64(value, what: str) -> bytes:
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        decoded = None
    # Canonical only: base64's last character has spare bits, which decoding ignores.
    if decoded is None or base64.b64encode(decoded).decode() != value:
        raise CertificateInvalid(f"the {what} is not valid base64")
    return decoded
