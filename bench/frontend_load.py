"""How long the editor takes to load in a browser, from a production build.

Starts the studio (`manage.py runstack` on a free port, its own SQLite database, no
example generator) unless --url names a running one, logs in with Debian's headless
Chromium, and opens the word count topology in the editor --runs times, each in a
fresh browser context (no HTTP cache, no session storage beyond the login cookie).
For each run it records the time from navigation start until every node of the graph
is drawn and the palette is filled ("editor ready"), and the browser's own
DOMContentLoaded and load times; then prints the median and worst, and the bytes of
JavaScript and CSS the page fetched.

    python bench/frontend_load.py --runs 7
    python bench/frontend_load.py --url http://127.0.0.1:8000/ --username demo --password ...

Issue 7 asks for an initial load under 2 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.lib.devservices import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def studio(args: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    if args.url:
        yield args.url.rstrip("/") + "/", args.username, args.password
        return
    with tempfile.TemporaryDirectory(prefix="riffle-load-bench-") as workdir:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIFFLE_PORT")}
        env.update(DATABASE_URL=f"sqlite:///{workdir}/riffle.sqlite3", PYTHONUNBUFFERED="1")
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runstack", "--port", str(port), "--no-generator",
             "--state-dir", workdir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True,
        )
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(line.decode(errors="replace").rstrip()
                                                     for line in process.stdout), daemon=True).start()  # type: ignore[union-attr]
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                found = re.search(r"log in as (\S+) / (\S+)", "\n".join(lines))
                if found and any("Riffle is running at" in line for line in lines):
                    yield f"http://127.0.0.1:{port}/", found.group(1), found.group(2)
                    return
                if process.poll() is not None:
                    break
                time.sleep(0.5)
            sys.exit("the studio did not start:\n" + "\n".join(lines[-40:]))
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=120)


def measure(url: str, username: str, password: str, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        login = browser.new_context()
        page = login.new_page()
        page.goto(f"{url}login/")
        page.locator('input[name="username"]').fill(username)
        page.locator('input[name="password"]').fill(password)
        page.locator('form [type="submit"]').click()
        page.wait_for_url(re.compile(r"/$"))
        link = page.get_by_role("link", name=re.compile("word count", re.I)).first
        target = url.rstrip("/") + link.get_attribute("href")
        cookies = login.cookies()
        login.close()

        ready, dom, load, script_bytes, style_bytes = [], [], [], 0, 0
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_cookies(cookies)
            page = context.new_page()
            sizes: dict[str, int] = {}
            page.on("response", lambda r, sizes=sizes: sizes.__setitem__(r.url, len(r.body()))
                    if r.request.resource_type in ("script", "stylesheet") else None)
            start = time.perf_counter()
            page.goto(target)
            page.locator(".react-flow__node").nth(7).wait_for(state="visible")
            page.locator(".palette__item").first.wait_for(state="visible")
            ready.append((time.perf_counter() - start) * 1000)
            timing = page.evaluate("() => JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0]))")
            dom.append(timing["domContentLoadedEventEnd"])
            load.append(timing["loadEventEnd"])
            script_bytes = sum(v for k, v in sizes.items() if k.endswith(".js"))
            style_bytes = sum(v for k, v in sizes.items() if k.endswith(".css"))
            context.close()
        browser.close()

    print(f"editor load, production build, {runs} cold runs (ms): median / worst")
    print(f"  editor ready (graph drawn, palette filled): {statistics.median(ready):7.0f} / {max(ready):7.0f}")
    print(f"  DOMContentLoaded:                           {statistics.median(dom):7.0f} / {max(dom):7.0f}")
    print(f"  load event:                                 {statistics.median(load):7.0f} / {max(load):7.0f}")
    print(f"  JavaScript fetched: {script_bytes / 1024:.0f} KiB, CSS: {style_bytes / 1024:.0f} KiB (uncompressed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", help="a running studio (default: start one)")
    parser.add_argument("--username")
    parser.add_argument("--password")
    args = parser.parse_args()
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        sys.exit("build the frontend first: make build")
    with studio(args) as (url, username, password):
        measure(url, username, password, args.runs)


if __name__ == "__main__":
    main()
