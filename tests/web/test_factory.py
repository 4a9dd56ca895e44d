"""uvicorn's app factory takes its settings, the handler thread count included, from `Settings`."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from paperfeed.web.app import factory


def _thread_limit(client: TestClient) -> float:
    async def limit() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert client.portal is not None
    return client.portal.call(limit)


@pytest.mark.parametrize(("env", "expected"), [(None, 4), ("3", 3)])
def test_factory_caps_handler_threads_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, expected: int
) -> None:
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERFEED_EMBEDDER", "none")
    if env is None:
        monkeypatch.delenv("PAPERFEED_WEB_THREADS", raising=False)
    else:
        monkeypatch.setenv("PAPERFEED_WEB_THREADS", env)
    with TestClient(factory()) as client:
        assert client.get("/healthz").status_code == 200
        assert _thread_limit(client) == expected
