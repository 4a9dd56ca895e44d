"""Turning a digest (or a confirmation) into an RFC 5322 message.

Messages are built with `email.message.EmailMessage` and ``policy.SMTP``:
the policy refuses any header value containing CR or LF, so no field a
subscriber controls can add a header. Subscriber text (topics, names)
only ever reaches the bodies, where Jinja escapes it in HTML.

The HTML part uses nested tables and inline ``style`` attributes only
(many mail clients drop ``<style>`` blocks), a 600 px maximum width and
wrapping rules for long titles and URLs, so it fits a 360 px phone screen.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from paperfeed.digest.model import Digest, DigestItem
from paperfeed.models import http_url

TEMPLATES = Path(__file__).resolve().parent / "templates"
# SMTP line ends and CR/LF refused in header values, as policy.SMTP; lines up to RFC 5322's hard
# limit of 998 so long URL headers (List-Unsubscribe) are never folded into RFC 2047 encoded
# words, which mail clients do not decode there and which would break the links.
POLICY = policy.SMTP.clone(max_line_length=998)

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _clip(text: str | None, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def _authors(names: list[str], n: int = 4) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


_env.filters.update(clip=_clip, authors=_authors, http_url=http_url)


@dataclass(slots=True)
class Links:
    """Absolute URLs a message carries; built by the caller, which holds the secret key."""

    base_url: str
    manage: str
    unsubscribe: str  # HTTPS one-click (RFC 8058) URL
    unsubscribe_mailto: str

    def paper(self, paper_id: str) -> str:
        return f"{self.base_url.rstrip('/')}/papers/{quote(paper_id, safe='/.-_')}"


@dataclass(slots=True)
class Rendered:
    subject: str
    message: str  # the whole message, ASCII (MIME-encoded)
    message_id: str
    html: str
    text: str


def mail_domain(base_url: str, mail_from: str) -> str:
    addr = parseaddr(mail_from)[1]
    if "@" in addr:
        return addr.rpartition("@")[2].lower()
    return (urlsplit(base_url).hostname or "localhost").lower()


def message_id(secret_key: str, kind: str, subscriber_id: int, period: str, domain: str) -> str:
    """Stable per (subscriber, period, kind): a resent copy carries the same id, so receivers
    that collapse duplicates by Message-ID do; keyed so it reveals nothing about the subscriber."""
    mac = hmac.new(secret_key.encode(), f"{kind}:{subscriber_id}:{period}".encode(), hashlib.sha256).hexdigest()
    return f"<{kind}.{mac[:24]}@{domain}>"


def subject_for(digest: Digest) -> str:
    n = len(digest)
    noun = "paper" if n == 1 else "papers"
    day = f"{digest.day:%a} {digest.day.day} {digest.day:%b}"
    if digest.frequency == "weekly":
        return f"paperfeed: {n} {noun} for the week to {day}"
    return f"paperfeed: {n} {noun} for {day}"


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str | None,
    msg_id: str,
    when: datetime,
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Raises ValueError if any header value carries CR/LF (header injection)."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    _name, addr = parseaddr(recipient)
    if not addr or addr != recipient.strip() or "\r" in recipient or "\n" in recipient:
        raise ValueError(f"recipient: '{recipient!r}' is not a bare address")
    msg["To"] = Address(addr_spec=addr)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = msg_id
    msg["MIME-Version"] = "1.0"
    for key, value in (extra_headers or {}).items():
        msg[key] = value
    msg.set_content(text, cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg


def list_headers(links: Links, domain: str) -> dict[str, str]:
    return {
        "List-Id": f"paperfeed digest <digest.{domain}>",
        "List-Unsubscribe": f"<{links.unsubscribe_mailto}>, <{links.unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
    }


class Fragments:
    """Rendered paper blocks, reused across the digests of one pass.

    The same trending paper or topic hit appears in thousands of digests;
    rendering its block once is most of what makes composing cheap.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str, str], tuple[Markup, str]] = {}

    def item(self, item: DigestItem, links: Links) -> tuple[Markup, str]:
        key = (item.paper.id, item.paper.content_hash, item.reason, links.base_url)
        found = self._cache.get(key)
        if found is None:
            ctx = {"item": item, "links": links}
            found = (Markup(_env.get_template("_item.html").render(ctx)), _env.get_template("_item.txt").render(ctx))
            if len(self._cache) < 200_000:
                self._cache[key] = found
        return found


def render_digest(
    digest: Digest,
    *,
    links: Links,
    sender: str,
    msg_id: str,
    when: datetime,
    domain: str,
    fragments: Fragments | None = None,
) -> Rendered:
    fragments = fragments or Fragments()
    subject = subject_for(digest)
    ctx = {
        "digest": digest,
        "subject": subject,
        "links": links,
        "day_label": f"{digest.day:%A} {digest.day.day} {digest.day:%B %Y}",
        "trending": [fragments.item(i, links) for i in digest.trending],
        "for_you": [fragments.item(i, links) for i in digest.for_you],
    }
    text = _env.get_template("digest.txt").render(ctx)
    html = _env.get_template("digest.html").render(ctx)
    msg = build_message(
        sender=sender,
        recipient=digest.email,
        subject=subject,
        text=text,
        html=html,
        msg_id=msg_id,
        when=when,
        extra_headers=list_headers(links, domain),
    )
    return Rendered(subject, msg.as_string(), msg_id, html, text)


def render_notice(
    template: str,
    *,
    recipient: str,
    subject: str,
    url: str,
    base_url: str,
    sender: str,
    msg_id: str,
    when: datetime,
    day: date | None = None,
) -> Rendered:
    """Confirmation (`confirm`) and "you are already subscribed" (`notice`) mails."""
    ctx = {"url": url, "base_url": base_url, "subject": subject, "day": day}
    text = _env.get_template(f"{template}.txt").render(ctx)
    html = _env.get_template(f"{template}.html").render(ctx)
    msg = build_message(
        sender=sender,
        recipient=recipient,
        subject=subject,
        text=text,
        html=html,
        msg_id=msg_id,
        when=when,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    return Rendered(subject, msg.as_string(), msg_id, html, text)
