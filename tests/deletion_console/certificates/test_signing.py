import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deletion_console.certificates import signing
from deletion_console.certificates.keys import SigningKey

BODY = {
    "format": signing.FORMAT,
    "job": "5f0c4c1e-0000-4000-8000-000000000001",
    "target": {"kind": "campaign", "id": "c-1", "label": "Tomb of Ash — è"},
    "counts": [{"step": "mongodb", "entity": "items", "deleted": 12, "expected": 12}],
    "approved": {"by": None, "at": None},
    "development_key": False,
}


def issued(key: SigningKey) -> bytes:
    return signing.dumps(signing.sign(BODY, key)).encode()


def test_an_issued_certificate_verifies(certificate_key):
    verified = signing.verify(issued(certificate_key), certificate_key.public)

    assert verified.body == BODY


def test_every_single_character_substitution_fails(certificate_key):
    data = issued(certificate_key).decode()
    passed = []
    for position, char in enumerate(data):
        edited = data[:position] + ("1" if char != "1" else "2") + data[position + 1 :]
        try:
            signing.verify(edited.encode(), certificate_key.public)
        except signing.CertificateInvalid:
            continue
        passed.append(position)

    assert passed == []


@pytest.mark.parametrize("edit", [lambda d: d.replace("\n", " \n", 1), lambda d: d[:-1], lambda d: d + " "])
def test_a_change_of_whitespace_alone_fails_too(certificate_key, edit):
    data = edit(issued(certificate_key).decode())

    with pytest.raises(signing.CertificateInvalid, match="text is not as issued"):
        signing.verify(data.encode(), certificate_key.public)


def test_a_changed_figure_fails_on_the_signature(certificate_key):
    data = issued(certificate_key).decode().replace('"deleted": 12', '"deleted": 13')

    with pytest.raises(signing.CertificateInvalid, match="signature does not match"):
        signing.verify(data.encode(), certificate_key.public)


def test_a_certificate_signed_by_another_key_fails(certificate_key):
    other = SigningKey(Ed25519PrivateKey.generate(), development=False)

    with pytest.raises(signing.CertificateInvalid, match="another key"):
        signing.verify(issued(other), certificate_key.public)


@pytest.mark.parametrize("data", [b"", b"\xff", b"[]", b'{"certificate": {}, "signature": {}}'])
def test_what_is_not_a_certificate_fails(certificate_key, data):
    with pytest.raises(signing.CertificateInvalid, match="not a certificate"):
        signing.verify(data, certificate_key.public)
