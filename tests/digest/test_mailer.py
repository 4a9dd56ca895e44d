"""Mailers: the SMTP URL, implicit TLS, connection reuse, the rate limit, the dev file mailer."""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from smtp_sink import PASSWORD, USER, Handler, _authenticator, free_port

from paperfeed.digest.mailer import FileMailer, MailConfigError, MailError, RateLimiter, SmtpConfig, SmtpMailer, send


def test_url_parsing() -> None:
    cfg = SmtpConfig.from_url("smtp+starttls://us%40er:p%3Ass@mail.example.org:2525?timeout=5&verify=false")
    assert (cfg.scheme, cfg.host, cfg.port, cfg.username, cfg.password, cfg.timeout, cfg.verify) == (
        "smtp+starttls",
        "mail.example.org",
        2525,
        "us@er",
        "p:ss",
        5.0,
        False,
    )
    assert SmtpConfig.from_url("smtps://h").port == 465 and SmtpConfig.from_url("smtp+starttls://h").port == 587
    for bad, word in (
        ("http://h", "scheme"),
        ("smtp://", "host"),
        ("smtp://h?color=red", "color"),
        ("smtp://h?timeout=soon", "timeout"),
    ):
        with pytest.raises(MailConfigError, match=word):
            SmtpConfig.from_url(bad)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_auth_and_one_connection_for_many_messages(tmp_path: Path, tls) -> None:
    cert, key = tls
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    handler = Handler(tmp_path / "box")
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        ssl_context=ctx,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
        ready_timeout=10,
    )  # TLS is implicit here
    controller.start()
    try:
        mailer = SmtpMailer(
            f"smtps://{USER}:{quote(PASSWORD)}@127.0.0.1:{port}?cafile={quote(str(cert))}", rate_per_s=0
        )
        for i in range(5):
            send(mailer, "d@example.org", f"r{i}@example.org", f"Subject: {i}\r\n\r\nbody {i}\r\n".encode())
        mailer.close()
    finally:
        controller.stop()
    assert handler.count == 5 and mailer.connections == 1


def test_wrong_password_is_a_temporary_whole_server_failure(sink) -> None:
    url = sink.url().replace(quote(PASSWORD), "wrong")
    with pytest.raises(MailError) as info:
        send(SmtpMailer(url, rate_per_s=0), "d@example.org", "r@example.org", b"Subject: x\r\n\r\nx\r\n")
    assert info.value.temporary and info.value.whole_server
    assert sink.handler.count == 0


def test_untrusted_certificate_is_refused(sink) -> None:
    url = sink.url().split("?")[0]  # no cafile: the self-signed certificate is not trusted
    with pytest.raises(MailError, match=r"cannot reach|certificate"):
        send(SmtpMailer(url, rate_per_s=0), "d@example.org", "r@example.org", b"Subject: x\r\n\r\nx\r\n")


def test_rate_limiter_spaces_sends() -> None:
    limiter = RateLimiter(50.0)
    start = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert time.monotonic() - start >= 5 / 50 * 0.9


def test_file_mailer_writes_only_committed_messages(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path / "mail", echo=False)
    mailer.open("d@example.org", "a@example.org", b"Subject: a\r\n\r\na\r\n").commit()
    mailer.open("d@example.org", "b@example.org", b"Subject: b\r\n\r\nb\r\n").abort()
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1 and files[0].read_bytes().startswith(b"Subject: a")
