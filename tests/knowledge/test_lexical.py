"""Tokenising, stemming and normalised BM25 scores."""

from __future__ import annotations

from knowledge.lexical import BM25Index, stem, tokenize
from knowledge.snippets import join_units, plain, split_units


def test_inflections_meet() -> None:
    assert len({stem(w) for w in ("pause", "pausing", "paused", "pauses")}) == 1
    assert len({stem(w) for w in ("cancel", "cancelled", "cancellation")}) == 1
    assert stem("invoices") == stem("invoice")
    assert stem("discount") != stem("discontinue")


def test_tokenize_drops_stopwords_keeps_numbers() -> None:
    assert tokenize("Can we put our subscription on hold?") == ["put", "subscription", "hold"]
    assert "99.9" in tokenize("a 99.9% uptime SLA")
    assert "49" in tokenize("$49 per seat")


def test_bm25_ranks_and_normalises() -> None:
    index = BM25Index(
        ["pause the subscription for 30 days", "cancel and get a refund", "", "seats billing"]
    )
    scores = index.normalised("pausing my subscription")
    assert scores.argmax() == 0
    assert 0 < scores[0] <= 1
    assert index.normalised("weather in Paris").max() == 0
    assert index.normalised("").max() == 0


def test_empty_index() -> None:
    assert BM25Index([]).normalised("anything").size == 0


def test_snippet_units() -> None:
    text = (
        "First sentence. Second one.\n\n"
        "- a list item that\n  wraps onto a second line\n- **bold** item\n\n"
        "| item | Pro |\n|---|---|\n| Monthly price | $49 per seat per month |\n"
        "| Seats | unlimited |\n"
        "After the table.\n\n"
        "| tier | months | discount |\n|---|---|---|\n| Silver | 12 | 5% |\n"
    )
    units = split_units(text)
    kinds = ["sentence", "sentence", "item", "item", "table", "sentence", "table"]
    assert [u.kind for u in units] == kinds
    assert units[2].text == "a list item that wraps onto a second line"
    assert units[3].text == "bold item"
    assert units[4].text == "Monthly price: $49 per seat per month\nSeats: unlimited"
    assert units[6].text == "tier: Silver; months: 12; discount: 5%"
    assert join_units(units[:3]) == (
        "First sentence. Second one.\n• a list item that wraps onto a second line"
    )
    assert join_units([units[4]]) == "• Monthly price: $49 per seat per month\n• Seats: unlimited"
    assert plain("see [the page](x.md) and `cmd`") == "see the page and cmd"
