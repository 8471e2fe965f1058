"""The querier's HTTPS client for the holder service (httpx, mutual TLS, retries).

Transport failures (connection refused or reset, timeouts) and 502/503/504 are retried with
exponential backoff; the service answers a byte-identical resend of an evaluation request with
its stored response, so a retry after a lost answer is neither refused nor charged twice.
Refusals (4xx) are not retried: they come back as the ``ppmatch.errors`` class the server
named, with its message.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from pathlib import Path

import httpx

from ppmatch import errors
from ppmatch.errors import AgreementError, PpmatchError, ProtocolError
from ppmatch.exchange.atomic import atomic_writer

RETRY_STATUS = {502, 503, 504}
_ERROR_CLASSES = {
    name: getattr(errors, name)
    for name in (
        "AgreementError",
        "BudgetExceeded",
        "CryptoError",
        "IntegrityError",
        "ProtocolError",
    )
}


class TransportError(PpmatchError):
    """The holder service could not be reached or answered unusably after all retries."""

    exit_code = 7


def client_ssl_context(
    certificate: Path, private_key: Path, server_ca: Path, *, key_password: bytes | None = None
) -> ssl.SSLContext:
    from ppmatch.transport.tls_server import load_tls_files

    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    load_tls_files(context, certificate, private_key, server_ca, key_password)
    return context


class HolderClient:
    """Calls one holder service; ``server_fingerprints`` pins the holder's TLS certificate."""

    def __init__(
        self,
        base_url: str,
        ssl_context: ssl.SSLContext,
        *,
        server_fingerprints: list[str] | tuple[str, ...] = (),
        retries: int = 4,
        backoff: float = 0.5,
        timeout: float = 300.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.server_fingerprints = set(server_fingerprints)
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(verify=ssl_context, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HolderClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_server(self, response: httpx.Response) -> None:
        if not self.server_fingerprints:
            return
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        der = ssl_object.getpeercert(True) if ssl_object is not None else None
        if der is None or hashlib.sha256(der).hexdigest() not in self.server_fingerprints:
            raise AgreementError(
                f"{self.base_url}: the server's TLS certificate is not the one listed for the "
                "holder in the agreement"
            )

    def _request(
        self, method: str, path: str, *, content: bytes | None = None, stream_to: Path | None = None
    ) -> bytes:
        url = f"{self.base_url}{path}"
        last_problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with self._http.stream(method, url, content=content) as response:
                    self._check_server(response)
                    if response.status_code in RETRY_STATUS:
                        last_problem = f"HTTP {response.status_code}"
                        continue
                    if response.status_code != 200:
                        raise self._refusal(response.read(), response)
                    if stream_to is not None:
                        with atomic_writer(stream_to) as sink:
                            for block in response.iter_bytes(1 << 20):
                                sink.write(block)
                        return b""
                    return response.read()
            except httpx.TransportError as error:
                last_problem = f"{type(error).__name__}: {error}"
        raise TransportError(
            f"{url}: no usable answer after {self.retries + 1} attempts ({last_problem})"
        )

    def _refusal(self, body: bytes, response: httpx.Response) -> PpmatchError:
        kind = response.headers.get("x-ppmatch-error", "")
        try:
            message = httpx.Response(200, content=body).json().get("message", "")
        except ValueError:
            message = body[:200].decode("utf-8", "replace")
        cls = _ERROR_CLASSES.get(kind, ProtocolError)
        return cls(f"holder service refused (HTTP {response.status_code}): {message}")

    def info(self) -> dict:
        return httpx.Response(200, content=self._request("GET", "/v1/info")).json()

    def download_database(self, path: Path) -> None:
        """Stream the holder database to ``path`` atomically (verify it before use)."""
        self._request("GET", "/v1/database", stream_to=path)

    def evaluate(self, request_container: bytes) -> bytes:
        return self._request("POST", "/v1/evaluate", content=request_container)
