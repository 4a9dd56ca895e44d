"""`paperfeed digest run|preview|status` through the real command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import add_subscribers
from paperfeed.cli import app


def _env(dpf) -> dict[str, str]:
    s = dpf.settings
    return {
        "PAPERFEED_DATA_DIR": str(s.data_dir),
        "PAPERFEED_SMTP_URL": s.smtp_url,
        "PAPERFEED_MAIL_RATE_PER_S": "0",
        "PAPERFEED_SECRET_KEY": s.secret_key,
        "PAPERFEED_EMBEDDER": "none",
        "PAPERFEED_BASE_URL": s.base_url,
        "PAPERFEED_MAIL_FROM": s.mail_from,
    }


def test_run_preview_status(dpf, sink, tmp_path) -> None:
    add_subscribers(dpf, 3)
    runner = CliRunner()
    env = _env(dpf)
    out = tmp_path / "preview.html"
    r = runner.invoke(
        app,
        ["digest", "preview", "reader0@example.org", "--out", str(out), "--now", "2026-11-03T08:00:00+00:00"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    assert "papers for Tue 3 Nov" in r.output and "<table" in out.read_text()
    r = runner.invoke(app, ["digest", "preview", "nobody@example.org"], env=env)
    assert r.exit_code == 3 and "no subscriber" in r.output  # 3: not found
    assert sink.messages() == []  # previews send nothing

    r = runner.invoke(app, ["digest", "run", "--now", "2026-11-03T08:00:00Z", "--json"], env=env)
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["compose"]["composed"] == 3 and report["send"]["sent"] == 3
    assert len(sink.messages()) == 3

    r = runner.invoke(app, ["digest", "status", "--json"], env=env)
    status = json.loads(r.output)
    assert status["subscribers"] == {"confirmed": 3}
    assert status["outbox"]["2026-11-03"]["digest"] == {"sent": 3}

    r = runner.invoke(app, ["digest", "run", "--now", "yesterday"], env=env)
    assert r.exit_code == 2 and "--now" in r.output
