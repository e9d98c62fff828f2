"""respx for the checker's own transport.

respx patches httpcore's pool by default, which the checker does not use: its requests go
through `transport.GuardedTransport`. This mocker patches that transport's
`handle_async_request`, so `respx.mock(using="checker")` intercepts the checker's requests
before any address is resolved or dialled.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from respx.mocks import AbstractRequestMocker


class CheckerMocker(AbstractRequestMocker):
    name = "checker"
    targets: ClassVar[list[str]] = ["curator.check.http.transport.GuardedTransport"]
    target_methods: ClassVar[list[str]] = ["handle_async_request"]

    @classmethod
    def to_httpx_request(cls, **kwargs: Any) -> httpx.Request:
        request: httpx.Request = kwargs["request"]
        return request

    @classmethod
    def from_sync_httpx_response(
        cls, httpx_response: httpx.Response, target: Any, **kwargs: Any
    ) -> httpx.Response:
        # A fresh, unread response on the mock's stream, as the transport would return it.
        return httpx.Response(
            httpx_response.status_code,
            headers=httpx_response.headers.raw,
            stream=httpx_response.stream,
            extensions=httpx_response.extensions,
        )

    @classmethod
    async def from_async_httpx_response(
        cls, httpx_response: httpx.Response, target: Any, **kwargs: Any
    ) -> httpx.Response:
        return cls.from_sync_httpx_response(httpx_response, target, **kwargs)
