"""The CLI's own surface: its version and Typer's shell completion."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def _paperfeed(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paperfeed", *args], capture_output=True, text=True, timeout=60)


def test_version_prints_the_installed_version() -> None:
    out = _paperfeed("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"paperfeed {version('paperfeed')}"


def test_shell_completion_script_is_offered() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "paperfeed", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert out.returncode == 0, out.stderr
    assert "complete" in out.stdout and "paperfeed" in out.stdout.lower()
