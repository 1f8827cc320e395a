"""``rafa serve``: bad input is one error line; the real command serves
matches on loopback and exits cleanly on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from support import assert_one_line_error, rafa, start_server, stop

URL = re.compile(rb"(http://127\.0\.0\.1:\d+)")


def test_a_port_in_use_is_one_clear_line(busy_port: int) -> None:
    assert_one_line_error(rafa("serve", "--port", str(busy_port)), f"127.0.0.1:{busy_port}")


def test_off_loopback_without_a_token_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAFA_SERVER_TOKEN", raising=False)
    assert_one_line_error(rafa("serve", "--host", "0.0.0.0"), "0.0.0.0", "--token")


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--max-matches", "0"], ["--max-matches"]),
        (["--max-ws-clients", "0"], ["--max-ws-clients"]),
        (["--latency-scale", "-1"], ["--latency-scale"]),
        (["--token", ""], ["--token"]),
        (["--max-tournaments", "0"], ["--max-tournaments"]),
        (["--data-dir", "/proc/no-such-dir"], ["--data-dir", "/proc/no-such-dir"]),
    ],
)
def test_bad_options_are_one_clear_line(options: list[str], fragments: list[str]) -> None:
    assert_one_line_error(rafa("serve", *options), *fragments)


def test_help_says_the_matches_are_simulated() -> None:
    result = rafa("serve", "--help")

    assert result.exit_code == 0
    assert "SIMULATED" in result.output
    assert "--max-ws-clients" in result.output
    assert "--data-dir" in result.output


def _call(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # loopback only
        return json.loads(response.read())


def test_serve_plays_a_match_on_request_and_stops_cleanly_on_ctrl_c() -> None:
    server = start_server("serve", URL, "--latency-scale", "0")
    try:
        body = {"game": "tictactoe", "seats": {"X": "random", "O": "random"}, "seed": 2}
        created = _call("POST", f"{server.base_url}/matches", body)
        page = _call("GET", f"{server.base_url}/matches")
    except BaseException:
        server.process.kill()
        server.process.communicate()
        raise
    status, rest = stop(server, signal.SIGINT)

    assert b"SIMULATED" in server.banner
    assert created["simulated"] is True
    assert [m["id"] for m in page["matches"]] == [created["id"]]
    assert status == 0, rest
    assert "stopped (SIGINT)" in rest
    assert "Traceback" not in rest


TOURNAMENT = """\
games = ["tictactoe"]
latency_scale = 0.0

[[participants]]
name = "random"
kind = "random"

[[participants]]
name = "perfect"
kind = "perfect"
"""


def test_serve_runs_a_tournament_into_its_data_dir_and_keeps_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = start_server("serve", URL, "--latency-scale", "0", "--data-dir", str(data_dir))
    try:
        created = _call("POST", f"{server.base_url}/tournaments", {"config": TOURNAMENT})
        view = _call("GET", f"{server.base_url}/tournaments/{created['id']}")
        deadline = time.monotonic() + 20  # the real server: each poll is a real round trip
        while view["status"] == "running" and time.monotonic() < deadline:
            view = _call("GET", f"{server.base_url}/tournaments/{created['id']}")
    except BaseException:
        server.process.kill()
        server.process.communicate()
        raise
    status, rest = stop(server, signal.SIGINT)

    assert view["status"] == "finished"
    assert view["simulated"] is True
    assert view["standings"][0]["participant"] == "perfect"
    assert (data_dir / f"{created['id']}.sqlite").is_file()  # kept after the server stopped
    assert status == 0, rest
