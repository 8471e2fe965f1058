"""The holder's HTTPS service: an ASGI app (Starlette) over ``HolderService``.

Every route first identifies the caller from the verified client certificate the mutual-TLS
server put in ``scope["extensions"]["tls"]``: its SHA-256 fingerprint must be listed for the
querier party in the signed agreement (a certificate from the right CA but not listed — say,
another unit of the partner agency — is refused with 403). The request container is then
checked exactly as offline. Errors come back as JSON ``{"error": kind, "message": text}``
with the status below and an ``X-Ppmatch-Error`` header the client turns back into the same
exception class.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ppmatch.errors import (
    AgreementError,
    BudgetExceeded,
    CryptoError,
    IntegrityError,
    PpmatchError,
    ProtocolError,
)
from ppmatch.exchange.holder_side import HolderService, Peer

CONTAINER_TYPE = "application/vnd.ppmatch.container"
STATUS = {
    BudgetExceeded: 429,
    AgreementError: 409,
    ProtocolError: 400,
    IntegrityError: 400,
    CryptoError: 400,
}


def error_response(error: PpmatchError, status: int | None = None) -> JSONResponse:
    kind = type(error).__name__
    status = status or next((s for cls, s in STATUS.items() if isinstance(error, cls)), 400)
    return JSONResponse(
        {"error": kind, "message": str(error)},
        status_code=status,
        headers={"X-Ppmatch-Error": kind},
    )


def peer_from_tls(tls: dict, service: HolderService) -> Peer:
    """The agreement party behind a verified client certificate, or ``AgreementError``."""
    chain = tls.get("client_cert_chain") or []
    if not chain:
        raise AgreementError("no client certificate: this service requires mutual TLS")
    certificate = x509.load_pem_x509_certificate(chain[0].encode("ascii"))
    fingerprint = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
    querier = service.role.partner
    if fingerprint not in querier.tls_fingerprints:
        raise AgreementError(
            f"client certificate {fingerprint[:16]}... ({certificate.subject.rfc4514_string()}) "
            f"is not listed for party {querier.name!r} in agreement {service.role.agreement.id}"
        )
    return Peer(querier.name, "https", fingerprint, certificate.subject.rfc4514_string())


def refuse_unlisted(service: HolderService):
    """The server's connection-level check: refuse (and audit) before reading any body."""

    def authorize(tls: dict) -> str | None:
        try:
            peer_from_tls(tls, service)
        except AgreementError as error:
            service.audit.append("refusal", reason="certificate", message=str(error)[:200])
            service.audit.checkpoint()
            return str(error)
        return None

    return authorize


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "ppmatch holder service",
        "version": "1",
        "description": "Evaluates a partner agency's blinded tokens under a signed agreement. "
        "Mutual TLS is required; the client certificate must be listed for the querier party.",
    },
    "paths": {
        "/v1/info": {
            "get": {
                "summary": "Agreement, epoch and database served",
                "responses": {"200": {"description": "JSON: agreement id/hash, holder, epoch"}},
            }
        },
        "/v1/database": {
            "get": {
                "summary": "The signed holder database (binary, verify before use)",
                "responses": {"200": {"description": "database file bytes"}},
            }
        },
        "/v1/evaluate": {
            "post": {
                "summary": "Evaluate a signed evaluation-request container",
                "requestBody": {"content": {CONTAINER_TYPE: {}}, "required": True},
                "responses": {
                    "200": {"description": "signed evaluation-response container"},
                    "400": {"description": "malformed, tampered, replayed or out-of-order"},
                    "403": {"description": "certificate not listed for the querier party"},
                    "409": {"description": "made under another agreement"},
                    "413": {"description": "request too large"},
                    "429": {"description": "evaluation budget exceeded"},
                },
            }
        },
        "/v1/budget": {
            "get": {
                "summary": "Tokens used today and in total by the caller, and the limits",
                "responses": {"200": {"description": "JSON budget usage"}},
            }
        },
    },
}


def create_app(service: HolderService, database_path: Path) -> Starlette:
    """The ASGI app serving ``database_path`` and evaluations for the agreement's querier."""

    def guarded(handler):
        async def endpoint(request: Request) -> Response:
            try:  # also checked by the server before the body; kept for other ASGI servers
                peer = peer_from_tls(request.scope.get("extensions", {}).get("tls") or {}, service)
            except AgreementError as error:
                service.audit.append("refusal", reason="certificate", message=str(error)[:200])
                service.audit.checkpoint()
                return error_response(error, 403)
            try:
                return await handler(request, peer)
            except PpmatchError as error:
                return error_response(error)

        return endpoint

    async def info(request: Request, peer: Peer) -> Response:
        agreement = service.role.agreement
        return JSONResponse(
            {
                "agreement_id": agreement.id,
                "agreement_hash": agreement.hash().hex(),
                "holder": service.role.keys.name,
                "querier": peer.party,
                "epoch": service.epoch,
            }
        )

    async def database(request: Request, peer: Peer) -> Response:
        return FileResponse(database_path, media_type="application/octet-stream")

    async def evaluate(request: Request, peer: Peer) -> Response:
        body = await request.body()
        response = await run_in_threadpool(
            service.evaluate, body, peer=peer, source="request over HTTPS", allow_retry=True
        )
        return Response(response, media_type=CONTAINER_TYPE)

    async def budget(request: Request, peer: Peer) -> Response:
        today, total = service.ledger.usage(peer.party)
        limits = service.role.agreement.budgets
        return JSONResponse(
            {
                "party": peer.party,
                "used_today": today,
                "used_total": total,
                "daily_tokens": limits.daily_tokens,
                "total_tokens": limits.total_tokens,
            }
        )

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    async def docs(request: Request) -> Response:
        rows = "".join(
            f"<tr><td>{method.upper()}</td><td>{html.escape(path)}</td>"
            f"<td>{html.escape(spec['summary'])}</td></tr>"
            for path, methods in OPENAPI["paths"].items()
            for method, spec in methods.items()
        )
        return HTMLResponse(
            "<!doctype html><title>ppmatch holder service</title>"
            f"<h1>{OPENAPI['info']['title']}</h1><p>{html.escape(OPENAPI['info']['description'])}</p>"
            f"<table border=1><tr><th>method</th><th>path</th><th>what</th></tr>{rows}</table>"
            "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a></p>"
        )

    routes = [
        Route("/openapi.json", openapi),
        Route("/docs", docs),
        Route("/v1/info", guarded(info)),
        Route("/v1/database", guarded(database)),
        Route("/v1/evaluate", guarded(evaluate), methods=["POST"]),
        Route("/v1/budget", guarded(budget)),
    ]
    return Starlette(routes=routes)


def serve(
    service: HolderService,
    database_path: Path,
    *,
    host: str,
    port: int,
    certificate: Path,
    private_key: Path,
    client_ca: Path,
    key_password: bytes | None = None,
    port_file: Path | None = None,
    on_ready=None,
) -> None:
    """Run the HTTPS service until SIGINT/SIGTERM; ``port_file`` receives the bound port."""
    import asyncio
    import signal

    from ppmatch.exchange.atomic import atomic_write_text
    from ppmatch.transport.tls_server import MutualTLSServer, server_ssl_context

    context = server_ssl_context(certificate, private_key, client_ca, key_password=key_password)
    server = MutualTLSServer(
        create_app(service, database_path),
        host=host,
        port=port,
        ssl_context=context,
        authorize=refuse_unlisted(service),
    )

    async def main() -> None:
        bound = await server.start()
        if port_file is not None:
            atomic_write_text(port_file, str(bound))
        if on_ready is not None:
            on_ready(bound)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        serving = asyncio.create_task(server.serve_forever())
        await stop.wait()
        serving.cancel()
        await server.close()

    asyncio.run(main())
