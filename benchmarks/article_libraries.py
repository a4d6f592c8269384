"""The libraries weighed for reading an article page (issue 24), on the 48
pages of tests/data/articles: trafilatura and readability-lxml for the
article's text, trafilatura's metadata, extruct and htmldate for the rest,
and digest's own reader (digest/sources/pagemeta.py) for the metadata.
Prints one line per page and the score per field. Not a test: it needs the
libraries digest does not install, in a throwaway virtualenv:

    python3 -m venv /tmp/weigh && /tmp/weigh/bin/pip install trafilatura readability-lxml extruct htmldate \
        selectolax && /tmp/weigh/bin/pip install -e .
    /tmp/weigh/bin/python benchmarks/article_libraries.py

Scores: `*_f1` word-overlap F1 of the text with expected.html; `*_rt`
reading time (ceil(words/230)) within 40% of expected.html's; the others
count a page right when the value matches expected-metadata.json (one
contains the other, case and spacing aside) or both are empty.
"""
import io, json, re, time, math, pathlib, tarfile, warnings, logging
logging.disable(logging.CRITICAL)
warnings.filterwarnings("ignore")
from selectolax.lexbor import LexborHTMLParser
import trafilatura, extruct, htmldate
from readability import Document

PAGES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "articles" / "pages.tar.xz"


def pages():
    found = {}
    with tarfile.open(PAGES) as tar:
        for member in tar.getmembers():
            if member.isfile():
                name, file = member.name.split("/")
                found.setdefault(name, {})[file] = tar.extractfile(member).read().decode("utf-8", "replace")
    return sorted(found.items())

def text_of(html):
    t = LexborHTMLParser(html)
    for n in t.css("script,style,noscript"): n.decompose()
    return (t.body.text(separator=" ") if t.body else "")
def words(s): return re.findall(r"\w+", s.lower())
def f1(a, b):
    from collections import Counter
    A, B = Counter(words(a)), Counter(words(b))
    common = sum((A & B).values())
    if not common: return 0.0
    p, r = common / sum(A.values()), common / sum(B.values())
    return 2 * p * r / (p + r)
def wc(s):
    # CJK: count characters/2 roughly? keep as \w+ tokens
    return len(words(s))
def norm(s): return " ".join((s or "").split()).casefold()
stats = {k: [] for k in "traf_f1 read_f1 traf_rt read_rt traf_author ext_author traf_date htmldate_date traf_desc ext_desc traf_site ext_site".split()}
times = {"traf": 0, "read": 0, "ext": 0, "htmldate": 0, "trafmeta": 0}
from digest.sources.pagemeta import read_page_meta

stats.update({"digest_author": [], "digest_desc": [], "digest_site": [], "digest_date": []})
times["digest_meta"] = 0
for name, files in pages():
    src = files["source.html"]
    exp = json.loads(files["expected-metadata.json"])
    exp_text = text_of(files["expected.html"])
    t = time.perf_counter(); tr = trafilatura.extract(src, favor_precision=False, include_comments=False) or ""; times["traf"] += time.perf_counter() - t
    t = time.perf_counter()
    try: rd = text_of(Document(src).summary())
    except Exception: rd = ""
    times["read"] += time.perf_counter() - t
    t = time.perf_counter(); tm = trafilatura.extract_metadata(src); times["trafmeta"] += time.perf_counter() - t
    t = time.perf_counter()
    try: ex = extruct.extract(src, syntaxes=["json-ld", "opengraph", "microdata"], uniform=True)
    except Exception as e: ex = {}
    times["ext"] += time.perf_counter() - t
    t = time.perf_counter()
    try: hd = htmldate.find_date(src, original_date=True)
    except Exception: hd = None
    times["htmldate"] += time.perf_counter() - t
    ew = wc(exp_text)
    stats["traf_f1"].append(f1(tr, exp_text)); stats["read_f1"].append(f1(rd, exp_text))
    rt = lambda w: max(1, math.ceil(w / 230))
    ok = lambda got: abs(rt(got) - rt(ew)) <= 0.4 * rt(ew)
    stats["traf_rt"].append(ok(wc(tr))); stats["read_rt"].append(ok(wc(rd)))
    eb = norm(exp.get("byline"))
    ta = norm(tm.author if tm else "")
    # extruct author
    ea = ""
    for item in ex.get("json-ld", []) + ex.get("microdata", []):
        a = item.get("author") if isinstance(item, dict) else None
        if isinstance(a, list): a = a[0] if a else None
        if isinstance(a, dict): a = a.get("name")
        if isinstance(a, list): a = a[0] if a else None
        if isinstance(a, str) and a: ea = norm(a); break
    match = lambda got, want: (not want and not got) or (want and got and (got in want or want in got))
    stats["traf_author"].append(bool(match(ta, eb))); stats["ext_author"].append(bool(match(ea, eb)))
    epd = (exp.get("publishedTime") or "")[:10]
    stats["traf_date"].append(((tm.date if tm else None) or "")[:10] == epd if epd else True)
    # Dates only where the page's expected metadata states one (elsewhere it is null
    # because Firefox's reader view found none, not because the page has none).
    stats["htmldate_date"].append((hd or "")[:10] == epd if epd else True)
    ed = norm(exp.get("excerpt"))
    og = {}
    for item in ex.get("opengraph", []): og.update(item)
    stats["traf_desc"].append(bool(match(norm(tm.description if tm else ""), ed)))
    stats["ext_desc"].append(bool(match(norm(og.get("og:description", "")), ed)))
    es = norm(exp.get("siteName"))
    stats["traf_site"].append(bool(match(norm(tm.sitename if tm else ""), es)))
    stats["ext_site"].append(bool(match(norm(og.get("og:site_name", "")), es)))
    t = time.perf_counter(); mine = read_page_meta(LexborHTMLParser(src), "https://example.org/"); times["digest_meta"] += time.perf_counter() - t
    stats["digest_author"].append(bool(match(norm(mine.byline), eb)))
    stats["digest_desc"].append(bool(match(norm(mine.description), ed)))
    stats["digest_site"].append(bool(match(norm(mine.site_name), es)))
    stats["digest_date"].append((mine.published.isoformat() if mine.published else "")[:10] == epd if epd else True)
    print(f"{name:22} ew={ew:5} traf={wc(tr):5} read={wc(rd):5} f1 {stats['traf_f1'][-1]:.2f}/{stats['read_f1'][-1]:.2f} by={eb[:20]!r} traf={ta[:20]!r} ext={ea[:20]!r} date={epd} hd={hd} td={tm.date if tm else None}")
n = len(stats["traf_f1"])
for k, v in stats.items():
    print(k, f"{sum(v)/n:.3f}" if "f1" in k else f"{sum(v)}/{n}")
print({k: f"{v:.2f}s" for k, v in times.items()})
