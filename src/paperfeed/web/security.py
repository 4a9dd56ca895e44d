"""CSRF tokens, signed cookies, the anonymous visitor id and response security headers.

CSRF uses the *signed double-submit* pattern: a random value lives in a
cookie, and every form carries the same value signed with the site's secret
key. A cross-site page can make the browser send the cookie but can neither
read it nor forge its signature, so it cannot produce a matching form field.
No server-side session is needed, which keeps several workers stateless.

Other routers (the subscription flow) reuse `csrf_token`, `verify_csrf`,
`require_csrf`, `visitor_id` and `set_cookie` from here.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

CSRF_COOKIE = "pf_csrf"
CSRF_FIELD = "csrf_token"
VISITOR_COOKIE = "pf_vid"
CSRF_MAX_AGE_S = 7 * 24 * 3600
VISITOR_MAX_AGE_S = 365 * 24 * 3600

# Scope keys: cookies to add to the response, and the request's serializer.
_PENDING = "paperfeed.set_cookies"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class Signer:
    """Signs and checks short strings with the site's secret key, one salt per purpose."""

    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key
        self._csrf = URLSafeTimedSerializer(secret_key, salt="paperfeed.csrf")
        self._cookie = URLSafeTimedSerializer(secret_key, salt="paperfeed.cookie")

    def sign_cookie(self, value: str) -> str:
        return self._cookie.dumps(value)

    def unsign_cookie(self, signed: str | None, max_age: int | None = None) -> str | None:
        if not signed:
            return None
        try:
            value = self._cookie.loads(signed, max_age=max_age)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def keyed_hash(self, value: str, purpose: str) -> str:
        """A one-way id: with the key, an IPv4 /24 cannot be recovered by trying all 2^24 prefixes."""
        mac = hmac.new(self.secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]


def signer_of(request: Request) -> Signer:
    return request.app.state.signer


def set_cookie(request: Request, name: str, value: str, max_age: int, http_only: bool = True) -> None:
    """Queue a cookie for whatever response this request ends with (HTML, JSON or redirect).

    `Secure` when the client's scheme was https: the request's own scheme (uvicorn sets it
    from a trusted proxy's X-Forwarded-Proto) or an https base URL, which means the site is
    only reached over TLS whatever the proxy says.
    """
    base_url = request.app.state.pf.settings.base_url
    secure = request.url.scheme == "https" or base_url.lower().startswith("https://")
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    pending: dict[str, str] = request.scope.setdefault(_PENDING, {})
    pending[name] = "; ".join(parts)


def csrf_token(request: Request) -> str:
    """The token to put in a form's hidden `csrf_token` field; sets the cookie half if needed."""
    cached = request.scope.get("paperfeed.csrf_token")
    if cached:
        return cached
    signer = signer_of(request)
    raw = request.cookies.get(CSRF_COOKIE, "")
    if not (16 <= len(raw) <= 64 and raw.replace("-", "").replace("_", "").isalnum()):
        raw = secrets.token_urlsafe(24)
        set_cookie(request, CSRF_COOKIE, raw, CSRF_MAX_AGE_S)
    token = signer._csrf.dumps(raw)
    request.scope["paperfeed.csrf_token"] = token
    return token


def verify_csrf(request: Request, token: str | None) -> bool:
    """True when `token` is our signature of the value in this browser's CSRF cookie."""
    raw = request.cookies.get(CSRF_COOKIE)
    if not raw or not token:
        return False
    try:
        value = signer_of(request)._csrf.loads(token, max_age=CSRF_MAX_AGE_S)
    except BadSignature:
        return False
    return isinstance(value, str) and hmac.compare_digest(value, raw)


async def require_csrf(request: Request) -> None:
    """FastAPI dependency for POST forms: 403 unless the form's token matches the cookie."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not verify_csrf(request, token if isinstance(token, str) else None):
        raise HTTPException(
            status_code=403,
            detail={"param": CSRF_FIELD, "message": "the form's security token is missing or expired; reload the page"},
        )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of `url`, lower-cased, default ports dropped (how browsers send Origin)."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def cross_site_reason(request: Request, base_url: str) -> str | None:
    """Why this request came from another site's page, or None when it did not.

    Browsers mark every request a page makes with ``Sec-Fetch-Site`` and, for a POST or PUT,
    with ``Origin``; clients that are not browsers (curl, scripts) send neither, and they
    cannot be driven by a web page, so their requests pass. An Origin is accepted when it
    is the configured base URL's: not the Host header's, which a DNS-rebinding page controls.
    """
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    if fetch_site in ("cross-site", "same-site"):
        return f"requests from other sites are refused (Sec-Fetch-Site: {fetch_site})"
    origin = request.headers.get("origin")
    if origin is None:
        return None
    if origin.strip().lower() == "null" or origin_of(origin) != origin_of(base_url):
        return f"requests from origin '{origin[:80]}' are refused"
    return None


def visitor_id(request: Request, create: bool = True) -> str | None:
    """The anonymous visitor's random id from its signed cookie (made on first need)."""
    cached = request.scope.get("paperfeed.visitor")
    if cached:
        return cached
    signer = signer_of(request)
    vid = signer.unsign_cookie(request.cookies.get(VISITOR_COOKIE))
    if vid is None:
        if not create:
            return None
        vid = secrets.token_urlsafe(16)
        set_cookie(request, VISITOR_COOKIE, signer.sign_cookie(vid), VISITOR_MAX_AGE_S)
    request.scope["paperfeed.visitor"] = vid
    return vid


def actor_hash(request: Request, vid: str) -> str:
    return signer_of(request).keyed_hash(vid, "actor")


def network_of(host: str | None) -> str:
    """The client's IPv4 /24 or IPv6 /48 prefix: what one household or one abuser shares."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def network_hash(request: Request) -> str:
    host = request.client.host if request.client else None
    return signer_of(request).keyed_hash(network_of(host), "network")


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class SecurityHeadersMiddleware:
    """Adds the security headers and any queued cookies to every HTTP response.

    Plain ASGI rather than `BaseHTTPMiddleware`: it costs one header merge per
    response and does not buffer streaming bodies.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                for cookie in scope.get(_PENDING, {}).values():
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
