"""Sending mail: the `Mailer` protocol, an SMTP mailer configured by one URL, a file mailer for dev.

Sending is split in two so the outbox can make "sent" and "recorded as sent"
nearly one step: `Mailer.open` does everything up to the end of the message
body (MAIL FROM, RCPT TO, DATA, the content), and `Delivery.commit` sends
the final ``.`` and reads the server's verdict. The worker calls `commit`
inside the database transaction that marks the row sent (see
``digest/worker.py``), so that transaction commits right after the server
accepted the message, and rolls back if it did not. Until the final dot the
server keeps nothing: dropping the connection (`Delivery.abort`, or a crash)
discards the message.

Failures are classified for retrying: `MailError.temporary` is true for 4xx
replies, timeouts, refused or dropped connections and authentication trouble
(a configuration problem must not fail every message), false for other 5xx.
`MailError.whole_server` says the server as a whole is unusable right now,
so the worker stops the pass instead of burning an attempt of every row.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(Exception):
    def __init__(self, message: str, *, temporary: bool, code: int | None = None, whole_server: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code
        self.whole_server = whole_server


class MailConfigError(ValueError):
    """`smtp_url` cannot be used; the message names the part that is wrong."""


class Delivery(Protocol):
    def commit(self) -> None:
        """Finish the message; returns only once the server accepted it, else raises `MailError`."""
        ...

    def abort(self) -> None: ...


class Mailer(Protocol):
    def open(self, sender: str, recipient: str, message: bytes) -> Delivery: ...

    def close(self) -> None: ...


def send(mailer: Mailer, sender: str, recipient: str, message: bytes) -> None:
    """One-step send, for callers that keep no record (previews, tests)."""
    mailer.open(sender, recipient, message).commit()


class RateLimiter:
    """At most `rate` starts per second, spaced evenly (no bursts that trip a provider's limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass(slots=True)
class SmtpConfig:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    timeout: float
    verify: bool
    cafile: str | None
    connections: int = 1  # parallel SMTP connections a send pass may use

    @classmethod
    def from_url(cls, url: str, timeout: float = 30.0) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise MailConfigError(
                f"smtp_url: scheme '{parts.scheme}' is not one of smtp://, smtp+starttls://, smtps://"
            )
        if not parts.hostname:
            raise MailConfigError("smtp_url: no host (e.g. smtp+starttls://user:pass@mail.example.org:587)")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise MailConfigError(f"smtp_url: bad port ({exc})") from exc
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"timeout", "verify", "cafile", "connections"}
        if unknown:
            names = ", ".join(sorted(unknown))
            raise MailConfigError(f"smtp_url: unknown option(s) {names} (known: timeout, verify, cafile, connections)")
        try:
            timeout = float(query.get("timeout", timeout))
        except ValueError as exc:
            raise MailConfigError("smtp_url: timeout must be a number of seconds") from exc
        connections = query.get("connections", "1")
        if not connections.isdigit() or not 1 <= int(connections) <= 16:
            raise MailConfigError("smtp_url: connections must be a whole number from 1 to 16")
        return cls(
            connections=int(connections),
            scheme=parts.scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
            verify=query.get("verify", "true").lower() not in ("0", "false", "no"),
            cafile=query.get("cafile"),
        )

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.cafile)
        if not self.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx


_EOL = re.compile(rb"\r\n|\n|\r")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _data_payload(message: bytes) -> bytes:
    """CRLF line ends and dot-stuffing (RFC 5321 4.5.2), without the terminating dot."""
    body = _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", message))
    return body if body.endswith(b"\r\n") else body + b"\r\n"


def _reply_error(stage: str, code: int, reply: bytes | str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    temporary = 400 <= code < 500 or code < 200
    return MailError(f"{stage}: {code} {text}".strip(), temporary=temporary, code=code, whole_server=code == 421)


class SmtpMailer:
    """SMTP with STARTTLS or implicit TLS and AUTH; one connection reused across messages."""

    def __init__(self, url: str, rate_per_s: float = 20.0, timeout: float = 30.0, local_hostname: str | None = None):
        self.config = SmtpConfig.from_url(url, timeout)
        self.limiter = RateLimiter(rate_per_s)
        self.local_hostname = local_hostname
        self._conn: smtplib.SMTP | None = None
        self.connections = 0  # how many times we connected (reuse is visible in tests)

    # -- connection ------------------------------------------------------------
    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.scheme == "smtps":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host,
                    cfg.port,
                    timeout=cfg.timeout,
                    context=cfg.ssl_context(),
                    local_hostname=self.local_hostname,
                )
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout, local_hostname=self.local_hostname)
            # The last line of DATA is a small write after a larger one: without TCP_NODELAY,
            # Nagle's algorithm and delayed ACKs stall every message by ~40 ms.
            if conn.sock is not None:
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo()
            if cfg.scheme == "smtp+starttls":
                conn.starttls(context=cfg.ssl_context())
                conn.ehlo()
            if cfg.username:
                conn.login(cfg.username, cfg.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}",
                temporary=True,
                code=exc.smtp_code,
                whole_server=True,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise MailError(
                f"SMTP server refused the session: {exc.smtp_code} {exc.smtp_error!r}",
                temporary=True,
                code=exc.smtp_code,
                whole_server=True,
            ) from exc
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise MailError(
                f"cannot reach SMTP server {cfg.host}:{cfg.port}: {exc}", temporary=True, whole_server=True
            ) from exc
        self.connections += 1
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._conn.quit()
        self._drop()

    # -- sending ---------------------------------------------------------------
    def open(self, sender: str, recipient: str, message: bytes) -> Delivery:
        self.limiter.wait()
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                code, reply = conn.mail(sender)
            except (smtplib.SMTPServerDisconnected, OSError):
                self._drop()  # a reused connection the server closed while idle: reconnect once
                if attempt == 2:
                    raise MailError("SMTP server closed the connection", temporary=True, whole_server=True) from None
                continue
            break
        try:
            if code != 250:
                raise _reply_error("MAIL FROM", code, reply)
            code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                raise _reply_error("RCPT TO", code, reply)
            conn.putcmd("data")
            code, reply = conn.getreply()
            if code != 354:
                raise _reply_error("DATA", code, reply)
            conn.send(_data_payload(message))
        except MailError as exc:
            self._reset(exc)
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise MailError(f"SMTP conversation failed: {exc}", temporary=True) from exc
        return _SmtpDelivery(self, conn)

    def _reset(self, exc: MailError) -> None:
        if exc.code == 421 or self._conn is None:
            self._drop()
            return
        try:
            self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()


class _SmtpDelivery:
    def __init__(self, mailer: SmtpMailer, conn: smtplib.SMTP) -> None:
        self.mailer = mailer
        self.conn = conn

    def commit(self) -> None:
        try:
            self.conn.send(b".\r\n")
            code, reply = self.conn.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.mailer._drop()
            # Timeout after the dot: the server may have kept it; we retry (at-least-once).
            raise MailError(f"no answer to the end of DATA: {exc}", temporary=True) from exc
        if code != 250:
            error = _reply_error("end of DATA", code, reply)
            self.mailer._reset(error)
            raise error

    def abort(self) -> None:
        self.mailer._drop()  # closing mid-DATA makes the server discard the message


class FileMailer:
    """Development mailer: each message becomes a ``.eml`` file (and a line on stderr)."""

    def __init__(self, directory: Path, echo: bool = True) -> None:
        self.directory = directory
        self.echo = echo
        self._n = 0

    def open(self, sender: str, recipient: str, message: bytes) -> Delivery:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._n += 1
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{socket.gethostname()[:16]}-{id(self):x}-{self._n}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(message)
        return _FileDelivery(tmp, self.directory / name, recipient, self.echo)

    def close(self) -> None:
        return None


@dataclass(slots=True)
class _FileDelivery:
    tmp: Path
    final: Path
    recipient: str
    echo: bool

    def commit(self) -> None:
        self.tmp.replace(self.final)
        if self.echo:
            print(f"mail to {self.recipient} saved as {self.final}", file=sys.stderr)

    def abort(self) -> None:
        self.tmp.unlink(missing_ok=True)


def open_mailer(settings: object) -> Mailer:
    """SMTP when `settings.smtp_url` is set, else .eml files under ``data_dir/mail``."""
    url = getattr(settings, "smtp_url", None)
    if url:
        return SmtpMailer(url, rate_per_s=float(getattr(settings, "mail_rate_per_s", 20.0)))
    return FileMailer(Path(settings.data_dir) / "mail")  # type: ignore[attr-defined]
