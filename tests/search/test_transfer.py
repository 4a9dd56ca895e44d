"""`paperfeed index export FILE` / `import FILE` between two real installs (SQLite data dirs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.search.conftest import load_records
from tests.search.embedders import HashEmbedder
from typer.testing import CliRunner

from paperfeed.app import open_paperfeed
from paperfeed.cli import app
from paperfeed.config import Settings
from paperfeed.search.embed import paper_text, text_key
from paperfeed.search.engine import HybridSearcher
from paperfeed.search.transfer import MAGIC

EMBEDDER = "tests.search.embedders:HashEmbedder"
runner = CliRunner()


def _install(root: Path, name: str) -> Path:
    data = root / name
    pf = open_paperfeed(Settings(data_dir=data, embedder="none"))
    pf.store.upsert_papers(load_records())
    pf.close()
    return data


def _cli(data: Path, *args: str, embedder: str = EMBEDDER):
    return runner.invoke(app, ["--data-dir", str(data), *args], env={"PAPERFEED_EMBEDDER": embedder})


class Counting(HashEmbedder):
    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts, batch_size=32, progress=False):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return super().embed(texts, batch_size, progress)


def test_vectors_move_to_another_install_and_are_not_embedded_again(tmp_path: Path) -> None:
    a, b = _install(tmp_path, "a"), _install(tmp_path, "b")
    res = _cli(a, "index", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["semantic_coverage"]["complete"] is True
    file = tmp_path / "vectors.pfvec"
    res = _cli(a, "index", "export", str(file), "--json")
    assert res.exit_code == 0, res.output
    exported = json.loads(res.stdout)
    assert exported["model"] == "test-hash-64" and exported["vectors"] >= 30  # papers and their passages

    res = _cli(b, "index", "import", str(file), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {
        "file": str(file),
        "model": "test-hash-64",
        "read": exported["vectors"],
        "stored": exported["vectors"],
    }
    again = _cli(b, "index", "import", str(file), "--json")
    assert json.loads(again.stdout)["stored"] == 0  # nothing stored twice

    pf = open_paperfeed(Settings(data_dir=b, embedder=EMBEDDER))
    emb = Counting()
    from paperfeed.search import embedded_backends

    s = HybridSearcher(pf.store, embedded_backends(pf.settings), embedder_loader=lambda: emb)
    s.refresh(progress=False)
    assert emb.texts == 0  # every paper (and passage) vector came from the file
    assert s.coverage(max_age_s=0).complete
    paper = pf.store.get_paper("2404.00008")
    cached = pf.store.get_embeddings("test-hash-64", [text_key(paper_text(paper.title, paper.abstract))])
    assert len(cached) == 1
    s.close()
    pf.close()


def test_a_file_of_another_model_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    a, b = _install(tmp_path, "a"), _install(tmp_path, "b")
    assert _cli(a, "index").exit_code == 0
    file = tmp_path / "vectors.pfvec"
    assert _cli(a, "index", "export", str(file)).exit_code == 0
    res = _cli(b, "index", "import", str(file), embedder="tests.search.embedders:OtherHashEmbedder")
    said = " ".join(res.output.split())  # the error console wraps long lines
    assert res.exit_code == 2
    assert "holds vectors of model 'test-hash-64', but this install embeds with 'test-hash-other'" in said
    pf = open_paperfeed(Settings(data_dir=b, embedder="none"))
    assert list(pf.store.iter_embeddings("test-hash-64")) == []
    assert list(pf.store.iter_embeddings("test-hash-other")) == []
    pf.close()


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda raw: b"hello world\n" + raw, "not a paperfeed vectors file"),
        (lambda raw: raw[:-7], "truncated in record"),
        (lambda raw: raw[: len(MAGIC)] + b"{oops\n", "unreadable header"),
    ],
)
def test_a_damaged_file_gets_a_clear_error(tmp_path: Path, damage, message: str) -> None:
    a = _install(tmp_path, "a")
    assert _cli(a, "index").exit_code == 0
    file = tmp_path / "vectors.pfvec"
    assert _cli(a, "index", "export", str(file)).exit_code == 0
    file.write_bytes(damage(file.read_bytes()))
    res = _cli(_install(tmp_path, "b"), "index", "import", str(file))
    said = " ".join(res.output.split())  # the error console wraps long lines
    assert res.exit_code == 2 and message in said and "Traceback" not in said


def test_index_without_a_terminal_prints_rate_and_eta_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperfeed.search import refresh

    monkeypatch.setattr(refresh, "REPORT_EVERY_S", 0.0)  # a line per step instead of one per 10 s
    monkeypatch.setattr(refresh, "EMBED_BATCH", 8)
    a = _install(tmp_path, "a")
    res = _cli(a, "index", "--workers", "1")
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("embedding (test-hash-64)")]
    assert len(lines) == 4 and lines[-1].startswith("embedding (test-hash-64): 30/30 papers, ")
    assert all(" papers/s, ETA " in ln for ln in lines)
