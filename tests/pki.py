"""Test PKI: two agency CAs, a server and client certificate each, plus a rogue CA.

Built with ``cryptography`` at test time (P-256 keys, one-day validity), written as PEM files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ppmatch test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )


@dataclass
class Issued:
    certificate: Path
    key: Path
    fingerprint: str  # SHA-256 of the DER certificate, hex


class TestCA:
    def __init__(self, directory: Path, name: str) -> None:
        self.directory = Path(directory)
        self.name = name
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.subject = _name(f"{name} root CA")
        self.certificate = (
            _builder(self.subject, self.subject, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.path = self.directory / f"{name}-ca.pem"
        self.path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, common_name: str, *, server: bool) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            _builder(_name(common_name), self.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        certificate = builder.sign(self.key, hashes.SHA256())
        stem = self.directory / common_name
        cert_path, key_path = stem.with_suffix(".crt.pem"), stem.with_suffix(".key.pem")
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        return Issued(cert_path, key_path, certificate.fingerprint(hashes.SHA256()).hex())


@dataclass
class TestPKI:
    holder_ca: TestCA
    querier_ca: TestCA
    rogue_ca: TestCA
    holder_server: Issued  # the holder's HTTPS server certificate
    querier_client: Issued  # the querier's client certificate (listed in the agreement)
    other_client: Issued  # same CA as the querier, but a certificate not in the agreement
    rogue_client: Issued  # issued by a CA nobody trusts


def build_test_pki(directory: Path, holder: str = "alpha", querier: str = "beta") -> TestPKI:
    directory.mkdir(parents=True, exist_ok=True)
    holder_ca = TestCA(directory, holder)
    querier_ca = TestCA(directory, querier)
    rogue_ca = TestCA(directory, "rogue")
    return TestPKI(
        holder_ca=holder_ca,
        querier_ca=querier_ca,
        rogue_ca=rogue_ca,
        holder_server=holder_ca.issue(f"{holder}-server", server=True),
        querier_client=querier_ca.issue(f"{querier}-client", server=False),
        other_client=querier_ca.issue(f"{querier}-intern", server=False),
        rogue_client=rogue_ca.issue(f"{querier}-client-rogue", server=False),
    )
