"""A real SMTP server for the digest tests: aiosmtpd on loopback with STARTTLS and AUTH.

Runs in a thread (`Sink.start`) or as its own process (``python smtp_sink.py``),
which is what the SIGKILL test needs: the killed worker and the server must
not share a process. Every accepted message is written to ``<dir>/<n>.eml``
(atomically) and announced on stdout as ``MSG <n>``, so a test can wait for
the n-th message without sleeping.

Faults on demand: `temp_fail` answers ``451`` at the end of DATA for the first
N messages; `reject` answers ``550`` at RCPT for the listed addresses.
`dedupe`: behave like a mail store that keeps one copy per Message-ID
(Gmail, Dovecot's duplicate filter): a duplicate is answered 250 but stored
only in ``<dir>/duplicates/``. See tests/digest/test_faults.py for why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "paperfeed", "s3cret pass"


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(
        self,
        directory: Path,
        temp_fail: int = 0,
        reject: set[str] | None = None,
        dedupe: bool = False,
        announce: bool = False,
        keep: bool = True,
    ) -> None:
        self.directory = directory
        self.keep = keep  # False: count only (benchmarks)
        self.temp_fail = temp_fail
        self.reject = {a.lower() for a in (reject or set())}
        self.dedupe = dedupe
        self.announce = announce
        self.count = 0
        self.duplicates = 0
        self.refused = 0
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.temp_fail > 0:
                self.temp_fail -= 1
                self.refused += 1
                return "451 4.3.0 try again later"
            raw = envelope.original_content or envelope.content
            msg_id = ""
            if self.dedupe:
                msg_id = BytesHeaderParser(policy=email.policy.default).parsebytes(raw).get("Message-ID", "")
            if self.dedupe and msg_id in self.seen:
                self.duplicates += 1
                target = self.directory / "duplicates" / f"{self.duplicates}.eml"
                target.parent.mkdir(exist_ok=True)
                target.write_bytes(raw)
                return "250 OK duplicate discarded"
            self.seen.add(msg_id)
            self.count += 1
            n = self.count
            if not self.keep:
                return "250 2.0.0 OK queued"
            tmp = self.directory / f".{n}.tmp"
            tmp.write_bytes(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n" + raw)
            tmp.replace(self.directory / f"{n}.eml")
        if self.announce:
            print(f"MSG {n}", flush=True)
        return "250 2.0.0 OK queued"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == (PASSWORD.encode())
    )
    return AuthResult(success=ok)


class Sink:
    """aiosmtpd with STARTTLS required before AUTH, AUTH required before MAIL."""

    def __init__(self, directory: Path, cert: Path, key: Path, port: int | None = None, **handler_kw) -> None:
        self.handler = Handler(directory, **handler_kw)
        self.port = port or free_port()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(cert), str(key))
        self.cert = cert
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=ctx,
            require_starttls=True,
            authenticator=_authenticator,
            auth_required=True,
            auth_require_tls=True,
            ready_timeout=10,
        )

    def url(self) -> str:
        from urllib.parse import quote

        return (
            f"smtp+starttls://{USER}:{quote(PASSWORD)}@127.0.0.1:{self.port}?cafile={quote(str(self.cert))}&timeout=10"
        )

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[email.message.EmailMessage]:
        files = sorted(self.handler.directory.glob("*.eml"), key=lambda p: int(p.stem))
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def read_messages(directory: Path) -> list[email.message.EmailMessage]:
    files = sorted(directory.glob("*.eml"), key=lambda p: int(p.stem))
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def spawn(directory: Path, cert: Path, key: Path, port: int, *flags: str) -> subprocess.Popen[str]:
    """This sink as its own process (flags: ``--dedupe``, ``--count-only``); it prints ``READY <port>`` once
    listening, and stops, printing its counts, when its stdin is closed."""
    command = [sys.executable, __file__, str(directory), "--cert", str(cert), "--key", str(key), "--port", str(port)]
    return subprocess.Popen([*command, *flags], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("directory", type=Path)
    ap.add_argument("--cert", type=Path, required=True)
    ap.add_argument("--key", type=Path, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dedupe", action="store_true")
    ap.add_argument("--count-only", action="store_true", help="keep no files, announce nothing (benchmarks)")
    args = ap.parse_args()
    sink = Sink(
        args.directory,
        args.cert,
        args.key,
        port=args.port,
        dedupe=args.dedupe,
        announce=not args.count_only,
        keep=not args.count_only,
    ).start()
    print(f"READY {sink.port}", flush=True)
    try:
        sys.stdin.read()  # runs until the test closes our stdin
    finally:
        sink.stop()
        print(f"DUPLICATES {sink.handler.duplicates}", flush=True)
        print(f"RECEIVED {sink.handler.count}", flush=True)
        os._exit(0)


if __name__ == "__main__":
    main()
