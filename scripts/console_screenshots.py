"""Screenshots of the reviewer console for the docs (docs/console/*.png), from a running stack.

Run after `make demo` (which leaves one recommendation pending for the console):

    .venv/bin/python -m scripts.console_screenshots --out docs/console

Signs in with the reviewer key in Debian's Chromium (driven by Playwright, which downloads
nothing here) and only reads: the inbox, every recommendation, and the first pending
recommendation's page, at laptop and phone widths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.demo import keys_by_role
from scripts.stack import API_PORT, demo_environment

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def take(api_url: str, key: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width, viewport in VIEWPORTS.items():
            page = browser.new_context(viewport=viewport).new_page()
            page.goto(f"{api_url}/console/login")
            page.get_by_label("API key").fill(key)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{api_url}/console")
            pages = {"inbox": f"{api_url}/console"}
            if width == "laptop":
                pages["inbox-all"] = f"{api_url}/console?status=all"
            first = page.locator("a.rec-link").first
            if first.count():
                pages["recommendation"] = api_url + first.get_attribute("href")
            for name, url in pages.items():
                page.goto(url)
                path = out / f"{name}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
                taken.append(path)
            page.context.close()
        browser.close()
    return taken


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.console_screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--api-url", default=f"http://127.0.0.1:{API_PORT}")
    parser.add_argument(
        "--key", default=keys_by_role(demo_environment()["API_KEYS"]).get("reviewer")
    )
    parser.add_argument("--out", type=Path, default=Path("docs/console"))
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    for path in take(args.api_url, args.key, args.out):
        print(path)


if __name__ == "__main__":
    main()
