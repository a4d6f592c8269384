"""The rendered email against caniemail.com's data for Gmail, Outlook,
Apple Mail and Yahoo, through the npm package `doiuse-email`.

Every error doiuse-email reports must be on the allow-list below, each
with the reason its loss is harmless. The package needs only node;
.ci/run installs it (`npm install --prefix ~/.cache/digest-doiuse
doiuse-email@0.4.1`); elsewhere set DOIUSE_EMAIL_PREFIX to where it is
installed. Skipped, saying why, when node or the package is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLE_NOW, FEEDS, write_config

CLIENTS = ["gmail.*", "outlook.*", "apple-mail.*", "yahoo.*"]
PREFIX = Path(os.environ.get("DOIUSE_EMAIL_PREFIX") or Path.home() / ".cache" / "digest-doiuse")
MODULE = PREFIX / "node_modules" / "doiuse-email" / "index.js"
NODE = shutil.which("node")

# (feature as doiuse-email names it, clients it may be reported for (a regex), why its loss is harmless)
ALLOWED = [
    ("@media", r"gmail\.mobile-webmail|outlook\.windows(-mail)?",
     "MJML's mobile column rule and our dark-mode rule: without them the email is the 600 px desktop "
     "layout in light colours, which these clients show anyway"),
    ("Class selector|Type selector|ID selector|Descendant combinator|Chaining selectors|Attribute selector",
     r"gmail\.mobile-webmail|outlook\.windows(-mail)?",
     "selectors of the <style> block (dark mode, MJML's resets, x-apple-data-detectors): every style the "
     "design needs is also inline"),
    ("display:none|opacity|overflow", r".*",
     "MJML's hidden preheader: a client without them shows the preheader text above the masthead at worst; "
     "Outlook for Windows hides it through its own mso-hide"),
    ("outline", r"outlook\.windows(-mail)?", "MJML's reset of link outlines: Outlook draws none anyway"),
    ("word-break", r".*", "MJML's break-word on text cells: a very long URL may widen the cell instead"),
    ("border-radius", r"outlook\.windows(-mail)?", "pictures get square corners"),
    ("white-space", r"outlook\.windows(-mail)?",
     "nowrap on dates and reading times: Outlook for Windows is 600 px wide, where the meta line rarely breaks"),
    ("<body> element", r".*", "the client replaces <body> by a <div>; MJML's body carries no style the design needs"),
    ("aria-label attribute|role attribute", r".*",
     "MJML's accessibility attributes on the wrapper: dropped, the email reads the same"),
]


def doiuse(html: str) -> list[str]:
    script = (f"import {{ doIUseEmail }} from {json.dumps(MODULE.as_uri())};\n"
              "let html = ''; process.stdin.setEncoding('utf8');\n"
              "process.stdin.on('data', c => html += c);\n"
              f"process.stdin.on('end', () => process.stdout.write(JSON.stringify(doIUseEmail(html, "
              f"{{ emailClients: {json.dumps(CLIENTS)} }}))));\n")
    result = subprocess.run([NODE, "--input-type=module", "-e", script], input=html, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return sorted(set(json.loads(result.stdout).get("errors", [])))


def not_allowed(errors: list[str]) -> list[str]:
    wrong = []
    for error in errors:
        match = re.match(r"`(.+)` is not supported by `([^`]+)`", error)
        assert match, f"doiuse-email said something this test cannot read: {error}"
        feature, client = match.groups()
        if not any(re.fullmatch(features, feature) and re.fullmatch(clients, client)
                   for features, clients, _ in ALLOWED):
            wrong.append(error)
    return wrong


@pytest.fixture
def checker():
    if NODE is None:
        pytest.skip("node not found on PATH: install Node.js (Debian: apt-get install nodejs npm) to check the "
                    "email against caniemail's data")
    if not MODULE.is_file():
        pytest.skip(f"doiuse-email is not installed in {PREFIX}: run `npm install --prefix {PREFIX} "
                    "doiuse-email@0.4.1` (.ci/run does), or set DOIUSE_EMAIL_PREFIX")
    return doiuse


def test_the_example_email_uses_only_what_the_clients_support_or_can_lose(checker, invoke, example_config):
    result = invoke("build", "--config", str(example_config), "--now", EXAMPLE_NOW, "--format", "html")
    assert result.exit_code == 0, result.stderr
    errors = checker(result.stdout)
    assert errors, "doiuse-email reported nothing at all: is it checking the clients?"
    assert not_allowed(errors) == []


def test_a_real_feed_day_uses_only_what_the_clients_support_or_can_lose(checker, invoke, tmp_path):
    names = ["theverge-2026-caption-lead.atom", "nyt-homepage-media-credit.rss", "bbc-news-2026-at-medium.rss",
             "youtube-google-developers-2026.atom", "cloudflare-ghost-figcaption.rss", "rbc-ru-caption-descriptions.rss",
             "bbc-chinese-2013.atom", "japantimes-undated-items.rss"]
    feeds = "".join(f'[[feeds]]\nurl = "{FEEDS / "realworld-2" / name}"\n' for name in names)
    config = write_config(tmp_path, f'title = "Morning Brief"\ntimezone = "UTC"\ntop = 19\nmax_per_feed = 3\n'
                                    f'[email]\nto = ["me@example.org"]\nunsubscribe = ["https://example.org/u"]\n{feeds}')
    result = invoke("build", "--config", str(config), "--now", "2027-01-01T07:00:00Z", "--since", "1970-01-02",
                    "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert not_allowed(checker(result.stdout)) == []


def test_the_allow_list_catches_what_it_does_not_name():
    assert not_allowed(["`border-radius` is not supported by `outlook.windows`"]) == []
    assert not_allowed(["`border-radius` is not supported by `gmail.ios`"]) == [
        "`border-radius` is not supported by `gmail.ios`"]
    assert not_allowed(["`background-image` is not supported by `outlook.windows`"]) != []
