"""Screenshot app pages in Debian's Chromium: python scripts/screenshot.py BASE_URL PATH [PATH ...].

Saves PNGs to /tmp/shots (or --out). --dark switches Streamlit to its dark theme first.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--out", default="/tmp/shots")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2200)
    opts = parser.parse_args()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(
            viewport={"width": opts.width, "height": opts.height}, color_scheme="dark" if opts.dark else "light"
        )
        for path in opts.paths:
            page.goto(opts.base + path)
            page.wait_for_selector("[data-testid='stMainBlockContainer']", timeout=30_000)
            page.wait_for_timeout(2500)
            name = re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_") or "root"
            target = out / f"{name}{'_dark' if opts.dark else ''}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
