"""The mutual-TLS server really shows the client certificate to the ASGI handler."""

import asyncio
import hashlib
import socket
import ssl
import threading
import time

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki import build_test_pki
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from ppmatch.transport.tls_server import MutualTLSServer, server_ssl_context


async def whoami(request):
    tls = request.scope["extensions"]["tls"]
    certificate = x509.load_pem_x509_certificate(tls["client_cert_chain"][0].encode())
    return JSONResponse(
        {
            "name": tls["client_cert_name"],
            "sha256": hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest(),
            "tls": tls["tls_version"],
        }
    )


def start(server):
    loop = asyncio.new_event_loop()
    port = loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    return loop, thread, port


def stop(server, loop, thread):
    asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    pki = build_test_pki(tmp_path_factory.mktemp("pki"))
    context = server_ssl_context(
        pki.holder_server.certificate, pki.holder_server.key, pki.querier_ca.path
    )
    server = MutualTLSServer(
        Starlette(routes=[Route("/whoami", whoami, methods=["GET", "POST"])]),
        host="127.0.0.1",
        port=0,
        ssl_context=context,
        max_body=1024,
    )
    loop, thread, port = start(server)
    yield pki, f"https://127.0.0.1:{port}"
    stop(server, loop, thread)


def client(pki, issued=None):
    context = ssl.create_default_context(cafile=pki.holder_ca.path)
    if issued is not None:
        context.load_cert_chain(issued.certificate, issued.key)
    return httpx.Client(verify=context, timeout=5)


def test_handler_sees_verified_client_certificate(served):
    pki, url = served
    with client(pki, pki.querier_client) as http:
        first = http.get(f"{url}/whoami").json()
        second = http.get(f"{url}/whoami").json()  # keep-alive connection reused
    assert first == second
    assert first["sha256"] == pki.querier_client.fingerprint
    assert "CN=beta-client" in first["name"]
    assert first["tls"] in (0x0303, 0x0304)


@pytest.mark.parametrize("who", [None, "rogue_client"])
def test_client_without_trusted_certificate_is_refused(served, who):
    pki, url = served
    issued = getattr(pki, who) if who else None
    with (
        client(pki, issued) as http,
        pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)),
    ):
        http.get(f"{url}/whoami")


def test_oversized_body_is_413_and_garbage_is_400(served):
    pki, url = served
    with client(pki, pki.querier_client) as http:
        assert http.post(f"{url}/whoami", content=b"x" * 1000).status_code == 200
        assert http.post(f"{url}/whoami", content=b"x" * 5000).status_code == 413
    context = ssl.create_default_context(cafile=pki.holder_ca.path)
    context.load_cert_chain(pki.querier_client.certificate, pki.querier_client.key)
    host, port = url.removeprefix("https://").split(":")
    with (
        socket.create_connection((host, int(port))) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert tls.recv(100).startswith(b"HTTP/1.1 400")


def test_authorize_refuses_from_the_request_head_before_any_body(served):
    pki, _ = served
    seen = []

    def authorize(tls):
        seen.append(tls["client_cert_name"])
        return "not this one" if "CN=beta-intern" in tls["client_cert_name"] else None

    context = server_ssl_context(
        pki.holder_server.certificate, pki.holder_server.key, pki.querier_ca.path
    )
    server = MutualTLSServer(
        Starlette(routes=[Route("/whoami", whoami, methods=["GET", "POST"])]),
        host="127.0.0.1",
        port=0,
        ssl_context=context,
        max_body=1024,
        authorize=authorize,
    )
    loop, thread, port = start(server)
    try:
        with client(pki, pki.other_client) as http:
            # 403 (not 413): refused on the head, the oversized body was never read
            response = http.post(f"https://127.0.0.1:{port}/whoami", content=b"x" * 5000)
        assert response.status_code == 403 and response.json()["message"] == "not this one"
        with client(pki, pki.querier_client) as http:
            assert http.get(f"https://127.0.0.1:{port}/whoami").status_code == 200
        assert len(seen) == 2
    finally:
        stop(server, loop, thread)


def test_hypercorn_requires_but_does_not_expose_the_client_certificate(served, tmp_path):
    """Why ppmatch has its own server: Hypercorn enforces mutual TLS but its ASGI scope carries
    no ``tls`` extension, so a handler cannot tell which agency connected. If a future
    Hypercorn adds it, this test fails and the choice can be revisited."""
    import ssl as ssl_module

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    pki, _ = served
    seen = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        seen.append(dict(scope.get("extensions") or {}))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = str(pki.holder_server.certificate), str(pki.holder_server.key)
    config.ca_certs, config.verify_mode = str(pki.querier_ca.path), ssl_module.CERT_REQUIRED
    config.accesslog = config.errorlog = None
    loop = asyncio.new_event_loop()
    stopped = asyncio.Event()
    task = loop.create_task(serve(app, config, shutdown_trigger=stopped.wait))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with client(pki, pki.querier_client) as http:
                    assert http.get(f"https://127.0.0.1:{port}/").status_code == 200
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        with client(pki, None) as http, pytest.raises(httpx.TransportError):
            http.get(f"https://127.0.0.1:{port}/")  # the certificate is required...
        assert seen and "tls" not in seen[0]  # ...but the app never sees which one it was
    finally:
        loop.call_soon_threadsafe(stopped.set)
        asyncio.run_coroutine_threadsafe(asyncio.wait_for(asyncio.shield(task), 5), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
