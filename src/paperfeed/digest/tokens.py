"""Signed, expiring links for mail recipients: confirm, manage, unsubscribe.

A link carries ``{"s": subscriber id, "v": token_version, "e": keyed hash of
the address}`` signed with the site's secret key and a salt per purpose, so a
confirm token cannot be replayed as a manage token. Bumping a subscriber's
``token_version`` revokes every link issued before (done on unsubscribe).
The address hash matters after "delete my data": SQLite may give a deleted
subscriber's id to the next one, and the old links must not open that account.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

MAX_AGE_S = {
    "confirm": 3 * 24 * 3600,  # a confirmation mail is acted on soon or never
    "manage": 120 * 24 * 3600,  # every digest carries a fresh one
    "unsubscribe": 400 * 24 * 3600,  # must still work on an old mail
}


class TokenError(ValueError):
    """A link that is forged, for another purpose, revoked or too old."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subscriber_id: int
    token_version: int
    email_tag: str


def email_tag(secret_key: str, email: str) -> str:
    return hmac.new(secret_key.encode(), f"token-email:{email}".encode(), hashlib.sha256).hexdigest()[:16]


def _serializer(secret_key: str, purpose: str, now: float | None) -> URLSafeTimedSerializer:
    if purpose not in MAX_AGE_S:
        raise ValueError(f"unknown token purpose '{purpose}'")

    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:  # a fixed clock lets tests age a token without sleeping
            return int(now if now is not None else time.time())

    return URLSafeTimedSerializer(secret_key, salt=f"paperfeed.digest.{purpose}", signer=_Signer)


def make_token(
    secret_key: str, purpose: str, subscriber_id: int, token_version: int, email: str, now: float | None = None
) -> str:
    payload = {"s": subscriber_id, "v": token_version, "e": email_tag(secret_key, email)}
    return _serializer(secret_key, purpose, now).dumps(payload)


def read_token(secret_key: str, purpose: str, token: str, now: float | None = None) -> TokenClaims:
    """The claims of a valid token; `TokenError` otherwise (version and address are checked by the caller)."""
    if not token or len(token) > 512:
        raise TokenError("malformed link")
    try:
        data = _serializer(secret_key, purpose, now).loads(token, max_age=MAX_AGE_S[purpose])
    except SignatureExpired as exc:
        raise TokenError("this link has expired") from exc
    except BadSignature as exc:
        raise TokenError("this link is not valid") from exc
    if not (
        isinstance(data, dict)
        and isinstance(data.get("s"), int)
        and isinstance(data.get("v"), int)
        and isinstance(data.get("e"), str)
    ):
        raise TokenError("this link is not valid")
    return TokenClaims(data["s"], data["v"], data["e"])
