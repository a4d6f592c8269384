"""The grouping of items into stories is remembered between builds over the
same items, and forgotten as soon as anything it depends on changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

import digest.stories.cluster
from digest.models import CacheHeaders
from digest.models import Item
from digest.stories.select import grouped
from digest.store import Store

NOW = datetime(2025, 1, 2, 20, 0, tzinfo=timezone.utc)
A, B = "https://a.example/feed", "https://b.example/feed"


def item(feed: str, key: str, title: str) -> Item:
    return Item(feed_url=feed, key=key, title=title, link=f"{feed}/{key}", published=NOW - timedelta(hours=2),
                text="Some words of text.")


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "state.db") as store:
        store.record_success(A, "A", CacheHeaders(), [
            item(A, "1", "Central bank raises interest rates to 5 percent"),
            item(A, "2", "Storm closes schools across the north"),
        ], NOW)
        store.record_success(B, "B", CacheHeaders(), [
            item(B, "1", "Central bank raises interest rates to 5 percent, the highest in years"),
        ], NOW)
        yield store


@pytest.fixture
def calls(monkeypatch):
    counted = []
    original = digest.stories.cluster.cluster

    def counting(*args, **kwargs):
        counted.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(digest.stories.cluster, "cluster", counting)
    return counted


def titles(groups):
    return [[i.title for i in group] for group in groups]


def test_the_same_items_are_grouped_once(store, calls):
    items = store.unsent_items([A, B], NOW - timedelta(days=1), NOW)
    first = grouped(store, items, {A: 1.0, B: 1.0})
    second = grouped(store, store.unsent_items([A, B], NOW - timedelta(days=1), NOW), {A: 1.0, B: 1.0})
    assert len(calls) == 1
    assert titles(second) == titles(first)
    assert sorted(len(g) for g in first) == [1, 2]


def test_a_changed_title_weight_or_item_set_groups_again(store, calls):
    items = store.unsent_items([A, B], NOW - timedelta(days=1), NOW)
    grouped(store, items, {A: 1.0, B: 1.0})
    grouped(store, items, {A: 1.0, B: 2.0})  # the best source may change
    changed = [replace(i, title="Storm closes every school in the north") if i.key == "2" else i for i in items]
    grouped(store, changed, {A: 1.0, B: 2.0})
    grouped(store, items[:2], {A: 1.0, B: 2.0})
    assert len(calls) == 4
    by_weight = grouped(store, items, {A: 1.0, B: 2.0})
    assert [g[0].feed_url for g in by_weight if len(g) == 2] == [B]
