"""ppmatch.transport: the holder's mutual-TLS HTTPS service and the querier's client.

- ``tls_server.MutualTLSServer``: asyncio + ssl + h11 server that gives ASGI apps the verified
  client certificate (``scope["extensions"]["tls"]``).
- ``service.create_app`` / ``service.serve``: the holder service over ``HolderService``.
- ``client.HolderClient``: httpx client with mutual TLS, pinning and retries.
- ``online.run_online_query``: the resumable ``query run``.
"""
