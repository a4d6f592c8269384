"""Email-sized renditions of CDN pictures (digest/sources/renditions.py):
the rewrite of real addresses from the captured feeds, what is left alone,
and the sizes of the rendition used, read on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLE_NOW, rss, rss_item, write_config
from loopback import respond
from test_browser import png
from test_render import Page

from digest.sources import renditions as renditions_module
from digest.sources.renditions import Rendition, renditions

# (the feed's picture, the renditions asked for, best first): addresses
# copied from ../shared/feeds (the file each comes from in the comment).
REWRITTEN = [
    # realworld-2/youtube-google-developers-2026.atom: letterboxed 480x360
    ("https://i2.ytimg.com/vi/eiRlCVtzlm4/hqdefault.jpg",
     [Rendition("https://i2.ytimg.com/vi/eiRlCVtzlm4/hq720.jpg"),
      Rendition("https://i2.ytimg.com/vi/eiRlCVtzlm4/mqdefault.jpg", 320, 180)]),
    # realworld-2/bbc-news-2026-at-medium.rss: 240x135
    ("https://ichef.bbci.co.uk/ace/standard/240/cpsprodpb/efc9/live/6272a1d0-859f-11f1-bc30-6908d27da04d.jpg",
     [Rendition("https://ichef.bbci.co.uk/ace/standard/976/cpsprodpb/efc9/live/6272a1d0-859f-11f1-bc30-6908d27da04d.jpg")]),
    # realworld-2/npr-news-image-credit.rss: a 6,000 px original, resized to 1100 with the same crop
    ("https://npr.brightspotcdn.com/dims3/default/strip/false/crop/6000x4000+0+0/resize/6000x4000!/"
     "?url=http%3A%2F%2Fnpr-brightspot.s3.amazonaws.com%2Fc7%2F72%2Fdf47f7644538b56ecf5aa7a3145a%2Fgettyimages-2287071933.jpg",
     [Rendition("https://npr.brightspotcdn.com/dims3/default/strip/false/crop/6000x4000+0+0/resize/1100/"
                "?url=http%3A%2F%2Fnpr-brightspot.s3.amazonaws.com%2Fc7%2F72%2Fdf47f7644538b56ecf5aa7a3145a%2Fgettyimages-2287071933.jpg")]),
    # realworld-2/theverge-2026-caption-lead.atom: WordPress VIP, no width asked
    ("https://platform.theverge.com/wp-content/uploads/sites/2/2025/04/STKS507_FTCxMETA_ANTITRUST_CVIRGINIA_4_E.jpg"
     "?quality=90&strip=all&crop=0,0,100,100",
     [Rendition("https://platform.theverge.com/wp-content/uploads/sites/2/2025/04/STKS507_FTCxMETA_ANTITRUST_CVIRGINIA_4_E.jpg"
                "?quality=90&strip=all&crop=0,0,100,100&w=1100")]),
    # rss2/techcrunch-wordpress.xml (after the parser took ?w=150 off)
    ("http://tctechcrunch2011.files.wordpress.com/2011/11/angies-list.jpeg",
     [Rendition("http://tctechcrunch2011.files.wordpress.com/2011/11/angies-list.jpeg?w=1100")]),
    # realworld-2/medium-invironment-figcaption.rss
    ("https://cdn-images-1.medium.com/max/938/1*C_nVpehD-NKBgtVEULabmQ.jpeg",
     [Rendition("https://cdn-images-1.medium.com/max/1100/1*C_nVpehD-NKBgtVEULabmQ.jpeg")]),
    # rss2/substack-heated.xml: c_limit (fit in the box, never upscale)
    ("https://cdn.substack.com/image/fetch/h_600,c_limit,f_auto,q_auto:good,fl_progressive:steep/"
     "https%3A%2F%2Fbucketeer-e05bbc84-baa3-437e-9518-adb32be77984.s3.amazonaws.com%2Fpublic%2Fimages%2F"
     "c3a98cc3-73ff-48f8-a8bb-7b71d3211fb6_3024x4032.jpeg",
     [Rendition("https://cdn.substack.com/image/fetch/w_1100,c_limit,f_auto,q_auto:good,fl_progressive:steep/"
                "https%3A%2F%2Fbucketeer-e05bbc84-baa3-437e-9518-adb32be77984.s3.amazonaws.com%2Fpublic%2Fimages%2F"
                "c3a98cc3-73ff-48f8-a8bb-7b71d3211fb6_3024x4032.jpeg")]),
    # realworld-2/squarespace-fwrarejazz.rss (its 300w link)
    ("https://images.squarespace-cdn.com/content/v1/54a676c0e4b034981b4c59e8/0b9ca5d8-f7a6-4d07-8c76-3f559cfbea98/"
     "front.jpg?format=300w",
     [Rendition("https://images.squarespace-cdn.com/content/v1/54a676c0e4b034981b4c59e8/0b9ca5d8-f7a6-4d07-8c76-3f559cfbea98/"
                "front.jpg?format=1500w")]),
    # realworld-2/nyt-homepage-media-credit.rss: the 151x151 "moth" crop
    ("https://static01.nyt.com/images/2017/01/07/us/07assess/07assess-moth.jpg",
     [Rendition("https://static01.nyt.com/images/2017/01/07/us/07assess/07assess-jumbo.jpg")]),
]

LEFT_ALONE = [
    # rss2/guardian-international.rss: each width has its own signature (s=), another width is refused
    "https://i.guim.co.uk/img/media/b73c8752cd4667c923dff7f1542f1fb20089e421/0_108_3000_1799/master/3000.jpg"
    "?w=460&q=55&auto=format&usm=12&fit=max&s=a606a273a90104e57b1e09bc4c0a1e11",
    # Medium's square avatar crop, and a width already large enough
    "https://cdn-images-1.medium.com/fit/c/150/150/1*PJ4xeTc0v0DOWgJIb25k8Q.jpeg",
    "https://cdn-images-1.medium.com/max/1400/1*T4YcnmS72gYkOBPYIWv5pg.png",
    # TechCrunch's cropped 100x70 (a height and crop=1: another width would cut it otherwise)
    "http://tctechcrunch2011.files.wordpress.com/2011/10/gilt3.png?w=100&h=70&crop=1",
    # Squarespace at 1500w already; a YouTube frame already 16:9
    "https://images.squarespace-cdn.com/content/v1/54a676c0e4b034981b4c59e8/1732657102770-XBIUOJUBT42BYP966EVA/"
    "front.jpg?format=1500w",
    "https://i.ytimg.com/vi/eiRlCVtzlm4/hq720.jpg",
    # an NPR crop narrower than the rendition (it would be upscaled); the NYT's large crop
    "https://npr.brightspotcdn.com/dims3/default/strip/false/crop/800x450+0+0/resize/800x450!/?url=x.jpg",
    "https://static01.nyt.com/images/2017/01/07/us/07assess/07assess-superJumbo.jpg",
    # hosts without a rule, and a picture that is no http(s) address
    "https://cdn.vox-cdn.com/uploads/chorus_asset/file/8597673/ph_1_color_black_moon_copy_1000x1000.png",
    "https://www.golem.de/1810/137358-177541-177538_rc.jpg",
    "file:///home/me/pictures/a.jpg",
]


@pytest.mark.parametrize("url, expected", REWRITTEN, ids=[url.split("/")[2] for url, _ in REWRITTEN])
def test_known_cdns_are_asked_for_an_email_sized_rendition_of_the_same_picture(url, expected):
    assert renditions(url) == expected


@pytest.mark.parametrize("url", LEFT_ALONE)
def test_signed_cropped_large_enough_or_unknown_pictures_are_left_alone(url):
    assert renditions(url) == []


# ---------------------------------------------------------------- sizing the rendition used

VIDEOS = {"HASFRAME": True, "NOFRAME": False}  # video id -> whether its hq720.jpg exists


@pytest.fixture
def youtube_here(monkeypatch):
    """The YouTube rule for pictures on 127.0.0.1 (tests reach nothing else)."""
    monkeypatch.setattr(renditions_module, "RULES", [("127.0.0.1", renditions_module.youtube)])


def video_day(server) -> str:
    """A channel's feed with a letterboxed hqdefault (stated 480x360) per
    video; hq720.jpg is served for one video and is missing (404) for the other."""
    items = []
    for n, (video, has_frame) in enumerate(VIDEOS.items()):
        server.routes[f"/vi/{video}/hqdefault.jpg"] = lambda h: respond(h, 200, png(480, 360, (0, 0, 0)),
                                                                         {"Content-Type": "image/png"})
        if has_frame:
            server.routes[f"/vi/{video}/hq720.jpg"] = lambda h: respond(h, 200, png(1280, 720, (200, 40, 40)),
                                                                         {"Content-Type": "image/png"})
        picture = server.url(f"/vi/{video}/hqdefault.jpg")
        items.append(rss_item(f"Video {video}", f"https://www.youtube.com/watch?v={video}",
                              date=f"Thu, 02 Jan 2025 {18 - n:02d}:00:00 +0000", body="What the video shows.",
                              extra=f'<media:content url="{picture}" medium="image" width="480" height="360" />'))
    server.routes["/feed.xml"] = lambda h: respond(h, 200, rss(*items).encode())
    return server.url("/feed.xml")


def pictures_of(invoke, config, *more: str) -> tuple[dict, dict]:
    """{video: <img> attributes} of the HTML, {video: JSON image} of the same build."""
    html = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "html", *more)
    assert html.exit_code == 0, html.stderr
    data = invoke("build", "--config", str(config), "--now", EXAMPLE_NOW, "--format", "json", *more)
    shown = {img["src"].split("/vi/")[1].split("/")[0]: img for img in Page(html.stdout).images if "/vi/" in img["src"]}
    told = {item["image"]["url"].split("/vi/")[1].split("/")[0]: item["image"] for item in json.loads(data.stdout)["items"]}
    return shown, told


def video_config(tmp_path, server):
    return write_config(tmp_path, f"""
        title = "Videos"
        timezone = "UTC"
        [email]
        to = ["me@example.org"]
        [articles]
        enabled = false
        [[feeds]]
        url = "{video_day(server)}"
    """)


def test_a_video_is_shown_in_16_9_sized_from_the_rendition_used_and_falls_back_when_it_is_missing(
        invoke, tmp_path, server, youtube_here):
    config = video_config(tmp_path, server)
    shown, told = pictures_of(invoke, config)
    # hq720 exists: asked for, read, and stated at its own 1280x720 (drawn across the 552 px column)
    assert shown["HASFRAME"]["src"].endswith("/vi/HASFRAME/hq720.jpg")
    assert (told["HASFRAME"]["width"], told["HASFRAME"]["height"]) == (1280, 720)
    assert (int(shown["HASFRAME"]["width"]), int(shown["HASFRAME"]["height"])) == (552, 310)
    # hq720 is missing (404): mqdefault, 320x180, which every video has; never the letterboxed 480x360
    assert shown["NOFRAME"]["src"].endswith("/vi/NOFRAME/mqdefault.jpg")
    assert (told["NOFRAME"]["width"], told["NOFRAME"]["height"]) == (320, 180)
    assert int(shown["NOFRAME"]["width"]) * 9 == int(shown["NOFRAME"]["height"]) * 16
    assert len(server.hits_for("/vi/HASFRAME/hq720.jpg")) == 1  # read once, then remembered
    assert len(server.hits_for("/vi/NOFRAME/hq720.jpg")) == 1  # its 404 remembered too
    assert server.hits_for("/vi/NOFRAME/mqdefault.jpg") == []  # its size is known without reading it

    # Offline, from the store: the same pictures at the same sizes.
    offline_shown, offline_told = pictures_of(invoke, config, "--offline")
    assert offline_told == told and offline_shown == shown


def test_a_rendition_never_read_falls_back_to_a_picture_whose_size_is_known(invoke, tmp_path, server, youtube_here):
    """An --offline build from a store that never read hq720: no size for
    it, so not the picture shown; mqdefault's size is known."""
    config = video_config(tmp_path, server)
    fetched = invoke("fetch", "--config", str(config))
    assert fetched.exit_code == 0, fetched.stderr
    shown, told = pictures_of(invoke, config, "--offline")
    assert {video: image["url"].rsplit("/", 1)[1] for video, image in told.items()} == \
        {"HASFRAME": "mqdefault.jpg", "NOFRAME": "mqdefault.jpg"}
    assert all((image["width"], image["height"]) == (320, 180) for image in told.values())
    assert not any("/hq720.jpg" in hit.path for hit in server.hits)
