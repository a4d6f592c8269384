"""A body cut mid-document over HTTP/1.0 (no Content-Length: the close ends
it, so it looks whole) is read as far as it goes, but never vouched for: the
next fetch downloads it anew, and the stories after the cut arrive (issue
23, class 4). A real HTTP/1.0 server on 127.0.0.1 and a real state file."""

from __future__ import annotations

import json

from conftest import feeds_config, rss, rss_item

ETAG = '"v1"'
FEED = rss(*(rss_item(f"Story number {n} of the day", f"https://news.example.org/{n}",
                      date=f"Thu, 02 Jan 2025 {10 + n:02d}:00:00 +0000",
                      body=f"The text of story {n}, a paragraph long enough to be read as a lead.")
             for n in range(6)), title="Wire").encode()


def test_a_body_cut_mid_document_is_fetched_again_and_its_later_stories_arrive(server, tmp_path, invoke):
    cut = FEED.index(b"<title>Story number 3")  # inside the fourth item: three whole ones before it

    def feed(handler) -> int:
        handler.protocol_version = "HTTP/1.0"
        if handler.headers.get("If-None-Match") == ETAG:
            handler.send_response(304)
            handler.end_headers()
            return 304
        whole = len(server.hits_for("/feed.rss")) > 1
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("ETag", ETAG)
        handler.end_headers()  # no Content-Length: the close ends the body
        handler.wfile.write(FEED if whole else FEED[:cut + 12])
        handler.close_connection = True
        return 200

    server.routes["/feed.rss"] = feed
    config = feeds_config(tmp_path, [server.url("/feed.rss")])
    first = invoke("--config", str(config), "build", "--format", "json", "--mark-sent", "--now", "2025-01-02T20:00:00Z")
    assert first.exit_code == 0, first.stderr
    titles = [item["title"] for item in json.loads(first.stdout)["items"]]
    assert sorted(titles) == [f"Story number {n} of the day" for n in range(3)]  # no half-read "(untitled)"
    assert "malformed but readable" in first.stderr

    second = invoke("--config", str(config), "build", "--format", "json", "--mark-sent", "--now", "2025-01-02T20:30:00Z")
    assert second.exit_code == 0, second.stderr
    assert server.hits_for("/feed.rss")[1].headers.get("if-none-match") is None  # not a conditional GET
    titles = [item["title"] for item in json.loads(second.stdout)["items"]]
    assert sorted(titles) == [f"Story number {n} of the day" for n in range(3, 6)]

    # Read whole, the document's validators are kept again: the third fetch is a 304.
    invoke("--config", str(config), "fetch")
    assert server.hits_for("/feed.rss")[2].headers.get("if-none-match") == ETAG
