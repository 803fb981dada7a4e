"""Pooled connections are reused only for the host name they were opened (and verified) for.

The guard connects to the address it checked, so two names at one address look alike to a pool keyed
by address: a TLS connection verified for a.test would carry b.test's request. A real TLS server on
127.0.0.1 with one certificate for both names counts its connections and notes each one's SNI.
"""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from flowguide import outbound

NAMES = ("a.test", "b.test")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> tuple[str, Path, Path]:
    """A test CA (PEM text) and a server certificate and key (files) for both NAMES, signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Flow Guide test CA"))
        .issuer_name(_name("Flow Guide test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(NAMES[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in NAMES]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca.public_bytes(serialization.Encoding.PEM).decode(), cert_file, key_file


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a client may reuse the connection
    seen: list[tuple[int, str, str]]

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.seen.append((self.connection.number, self.connection.sni, self.headers["Host"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


class TlsServer(ThreadingHTTPServer):
    """Numbers each TCP connection it accepts and notes the name the client asked for (SNI)."""

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, handler: type[Handler]) -> None:
        self.context, self.accepted = context, 0
        context.sni_callback = lambda tls, name, _: setattr(tls, "sni", name)
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request, client_address) -> None:  # refused handshakes are the point of some tests
        pass

    def get_request(self):
        sock, address = self.socket.accept()
        self.accepted += 1
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        tls.number = self.accepted
        return tls, address


@pytest.fixture
def tls_server(tmp_path, monkeypatch) -> Iterator[tuple[int, list[tuple[int, str, str]], ssl.SSLContext]]:
    ca_pem, cert_file, key_file = make_certificates(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    handler = type("H", (Handler,), {"seen": []})
    httpd = TlsServer(server_context, handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    # The names exist only in this resolver, and all point at the one server.
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1"] if host in (*NAMES, "c.test") else [])
    try:
        yield httpd.server_address[1], handler.seen, ssl.create_default_context(cadata=ca_pem)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_tls_connection_is_reused_only_for_the_name_it_was_opened_for(tls_server):
    port, seen, trust = tls_server
    with outbound.guarded_client(allow_private=True, ssl_context=trust) as client:
        for name in ("a.test", "b.test", "a.test", "b.test"):
            assert client.get(f"https://{name}:{port}/jwks").json() == {}
    # b.test gets its own connection (and handshake, for its own name); a.test's is kept for a.test.
    assert seen == [
        (1, "a.test", f"a.test:{port}"),
        (2, "b.test", f"b.test:{port}"),
        (1, "a.test", f"a.test:{port}"),
        (2, "b.test", f"b.test:{port}"),
    ]


def test_the_test_ca_is_trusted_only_when_given(tls_server):
    port, seen, _ = tls_server
    with outbound.guarded_client(allow_private=True) as client, pytest.raises(outbound.TlsError) as caught:
        client.get(f"https://a.test:{port}/jwks")
    assert caught.value.message == (
        "The secure connection to a.test failed (certificate verify failed: unable to get local issuer certificate)."
    )
    assert seen == []


def test_the_certificate_is_checked_for_the_name_not_the_address(tls_server):
    # c.test points at the same server, but the certificate names only a.test and b.test.
    port, seen, trust = tls_server
    client = outbound.guarded_client(allow_private=True, ssl_context=trust)
    with client, pytest.raises(outbound.TlsError) as caught:
        client.get(f"https://c.test:{port}/jwks")
    assert caught.value.message == (
        "The secure connection to c.test failed (certificate verify failed: Hostname mismatch, "
        "certificate is not valid for 'c.test')."
    )
    assert seen == []
