"""Feed URLs: a location as typed made a URL, what makes two the same feed,
how one may be shown (no credentials), and the publisher a feed title names."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from .errors import ConfigError
from .files import is_local_file_url


def normalize_feed_location(url: str, base: Path, fail=None) -> str:
    """http(s):// and file:// URLs stay; a plain path becomes a file:// URL.

    Relative paths are resolved against the config file's folder, so a config
    works from any working directory.
    """
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "http://[::1": Invalid IPv6 URL
        raise (fail or ConfigError)(f"{url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.netloc:
            raise (fail or ConfigError)(f"{url!r} has no host")
        return url
    if scheme == "file":
        if not is_local_file_url(url):
            raise (fail or ConfigError)(f"{url!r} names the host {parts.netloc!r}: only files on this machine "
                                        "are read (file:///path)")
        return url
    if scheme and len(scheme) > 1:  # len 1 is a Windows drive letter
        raise (fail or ConfigError)(f"unsupported URL scheme {scheme!r} in {url!r} (use http, https, file or a path)")
    return (base / Path(url).expanduser()).resolve().as_uri()


def feed_identity(url: str) -> str:
    """What makes two feed URLs the same feed: the scheme and the host in
    any case, the default port or none (`HTTP://Host:80/x` is
    `http://host/x`); the path and query as written (a server may tell
    their case apart)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = _ascii_host(parts.hostname.lower().rstrip("."))  # example.org. is example.org
    host = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))  # a fragment never reaches the server


def _ascii_host(host: str) -> str:
    """A host in another script as its ASCII (IDNA) name, which is what
    DNS and the server see: bücher.example is xn--bcher-kva.example."""
    if host.isascii():
        return host
    import unicodedata

    try:
        return unicodedata.normalize("NFC", host).encode("idna").decode("ascii")
    except UnicodeError:
        return host


def is_loopback(host: str) -> bool:
    """A host name that can only be this machine."""
    import ipaddress

    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


# A blogging platform's own title for a writer's feed: the writer is the publisher.
_PLATFORM_TITLE = re.compile(r"^\s*Stories by (.+?) on Medium\s*$")
_TITLE_SEPARATORS = re.compile(r"(?:\s+[|:>»·–—-]{1,2}|:)\s+")  # "A | B", "A - B", "A: B"


def publisher_name(title: str, url: str, site: str = "") -> str:
    """The publisher's name in a feed title that also says which feed it is
    ("World news | The Guardian" -> "The Guardian", "Le Monde.fr -
    Actualités et Infos en France..." -> "Le Monde.fr", "NYT > Top Stories"
    -> "NYT"): the part that names the feed's own web site. `site` is the
    channel's own <link>, whose host names the publisher where the feed's
    address cannot (a file; feeds.bbci.co.uk for bbc.co.uk; FeedBurner). A
    title with no such part is kept whole: better the feed's words than a guess."""
    platform = _PLATFORM_TITLE.match(title or "")
    if platform:
        return platform.group(1).strip()
    parts = [part.strip() for part in _TITLE_SEPARATORS.split(title or "") if part.strip()]
    if len(parts) < 2:
        return (title or "").strip()
    sites = _site_names(site) + _site_names(url)
    named = [part for part in parts if _names_site(part, sites)]
    if not named:
        return title.strip()
    # "LE FIGARO - Le Figaro - Culture": the name as written for reading, not shouted.
    part = next((other for other in named if named[0].isupper() and not other.isupper()
                 and _letters(other) == _letters(named[0])), named[0])
    return _site_word(part, sites)


def _site_names(url: str) -> list[str]:
    """The labels of a URL's host that may name its publisher, as letters
    ("https://www.theguardian.com/world" -> ["guardian"])."""
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:
        return []
    labels = host.lower().split(".")[:-1]  # without the top-level domain
    sites = [re.sub(r"[^a-z0-9]", "", label) for label in labels if label not in _GENERIC_LABELS]
    return [site for site in map(_without_the, sites) if len(site) >= 3]


def _names_site(part: str, sites: list[str]) -> bool:
    letters = _without_the(_letters(part))
    return len(letters) >= 3 and any(letters.startswith(site) or site.startswith(letters) for site in sites)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def _site_word(part: str, sites: list[str]) -> str:
    """"NPR Topics" -> "NPR": a part whose first word is the site's whole
    name says the site, then its section; "BBC News" is a name whole."""
    first, _, rest = part.partition(" ")
    return first if rest and _letters(first) in sites and rest.casefold() not in _NAME_ENDINGS else part


# A word after the site's name that is part of the publisher's name, not a section.
_NAME_ENDINGS = frozenset({"news"})


def _without_the(letters: str) -> str:
    """"theguardian" and "The Guardian" compare as "guardian"."""
    return letters[3:] if letters.startswith("the") and len(letters) > 6 else letters


# Host name labels that name no publisher (rss.nytimes.com, feeds.bbci.co.uk).
_GENERIC_LABELS = frozenset("www rss feed feeds blog blogs news api co com org net ac gov m".split())


def _short_url(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or Path(parts.path).name or redacted_url(url)


# Query parameters whose value is a credential: shown as *** wherever a
# feed's URL is said (stderr, the footer, JSON, feeds list).
_SECRET_PARAMETER = re.compile(r"(?i)^(?:.*token|.*secret|.*password|passwd|pass|auth|.*key|sig|signature|session|"
                               r"sessionid|sid|code|hash)$")


def redacted_url(url: str) -> str:
    """A feed URL as it may be shown: no user:password@, and the value of
    token-like query parameters as ***."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return url
    if not host or parts.scheme.lower() not in ("http", "https"):
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(
        f"{name}=***" if sep and _SECRET_PARAMETER.match(name) else piece
        for piece in parts.query.split("&") if piece
        for name, sep, _ in [piece.partition("=")]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))




# What RFC 3986 lets a URI hold as it is (reserved and unreserved
# characters, and % of an escape); everything else is percent-encoded.
_URI_SAFE = "!#$&'()*+,/:;=?@[]~%-._"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def uri_reference(link: str) -> str:
    """The link as a strict URI, for an href an XML reader checks (an
    EPUB's): a space, |, {}, `, ^, <>, " and non-ASCII percent-encoded, a
    % not followed by two hex digits written %25, a second # encoded.
    "" for what cannot be one (a broken [IPv6] host)."""
    link = _BAD_PERCENT.sub("%25", link.strip())
    try:
        parts = urlsplit(link)
    except ValueError:
        return ""
    path_safe = _URI_SAFE.replace("#", "").replace("[", "").replace("]", "")
    netloc = quote(parts.netloc, safe=_URI_SAFE.replace("#", "").replace("/", "").replace("?", ""))
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=path_safe),
                       quote(parts.query, safe=path_safe), quote(parts.fragment, safe=path_safe)))
