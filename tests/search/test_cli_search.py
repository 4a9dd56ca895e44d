"""`paperfeed index / search / similar / eval beir` on a real data dir, keyword-only (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.search.conftest import load_records
from typer.testing import CliRunner

from paperfeed.app import Paperfeed
from paperfeed.cli import app

runner = CliRunner()


@pytest.fixture
def cli(pf: Paperfeed, monkeypatch: pytest.MonkeyPatch):
    pf.store.upsert_papers(load_records())
    monkeypatch.setenv("PAPERFEED_EMBEDDER", "none")

    def invoke(*args: str):
        return runner.invoke(app, ["--data-dir", str(pf.settings.data_dir), *args])

    return invoke


def test_index_search_similar(cli) -> None:
    res = cli("index", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["indexed"] == 30
    res = cli("search", "protein structure", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["results"][0]["paper"]["id"] == "2404.00008"
    assert data["mode"] == "lexical" and "keyword" in data["notice"]
    res = cli("search", "diffusion", "--category", "cs.RO", "--since", "2024-06-01")
    assert res.exit_code == 0 and "2412.00024" in res.stdout
    res = cli("similar", "2401.00001", "--json", "-k", "3")
    assert res.exit_code == 0, res.output
    similar = json.loads(res.stdout)
    assert similar["paper_id"] == "2401.00001" and len(similar["results"]) == 3


@pytest.mark.parametrize(
    "args,fragment",
    [
        (("search", "x", "--since", "soon"), "--since"),
        (("search", "year:abc"), "query: year"),
        (("search", "x", "--mode", "psychic"), "--mode"),
    ],
)
def test_bad_input_is_a_clear_error(cli, args: tuple[str, ...], fragment: str) -> None:
    res = cli(*args)
    assert res.exit_code == 2
    assert fragment in res.output
    assert "Traceback" not in res.output


def test_not_found_exits_3_and_json_matches_the_api_models(cli) -> None:
    res = cli("similar", "no-such-paper")
    assert res.exit_code == 3 and "no paper with id" in res.output and "Traceback" not in res.output
    from paperfeed.schemas import SearchOut

    SearchOut.model_validate_json(cli("search", "diffusion", "--json").stdout)  # the API's model, field for field


def test_eval_beir_on_a_tiny_dataset(tmp_path: Path, cli) -> None:
    data = tmp_path / "beir"
    data.mkdir()
    docs = {
        "d1": ("Graph neural networks", "Message passing over graphs."),
        "d2": ("Protein folding", "Predicting structure from sequence."),
        "d3": ("Weather forecasts", "Learned simulators for the atmosphere."),
    }
    (data / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": t, "text": x}) + "\n" for k, (t, x) in docs.items())
    )
    (data / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "protein structure"}\n{"_id": "q2", "text": "graph message passing"}\n'
    )
    qrels = data / "test.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td1\t1\n")
    res = cli("eval", "beir", str(data), "--qrels", str(qrels), "--modes", "lexical", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["lexical"] == {"ndcg@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0}
    assert out["n_queries"] == 2
    assert out["rerank_model"] is None  # off unless PAPERFEED_RERANK_MODEL names one
    res = cli("eval", "beir", str(tmp_path / "nowhere"), "--qrels", str(qrels))
    assert res.exit_code == 2 and "corpus.jsonl" in res.output
