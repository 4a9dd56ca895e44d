"""Highlighting: stemmed matches marked, everything else escaped."""

from __future__ import annotations

from paperfeed.search.highlight import highlight, query_stems


def test_stemmed_matches_are_marked_with_spans() -> None:
    html, spans = highlight("Modelling language models", query_stems(["model"]))
    assert html == "<mark>Modelling</mark> language <mark>models</mark>"
    assert spans == [(0, 9), (19, 25)]


def test_markup_in_titles_is_escaped() -> None:
    title = "<script>alert('x')</script> Safe & sound"
    html, spans = highlight(title, query_stems(["script", "sound"]))
    assert "<script>" not in html and "</script>" not in html
    assert html == (
        "&lt;<mark>script</mark>&gt;alert(&#x27;x&#x27;)&lt;/<mark>script</mark>&gt; Safe &amp; <mark>sound</mark>"
    )
    assert [title[a:b] for a, b in spans] == ["script", "script", "sound"]


def test_no_query_words_means_plain_escaped_text() -> None:
    assert highlight("a < b", frozenset()) == ("a &lt; b", [])
    assert highlight("", query_stems(["x"])) == ("", [])


def test_stop_words_are_never_marked() -> None:
    html, _ = highlight("The state of the art", query_stems(["the", "state", "of", "art"]))
    assert html == "The <mark>state</mark> of the <mark>art</mark>"


def test_unicode_spans_are_character_offsets() -> None:
    text = "Café naïveté 日本語"
    _, spans = highlight(text, query_stems(["café", "日本語"]))
    assert [text[a:b] for a, b in spans] == ["Café", "日本語"]


def test_accents_fold_when_marking_as_when_matching() -> None:
    """The index folds accents, so the marks do too: either spelling marks the other."""
    from paperfeed.search.highlight import highlight, query_stems

    assert highlight("Schrödinger bridges", query_stems(["schrodinger"]))[1] == [(0, 11)]
    assert highlight("On Godel numbering", query_stems(["Gödel"]))[1] == [(3, 8)]
