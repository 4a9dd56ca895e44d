"""Request bodies: a size cap for every request and JSON parsing with a depth cap.

Why here and not in each handler: a body is read before any handler can judge it, so
the cap must sit in front of all of them. Without it a 400 MB body was accepted and held
in memory; without the depth cap, ``[`` x 100000 as a JSON body ended in RecursionError (500).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_JSON_DEPTH = 32


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail={"param": "body", "message": f"the request body is larger than {limit} bytes"})


class BodySizeLimitMiddleware:
    """Answers 413 to a body over `limit` bytes, whether announced by Content-Length or streamed.

    A declared length over the cap is refused before anything is read. A chunked body is
    counted as it arrives; the first chunk past the cap raises `BodyTooLarge` inside the
    handler that reads it, which the app's error handlers turn into the usual error shape.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.limit:
                    await _refuse(send, 413 if declared > self.limit else 400, self.limit)
                    return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, status: int, limit: int) -> None:
    message = f"the request body is larger than {limit} bytes" if status == 413 else "Content-Length is not a number"
    body = json.dumps({"error": {"param": "body", "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class JsonBodyError(ValueError):
    """Why a body is not the JSON a handler accepts; the message is shown to the client."""


def nesting_depth(raw: str) -> int:
    """The deepest nesting of arrays and objects in `raw`, skipping string contents."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`raw` decoded as JSON, refusing bad UTF-8, bad syntax and nesting deeper than `max_depth`.

    The depth is measured before parsing (only when the body holds enough brackets to
    matter), so the parser never recurses more than `max_depth` levels.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonBodyError("the body is not UTF-8") from None
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise JsonBodyError(f"the JSON is nested more than {max_depth} levels deep")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise JsonBodyError("the body is not valid JSON") from None
