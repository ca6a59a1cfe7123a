import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deletion_console.certificates import keys
from tests.fixtures.certificates import TEST_SEED


def test_the_configured_seed_is_the_signing_key(settings):
    settings.DELETION_CERTIFICATE_KEY = TEST_SEED

    key = keys.signing_key()

    expected = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
    assert keys.raw_public(key.public) == keys.raw_public(expected)
    assert not key.development


def test_debug_without_a_key_derives_a_development_key_from_the_secret_key(settings):
    settings.DELETION_CERTIFICATE_KEY, settings.DEBUG = "", True
    settings.SECRET_KEY = "one secret"
    first, again = keys.signing_key(), keys.signing_key()
    settings.SECRET_KEY = "another secret"
    other = keys.signing_key()

    assert first.development
    assert keys.key_id(first.public) == keys.key_id(again.public) != keys.key_id(other.public)


def test_without_debug_and_without_a_key_certificates_are_refused(settings):
    settings.DELETION_CERTIFICATE_KEY, settings.DEBUG = "", False

    with pytest.raises(keys.CertificateKeyError, match="DELETION_CERTIFICATE_KEY is not set"):
        keys.signing_key()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_key_is_refused_with_what_it_must_be(settings, value):
    settings.DELETION_CERTIFICATE_KEY = value

    with pytest.raises(keys.CertificateKeyError, match="base64 of a 32-byte Ed25519 seed"):
        keys.signing_key()


def test_the_public_key_round_trips_through_pem(certificate_key):
    pem = keys.public_pem(certificate_key.public)

    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert keys.raw_public(keys.load_public_pem(pem.encode())) == keys.raw_public(certificate_key.public)
    with pytest.raises(keys.CertificateKeyError):
        keys.load_public_pem(b"not a key")
