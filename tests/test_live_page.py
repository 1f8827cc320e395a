"""The live page of ``rafa serve`` in a real browser: headless Chromium.

Debian's ``chromium`` package, driven by Playwright's client with
``executable_path`` pointing at it (Playwright's own browser downloads are
never used).  Where Chromium is missing the test installs it with apt
(``apt-get install chromium``, as root); where it cannot, the tests skip and
say why.  The server is the real ``rafa serve`` in a subprocess on
127.0.0.1, its sim's latency scaled down so a match takes a few seconds of
real time: a browser cannot run on the test's virtual clock.  Each match's
final screenshot is saved under the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import Server, start_server, stop

pytestmark = pytest.mark.slow

URL = re.compile(rb"(http://127\.0\.0\.1:\d+)")
CHROMIUM = "/usr/bin/chromium"
# As a sandboxed root process on a machine with no network but loopback:
# without the background-networking flags Chromium keeps dialling out.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FINISH_MS = 60_000
"""How long a match may take in real time (its sim latency is x0.02)."""


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *args], capture_output=True, text=True, timeout=900, check=False
    )


def _install_chromium() -> str | None:
    """Why Chromium cannot be had here, or None once it is installed."""
    if shutil.which("apt-get") is None:
        return "no apt-get to install Debian's chromium package with"
    if os.geteuid() != 0:
        return "installing chromium with apt-get needs root"
    installed = _apt("install", "-y", "-q", "chromium")
    if installed.returncode != 0:  # perhaps a stale package index
        _apt("update", "-q")
        installed = _apt("install", "-y", "-q", "chromium")
    if installed.returncode != 0:
        tail = (installed.stderr or installed.stdout).strip().splitlines()[-1:]
        return f"apt-get install chromium failed: {' '.join(tail)}"
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    """The path of Debian's Chromium, installed if need be (skip if it cannot be)."""
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        why = _install_chromium()
        if why is not None or not Path(CHROMIUM).exists():
            pytest.skip(f"no browser for the live page test: {why or 'chromium not found'}")
    return CHROMIUM


@pytest.fixture(scope="module")
def served() -> Iterator[Server]:
    server = start_server("serve", URL, "--latency-scale", "0.02")
    try:
        yield server
    except BaseException:
        server.process.kill()
        server.process.communicate()
        raise
    status, rest = stop(server, signal.SIGINT)
    assert status == 0, rest


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=20) as response:  # loopback only
        return json.loads(response.read())


MATCHES = {
    "tictactoe": ({"X": "rafa", "O": "random"}, 3, 3),
    "connect4": ({"R": "rafa", "Y": "random"}, 6, 7),
    "gridworld": (
        {"a0": "rafa", "a1": "greedy", "a2": "greedy", "a3": "random", "a4": "stay", "a5": "stay"},
        12,
        12,
    ),
}


@pytest.mark.parametrize("game", list(MATCHES))
def test_the_live_page_starts_a_match_and_shows_it_to_the_end(
    game: str, served: Server, browser: Any, tmp_path: Path
) -> None:
    seats, rows, columns = MATCHES[game]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{served.base_url}/")
        page.select_option("#game", game)
        for seat, kind in seats.items():
            page.select_option(f'select[data-seat="{seat}"]', kind)
        page.fill("#seed", "5")
        page.click("#start")
        page.wait_for_url(re.compile(r"#/matches/[0-9a-f]+$"))
        match_id = page.url.rsplit("/", 1)[1]
        # While it runs: plans and LLM calls appear as they happen.
        page.wait_for_selector(f'#plans .plan[data-seat="{next(iter(seats))}"]', timeout=FINISH_MS)
        page.wait_for_selector("#timeline rect", timeout=FINISH_MS)
        page.screenshot(path=str(tmp_path / f"live-page-{game}-running.png"), full_page=True)
        page.wait_for_selector("#match[data-status=finished]", timeout=FINISH_MS)
        page.wait_for_selector(f'#matches a[data-match="{match_id}"]')
        shot = tmp_path / f"live-page-{game}.png"
        page.screenshot(path=str(shot), full_page=True)

        view = _get(f"{served.base_url}/matches/{match_id}")
        drawn = page.get_attribute("#board", "data-rows")
        cells = page.locator("#board .cell").count()
        result = page.inner_text("#match-result")
        calls = int(page.get_attribute("#timeline", "data-calls") or 0)
        in_flight = page.get_attribute("#timeline", "data-inflight")
        bars = page.locator("#timeline rect").count()
        chosen = page.locator("#plans .plan.ready tr.chosen").count()
        banner = page.inner_text("#simulated-banner")
    finally:
        page.close()

    assert errors == []
    assert view["status"] == "finished"
    assert view["seats"] == seats
    assert drawn == "/".join(view["grid"])  # the final board, as the server has it
    assert cells == rows * columns
    verdicts = ("over",) if game == "gridworld" else ("draw", *(f"{s} wins" for s in seats))
    assert result.startswith(verdicts), result
    assert f"{view['result']['turns']} turns" in result
    # The page joined after the match began: its snapshot brought the calls
    # made before (the newest 400), the stream every call after.
    assert calls == view["result"]["llm_calls"] or (calls > 400 and game == "gridworld")
    assert in_flight == "0"
    assert bars == min(calls, 400)
    assert chosen >= 1  # a plan's candidates, the chosen line first
    assert "SIMULATED" in banner
    assert shot.stat().st_size > 10_000


def test_a_bad_choice_on_the_page_shows_the_servers_error(served: Server, browser: Any) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{served.base_url}/")
        page.select_option("#game", "tictactoe")
        page.fill("#seed", "99999999999999999999")  # the server takes 0 .. 2**63 - 1
        page.click("#start")
        page.wait_for_function("document.getElementById('form-error').textContent !== ''")
        error = page.inner_text("#form-error")
        url = page.url
    finally:
        page.close()

    assert error.startswith("seed: "), error
    assert "#/matches/" not in url
