"""A small HTTPS server for ASGI apps that hands the verified client certificate to the app.

Why not Hypercorn or Uvicorn: both can *require* a client certificate, but neither passes it to
the application (Hypercorn 0.18 builds the scope with ``extensions = {}``; the ASGI TLS
extension is unimplemented), so a handler could not tell *which* agency connected. Mutual TLS
without the peer's identity cannot enforce "only the querier party of this agreement". This
server is asyncio + ``ssl`` for TLS and ``h11`` for HTTP/1.1 framing (the same parser httpx
uses), and fills ``scope["extensions"]["tls"]`` as the ASGI TLS extension specifies
(``client_cert_chain``, ``client_cert_name``, ``tls_version``...).

It serves one request at a time per connection with keep-alive, caps request bodies, and
times out idle connections. The handshake itself rejects clients without a certificate from
the configured CA, before any HTTP byte is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import h11
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

logger = logging.getLogger(__name__)

AsgiMapping = MutableMapping[str, Any]  # ASGI scopes and messages
ASGIApp = Callable[
    [AsgiMapping, Callable[[], Awaitable[AsgiMapping]], Callable[[AsgiMapping], Awaitable[None]]],
    Awaitable[None],
]

_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def server_ssl_context(
    certificate: Path, private_key: Path, client_ca: Path, *, key_password: bytes | None = None
) -> ssl.SSLContext:
    """TLS 1.2+ server context that demands a client certificate issued by ``client_ca``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    load_tls_files(context, certificate, private_key, client_ca, key_password)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def load_tls_files(
    context: ssl.SSLContext,
    certificate: Path,
    private_key: Path,
    ca: Path,
    key_password: bytes | None,
) -> None:
    """Load our certificate/key and the trusted CA, naming the file that fails."""
    from ppmatch.errors import KeyFileError

    try:
        context.load_cert_chain(certificate, private_key, password=key_password)
    except (OSError, ssl.SSLError) as error:
        raise KeyFileError(
            f"{certificate} / {private_key}: cannot load the TLS certificate and key "
            f"({getattr(error, 'strerror', None) or error}); check the paths, that they belong "
            "together, and the key passphrase"
        ) from None
    try:
        context.load_verify_locations(cafile=ca)
    except (OSError, ssl.SSLError) as error:
        raise KeyFileError(
            f"{ca}: cannot load the CA certificate ({getattr(error, 'strerror', None) or error})"
        ) from None


def tls_scope_extension(ssl_object: ssl.SSLObject) -> dict[str, Any]:
    """The ASGI ``tls`` extension dict for one verified connection."""
    der = ssl_object.getpeercert(binary_form=True)
    chain, name = [], None
    if der:
        certificate = x509.load_der_x509_certificate(der)
        chain = [certificate.public_bytes(encoding=Encoding.PEM).decode("ascii")]
        name = certificate.subject.rfc4514_string()
    cipher = ssl_object.cipher()
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": name,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
        "cipher_name": cipher[0] if cipher else None,  # not in the spec; handy for logs
    }


class MutualTLSServer:
    """Serve ``app`` over HTTPS with client certificates visible to the app.

    ``authorize`` (optional) sees the ``tls`` extension when a request's head has arrived and
    returns a refusal message or ``None``; a refused request gets 403 before its body is read,
    so a client the app would refuse cannot make the server buffer a large body.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
        max_body: int = 1 << 30,
        idle_timeout: float = 60.0,
        authorize: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> None:
        self.app = app
        self.authorize = authorize
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        """Bind and start accepting; returns the bound port (useful with ``port=0``)."""
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, ssl=self.ssl_context, limit=1 << 16
        )
        return self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ssl_object = writer.get_extra_info("ssl_object")
        tls = tls_scope_extension(ssl_object)
        peer = writer.get_extra_info("peername")
        local = writer.get_extra_info("sockname")
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 16)
        try:
            while True:
                request, body = await self._read_request(connection, reader, writer, tls)
                if request is None:
                    break
                scope = {
                    "type": "http",
                    "asgi": {"version": "3.0", "spec_version": "2.3"},
                    "http_version": request.http_version.decode("ascii"),
                    "method": request.method.decode("ascii"),
                    "scheme": "https",
                    "path": request.target.decode("ascii").partition("?")[0],
                    "raw_path": request.target.partition(b"?")[0],
                    "query_string": request.target.partition(b"?")[2],
                    "root_path": "",
                    "headers": [(k.lower(), v) for k, v in request.headers],
                    "client": peer[:2] if peer else None,
                    "server": local[:2] if local else None,
                    "extensions": {"tls": tls},
                }
                await self._run_app(scope, body, connection, writer)
                if (
                    connection.our_state is h11.MUST_CLOSE
                    or connection.their_state is h11.MUST_CLOSE
                ):
                    break
                try:
                    connection.start_next_cycle()
                except h11.LocalProtocolError:
                    break
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_request(
        self, connection, reader, writer, tls
    ) -> tuple[h11.Request | None, bytes]:
        request, chunks, size = None, [], 0
        while True:
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError:
                await self._send_simple(connection, writer, 400, b"malformed HTTP request")
                return None, b""
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(1 << 16), self.idle_timeout)
                connection.receive_data(data)
                if not data and connection.their_state is h11.IDLE:
                    return None, b""
                continue
            if isinstance(event, h11.Request):
                refusal = self.authorize(tls) if self.authorize is not None else None
                if refusal is not None:
                    body = json.dumps({"error": "AgreementError", "message": refusal}).encode()
                    await self._send_simple(
                        connection,
                        writer,
                        403,
                        body,
                        content_type="application/json",
                        extra=[("x-ppmatch-error", "AgreementError")],
                    )
                    return None, b""
                request = event
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > self.max_body:
                    await self._send_simple(connection, writer, 413, b"request body too large")
                    return None, b""
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return request, b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                return None, b""

    async def _send_simple(
        self, connection, writer, status: int, text: bytes, *, content_type="text/plain", extra=()
    ) -> None:
        with contextlib.suppress(h11.LocalProtocolError):
            headers = [
                ("content-type", content_type),
                ("content-length", str(len(text))),
                ("connection", "close"),
                *extra,
            ]
            writer.write(connection.send(h11.Response(status_code=status, headers=headers)))
            writer.write(connection.send(h11.Data(data=text)))
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()

    async def _run_app(self, scope, body, connection, writer) -> None:
        delivered = False
        started = False

        async def receive() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # no disconnect detection needed for these short calls
            return {"type": "http.disconnect"}

        async def send(message: AsgiMapping) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", [])]
                writer.write(
                    connection.send(h11.Response(status_code=message["status"], headers=headers))
                )
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    writer.write(connection.send(h11.Data(data=message["body"])))
                if not message.get("more_body", False):
                    writer.write(connection.send(h11.EndOfMessage()))
                await writer.drain()

        try:
            await self.app(scope, receive, send)
        except Exception:
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if not started:
                await self._send_simple(connection, writer, 500, b"internal server error")
