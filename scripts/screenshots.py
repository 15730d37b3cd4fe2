"""Screenshots of the built docs, taken offline with headless Chromium.

    python scripts/screenshots.py [HTML_DIR] [OUT_DIR] [--height PX] [--tile PX] [PAGE ...]

defaults: ``docs/_build/html``, ``docs/_build/screenshots/``, pages ``derivations/snu``, ``derivations/bptt``,
``notebooks/04_bptt_by_hand`` and ``notebooks/07_mnist`` (names relative to HTML_DIR, without
``.html``). Build the site first::

    sphinx-build -b html docs docs/_build/html

Each page is loaded from ``file://`` with every host name unresolvable (``--host-resolver-rules``), so
a page that needs the network to render its equations shows raw LaTeX in its screenshot. Chromium
renders a window ``--height`` pixels tall (default 6000) and 1280 wide, waits for MathJax
(``--virtual-time-budget``), and writes ``OUT_DIR/<page>.png``; with Pillow installed the picture is
also cut into tiles ``--tile`` pixels tall (default 1400, ``<page>-1.png``, ...), small enough to
look at one by one. What to look for: every equation typeset (no ``$$`` or ``\\frac``), each
labelled equation's label beside its number, and no code line cut off at the right edge.

Needs a Chromium binary (Debian: ``apt-get install chromium``; or set ``CHROMIUM``).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

PAGES = ["derivations/snu", "derivations/bptt", "notebooks/04_bptt_by_hand", "notebooks/07_mnist"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000"]


def chromium():
    for name in [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]:
        if name and shutil.which(name):
            return shutil.which(name)
    sys.exit("no Chromium found: apt-get install chromium, or set CHROMIUM=/path/to/chrome")


def shoot(html_dir, page, out_dir, height, tile):
    src = (html_dir / f"{page}.html").resolve()
    if not src.exists():
        sys.exit(f"{src} does not exist: build the docs first (sphinx-build -b html docs {html_dir})")
    png = out_dir / (page.replace("/", "__") + ".png")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
               f"--window-size=1280,{height}", src.as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    written = [png]
    try:
        from PIL import Image
    except ImportError:
        return written
    with Image.open(png) as im:
        for k, top in enumerate(range(0, im.height, tile), start=1):
            part = png.with_name(f"{png.stem}-{k}.png")
            im.crop((0, top, im.width, min(top + tile, im.height))).save(part)
            written.append(part)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("html_dir", nargs="?", default="docs/_build/html")
    ap.add_argument("out_dir", nargs="?", default="docs/_build/screenshots")
    ap.add_argument("pages", nargs="*", default=PAGES)
    ap.add_argument("--height", type=int, default=6000, help="window height in pixels (default 6000)")
    ap.add_argument("--tile", type=int, default=1400, help="tile height in pixels (default 1400)")
    args = ap.parse_args(argv)
    html_dir, out_dir = pathlib.Path(args.html_dir), pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for page in args.pages:
        for path in shoot(html_dir, page, out_dir, args.height, args.tile):
            print(path)


if __name__ == "__main__":
    main()
