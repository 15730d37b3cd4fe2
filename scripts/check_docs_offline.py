"""Check that a built HTML site needs no network: no page loads a script, a stylesheet or an image
from another host, and every page that typesets equations loads a MathJax file that is in the build.

    python scripts/check_docs_offline.py docs/_build/html

Exit status 0 when the site is self-contained; otherwise 1, with one line per offending reference
(``page: <script src="https://...">``). CI runs it after ``sphinx-build`` (see ``.ci/run``).
Links (``<a href="https://...">``) are fine: following one needs the network, reading the page does
not.
"""
from __future__ import annotations

import html.parser
import pathlib
import re
import sys
import urllib.parse

REMOTE = re.compile(r"^(https?:)?//", re.I)


class _Refs(html.parser.HTMLParser):
    """Collect (tag, attribute, url) of everything a browser fetches to render the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs = []
        self.has_math = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(("script", "src", a["src"]))
        elif tag == "link" and a.get("href") and \
                set((a.get("rel") or "").lower().split()) & {"stylesheet", "preload", "modulepreload"}:
            self.refs.append(("link", "href", a["href"]))
        elif tag in ("img", "iframe", "source", "video", "audio", "embed") and a.get("src"):
            self.refs.append((tag, "src", a["src"]))
        if "math" in (a.get("class") or "").split():
            self.has_math = True


def check_page(path, root):
    """Problems of one HTML page, as strings."""
    parser = _Refs()
    text = path.read_text(encoding="utf-8", errors="replace")
    parser.feed(text)
    rel = path.relative_to(root).as_posix()
    problems = [f'{rel}: <{tag} {attr}="{url}"> loads from the network'
                for tag, attr, url in parser.refs if REMOTE.match(url)]
    for tag, attr, url in parser.refs:
        if tag == "script" and "mathjax" in url.lower() and not REMOTE.match(url):
            local = (path.parent / urllib.parse.unquote(url.split("?")[0].split("#")[0])).resolve()
            if not local.is_file():
                problems.append(f'{rel}: <script src="{url}"> names a MathJax file that is not in the build')
    mathjax = [u for t, _, u in parser.refs if t == "script" and "mathjax" in u.lower()]
    if (parser.has_math or "\\(" in text and 'class="math' in text) and not mathjax:
        problems.append(f"{rel}: has equations but loads no MathJax")
    return problems


def check_site(root):
    root = pathlib.Path(root)
    pages = sorted(root.rglob("*.html"))
    if not pages:
        raise FileNotFoundError(f"no HTML pages under {root}: build the docs first")
    problems = []
    for page in pages:
        if "_sources" in page.parts:
            continue
        problems.extend(check_page(page, root))
    return pages, problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = pathlib.Path(argv[0] if argv else "docs/_build/html")
    try:
        pages, problems = check_site(root)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    for p in problems:
        print(p)
    print(f"{len(pages)} pages checked: "
          + ("self-contained, nothing loaded from the network" if not problems
             else f"{len(problems)} references need the network"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
