"""Links: the canonical URL of an item (tracking parameters out) and URLs resolved against a base."""

from __future__ import annotations

import re
from urllib.parse import (
    parse_qsl,
    unquote_plus,
    urljoin,
    urlsplit,
    urlunsplit,
)

from ..text import clean_text

# ---------------------------------------------------------------- URLs

# Parameters that only say where a click came from (ad and mail campaign
# tags, feed readers' source marks); the article is the same without them.
_TRACKING_EXACT = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
     "ref_src", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
     "rb_clickid", "s_cid", "vero_conv", "vero_id", "wickedid", "twclid", "ttclid",
     "_ga", "_gl", "spm", "cmpid", "ncid", "ocid", "sr_share", "gbraid", "wbraid", "srsltid",
     "xtor", "maca", "ito", "feedtype", "feedname", "emc", "smid", "smtyp", "soc_src", "soc_trk",
     "rss", "rssid", "rss_id", "fromrss", "from_rss", "sh", "dmcid", "ns_source", "ref_"}
)
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "mtm_", "hsa_", "ns_", "itm_", "_hs", "oly_", "vero_")
# AT Internet's tags by name: a signed CDN URL's at_hash is no tracking.
_AT_INTERNET = re.compile(r"at_(?:medium|campaign|source|format|link|ptr|creation|send_date|recipient_id"
                          r"|recipient_list|emailtype|general_placement|detail_placement|variant|topic|custom\d+)$")
# Generic names that are tracking when their value says "rss" or "feed":
# ?source=rss..., ?from=rss, ?partner=rss (?source=7, ?channel=feedback,
# ?source=atomic-... stay).
_TRACKING_WHEN_FEED = frozenset({"source", "src", "from", "partner", "via", "origin", "channel", "medium", "cid"})
_FEED_VALUE = re.compile(r"^(?:rss|atom|feeds?|feedburner|newsfeed|newsletter)(?:$|[-_.:/+ ]|\d)", re.IGNORECASE)
# ?ref=hn or ?ref=news.example.com (who sent the click) is tracking;
# ?ref=main, ?ref=v2 (a branch or version in a code host's link) is not.
_HOST_VALUE = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$", re.IGNORECASE)
_REFERRERS = frozenset({"hn", "hackernews", "producthunt", "twitter", "x", "facebook", "fb", "linkedin", "reddit",
                        "lobsters", "mastodon", "bluesky", "feedly", "inoreader", "newsletter", "email", "social",
                        "share", "homepage", "home", "sidebar", "nav", "menu", "footer", "header", "related"})
# Session ids and cache busters make one article a new link on every fetch.
_SESSION_NAMES = frozenset({"phpsessid", "jsessionid", "asp.net_sessionid", "bv_sessionid", "cfid", "cftoken",
                            "zenid", "oscsid"})
_SESSION_WHEN_TOKEN = frozenset({"sid", "s_id", "sessionid", "session_id", "sessid", "session"})
_SESSION_TOKEN = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9-]{16,}$")  # letters and digits: a key, not a story id
_CACHE_BUSTERS = frozenset({"nocache", "cachebuster", "cache_buster", "cb", "_"})
# A signed URL breaks when any parameter is taken out.
_SIGNATURE = frozenset({"signature", "sig", "x-amz-signature", "x-goog-signature", "token", "hmac", "hash",
                        "at_hash", "expires", "key-pair-id", "policy"})


def is_tracking_param(name: str, value: str = "") -> bool:
    lowered = name.lower()
    if lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES) or _AT_INTERNET.match(lowered):
        return True
    if lowered in _SESSION_NAMES or lowered.startswith("aspsessionid"):
        return True
    if lowered in _SESSION_WHEN_TOKEN and _SESSION_TOKEN.match(value):
        return True
    if lowered in _CACHE_BUSTERS and value.isdigit() and len(value) >= 8:  # a time stamp
        return True
    if lowered == "kc":  # Ziff Davis's campaign code (PCMag's ?kc=PCRSS03079TX1K0000584)
        return "rss" in value.lower()
    if lowered == "ref":
        return bool(_HOST_VALUE.match(value) or _FEED_VALUE.match(value)) or value.lower() in _REFERRERS
    return lowered in _TRACKING_WHEN_FEED and bool(_FEED_VALUE.match(value))


# Longer addresses are no links: browsers and mail clients stop near 2,000.
MAX_URL_CHARS = 4096

# Anchors worth keeping: one update of a live blog (#update-1732, #block-5f8a...).
# And a web app's route (#!/article/12, #/article/12): it is the address.
_KEPT_FRAGMENT = re.compile(r"^(?:(?:update|block|post|entry|live|event)[-_]?[A-Za-z0-9][\w-]*|!?/.*)$")
# A session id written into the path (/page.jsp;jsessionid=ABC, ASP.NET's /(S(abc...))/).
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#;]*|/\((?:[A-Z]\([A-Za-z0-9]{16,}\))+\)(?=/)",
                           re.IGNORECASE)


def canonical_url(url: str, base: str = "", keep_fragment: bool = False) -> str:
    """Resolve against base, lowercase scheme and host, drop tracking
    parameters, session ids and the fragment (but a live blog's update
    anchor, or any with keep_fragment: a post's anchor on a page of
    several); everything else keeps its order. A signed URL keeps its query
    whole: taking a parameter out breaks it."""
    url = clean_text(url)
    if not url or len(url) > MAX_URL_CHARS:
        return ""  # a 100 KB "link" is no address anyone meant, and every card repeats it
    if base:
        url = resolved_url(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    if (scheme, netloc[-3:]) == ("http", ":80") or (scheme, netloc[-4:]) == ("https", ":443"):
        netloc = netloc.rsplit(":", 1)[0]
    path = _PATH_SESSION.sub("", parts.path) if ";" in parts.path or "/(" in parts.path else parts.path
    query = parts.query
    if query:
        # Filter the pieces as written, so what stays keeps its own encoding
        # (?sid=05/11/19 stays, not ?sid=05%2F11%2F19).
        pieces = [piece for piece in query.split("&") if piece]
        pairs = [_query_pair(piece) for piece in pieces]
        if not any(name.lower() in _SIGNATURE for name, _ in pairs):
            kept = [piece for piece, pair in zip(pieces, pairs) if not is_tracking_param(*pair)]
            if len(kept) != len(pieces):
                query = "&".join(kept)
    fragment = parts.fragment if keep_fragment or _KEPT_FRAGMENT.match(parts.fragment) else ""
    return urlunsplit((scheme, netloc, path or ("/" if netloc else ""), query, fragment))


def _query_pair(piece: str) -> tuple[str, str]:
    name, _, value = piece.partition("=")
    return unquote_plus(name), unquote_plus(value)


def _is_web_url(url: str) -> bool:
    return urlsplit(url or "").scheme.lower() in ("http", "https")


_PLAIN_ABSOLUTE = re.compile(r"https?://[^/\s?#;\[\]]+(?:/[^\s?#;]*)?(?:\?[^\s#]+)?(?:#\S+)?")


def resolved_url(base: str, url: str) -> str:
    """urljoin(base, url), without its two urlparse calls for the URLs most
    feeds hold (absolute already): a tenth of reading an entry went there."""
    if _PLAIN_ABSOLUTE.fullmatch(url):
        return url
    return urljoin(base, url)


# ---------------------------------------------------------------- redirectors whose target the URL spells out

_GOOGLE_HOST = re.compile(r"^(?:www\.)?google\.(?:com|co\.[a-z]{2}|com\.[a-z]{2}|[a-z]{2})$")
_BBC_GO = re.compile(r"^(/go/(?:[^/]+/)*?)-/(.+)$")


def unwrapped_link(url: str) -> str:
    """The article a click counter's URL names in itself, else the URL as it
    is. Only shapes known to carry the whole target: Google's
    www.google.com/url?...&url=<target> (Google Alerts) and the BBC's
    www.bbc.co.uk/go/<counter path>/-/<path on the same site>."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.path == "/url" and _GOOGLE_HOST.match(host):
        query = dict(parse_qsl(parts.query))
        target = query.get("url") or query.get("q") or ""
        return target if _is_web_url(target) and urlsplit(target).hostname else url
    if host in ("bbc.co.uk", "www.bbc.co.uk", "bbc.com", "www.bbc.com") and parts.path.startswith("/go/"):
        found = _BBC_GO.match(parts.path)
        if found:
            rest = found.group(2)
            if _is_web_url(rest):  # a link to another site, written whole after "/-/"
                return rest
            return urlunsplit((parts.scheme, parts.netloc, "/" + rest, parts.query, parts.fragment))
    return url


# Podcast download counters that write the file's own address after theirs
# ("https://dts.podtrac.com/redirect.mp3/chrt.fm/track/9EE2G/pdst.fm/e/
# rss.art19.com/episodes/….mp3"): (host, path prefix before the target).
_COUNTER_PREFIXES = (
    (re.compile(r"^(?:dts\.|www\.)?podtrac\.com$"), re.compile(r"^/(?:pts/)?redirect\.\w{2,4}/")),
    (re.compile(r"^chrt\.fm$|^chtbl\.com$"), re.compile(r"^/track/[\w-]+/")),
    (re.compile(r"^pdst\.fm$"), re.compile(r"^/e/")),
    (re.compile(r"^op3\.dev$"), re.compile(r"^/e/(?:[\w,-]+/)?")),
    (re.compile(r"^pfx\.vpixl\.com$"), re.compile(r"^/[\w-]+/")),
)
_COUNTED_HOST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+$", re.I)


def uncounted_media(url: str) -> str:
    """A podcast file's own address without the download counters wrapped
    around it, else the URL as it is."""
    for _ in range(len(_COUNTER_PREFIXES) + 1):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for host_pattern, prefix in _COUNTER_PREFIXES:
            found = prefix.match(parts.path) if host_pattern.match(host) else None
            if found:
                rest = parts.path[found.end():]
                rest = rest.split("://", 1)[1] if rest.startswith(("http://", "https://")) else rest
                if not _COUNTED_HOST.match(rest.split("/", 1)[0]):
                    return url
                url = "https://" + rest + (f"?{parts.query}" if parts.query else "")
                break
        else:
            return url
    return url
