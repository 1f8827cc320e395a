"""``rafa sim-serve``'s options: bad input is one error line, never a traceback.

(The running command is tested in test_sim_serve_openai_sdk.py.)
"""

from __future__ import annotations

import pytest
from support import assert_one_line_error, rafa


def test_a_port_in_use_is_one_clear_line(busy_port: int) -> None:
    result = rafa("sim-serve", "--port", str(busy_port))

    assert_one_line_error(result, f"127.0.0.1:{busy_port}", "--port")


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--latency-scale", "-1"], ["--latency-scale"]),
        (["--rate-limit-rate", "1.5"], ["--rate-limit-rate", "[0, 1]"]),
        (["--hang-rate", "-0.1"], ["--hang-rate"]),
        (["--rate-limit-rate", "0.6", "--server-error-rate", "0.6"], ["add up to more than 1"]),
        (["--retry-after", "-2"], ["--retry-after"]),
        (["--hang-seconds", "0"], ["--hang-seconds"]),
        (["--log-level", "loud"], ["loud"]),
    ],
)
def test_bad_options_are_one_clear_line(options: list[str], fragments: list[str]) -> None:
    assert_one_line_error(rafa("sim-serve", *options), *fragments)


def test_help_says_the_server_is_simulated() -> None:
    result = rafa("sim-serve", "--help")

    assert result.exit_code == 0
    assert "SIMULATED" in result.output
    assert "--rate-limit-rate" in result.output
