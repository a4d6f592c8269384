"""One entry never fails its whole feed (issue 23, class 6): a title that
trips the HTML parser, a picture "Infinity" wide. The entry is read as
well as it can be, or left out and counted; the other entries arrive."""

from __future__ import annotations

import json

from conftest import EXAMPLE_NOW, feeds_config, rss, rss_item


def test_a_title_or_a_picture_that_trips_a_parser_costs_no_other_story(invoke, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(rss(
        rss_item("&lt;![ Breaking: a title with a marked section", "https://e.example/1"),
        rss_item("A picture of no size", "https://e.example/2",
                 extra='<media:content url="https://e.example/p.jpg" medium="image" width="Infinity" height="NaN"/>'),
        rss_item("An ordinary story", "https://e.example/3")))
    config = feeds_config(tmp_path, [feed.as_uri()])
    built = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json")
    assert built.exit_code == 0, built.stderr
    titles = sorted(item["title"] for item in json.loads(built.stdout)["items"])
    assert titles == ["<![ Breaking: a title with a marked section", "A picture of no size", "An ordinary story"]
    picture = next(i for i in json.loads(built.stdout)["items"] if i["title"] == "A picture of no size")["image"]
    assert picture is None or (picture["width"] is None and picture["height"] is None)
    assert "could not be parsed" not in built.stderr


def test_an_entry_that_trips_any_bug_of_ours_is_left_out_and_counted(monkeypatch):
    """The class, not the two cases above: whatever an entry raises, the
    feed keeps its other entries and says how many it left out."""
    from digest.sources import parse

    real = parse.entry_parts

    def breaks_on_one(entry, context):
        if "second" in entry.get("title", ""):
            raise RecursionError("a bug of ours this entry found")
        return real(entry, context)

    monkeypatch.setattr(parse, "entry_parts", breaks_on_one)
    body = rss(*(rss_item(f"The {n} story", f"https://e.example/{n}") for n in ("first", "second", "third")))
    parsed = parse.parse_feed(body.encode(), "https://e.example/feed.xml", "application/rss+xml")
    assert [item.title for item in parsed.items] == ["The first story", "The third story"]
    assert parsed.warning == "1 entry could not be read and was left out"
