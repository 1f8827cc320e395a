"""The adapters' wire helpers: Retry-After and the providers' rate-limit reset headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rafa_async.adapters._http_errors import ServerError, parse_wait, retry_after

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC).timestamp()


# -- waits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("1s", 1.0),
        ("20ms", 0.02),
        ("6m0s", 360.0),
        ("1h2m3.5s", 3723.5),
        ("2025-05-01T12:00:30Z", 30.0),
        ("2025-05-01T12:00:30+00:00", 30.0),
        ("Thu, 01 May 2025 12:01:00 GMT", 60.0),
        ("2025-05-01T11:00:00Z", 0.0),
    ],
)
def test_parse_wait_reads_every_format_providers_send(value: str, seconds: float) -> None:
    assert parse_wait(value, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["soon", "", "inf", "nan", "6 minutes", "2025-05-01T12:00:30"])
def test_parse_wait_gives_none_for_what_it_cannot_read(value: str) -> None:
    assert parse_wait(value, NOW) is None


def test_retry_after_prefers_the_retry_after_headers() -> None:
    assert retry_after({"retry-after": "3", "x-ratelimit-reset-requests": "9s"}, NOW) == 3.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "3"}, NOW) == 0.25


OPENAI_LIMITS = {
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-reset-tokens": "6m0s",
}
ANTHROPIC_LIMITS = {
    "anthropic-ratelimit-requests-reset": "2025-05-01T12:00:05Z",
    "anthropic-ratelimit-output-tokens-reset": "2025-05-01T12:00:40Z",
}


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        pytest.param(
            {
                **OPENAI_LIMITS,
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-remaining-tokens": "5000",
            },
            1.0,
            id="openai-requests",
        ),
        pytest.param(
            {
                **OPENAI_LIMITS,
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-remaining-tokens": "0",
            },
            360.0,
            id="openai-both-the-later",
        ),
        pytest.param(
            {
                **ANTHROPIC_LIMITS,
                "anthropic-ratelimit-requests-remaining": "12",
                "anthropic-ratelimit-output-tokens-remaining": "0",
            },
            40.0,
            id="anthropic-output-tokens",
        ),
    ],
)
def test_retry_after_waits_for_the_exhausted_limit(headers: dict[str, str], seconds: float) -> None:
    assert retry_after(headers, NOW) == pytest.approx(seconds)


def test_retry_after_takes_the_soonest_reset_when_none_says_exhausted() -> None:
    headers = {"x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "20ms"}
    assert retry_after(headers, NOW) == pytest.approx(0.02)


def test_retry_after_is_none_without_hints() -> None:
    assert retry_after({"content-type": "application/json", "retry-after": "later"}, NOW) is None


# -- server error bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"error": {"message": "m", "type": "invalid_request_error", "code": null}}',
            ServerError("m", "invalid_request_error"),
        ),
        (
            b'{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
            ServerError("Overloaded", "overloaded_error"),
        ),
        (
            b'{"object": "error", "message": "vllm says", "type": "BadRequestError", "code": 400}',
            ServerError("vllm says", "BadRequestError", 400),
        ),
        (b'{"error": "model \\"x\\" not found"}', ServerError('model "x" not found')),
        (b"upstream timed out", ServerError("upstream timed out")),
        (b"", ServerError("")),
    ],
)
def test_server_error_reads_every_error_shape(body: bytes, expected: ServerError) -> None:
    assert ServerError.from_body(body) == expected


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ServerError("", "overloaded_error"), 529),
        (ServerError("", "rate_limit_error"), 429),
        (ServerError("", None, "rate_limit_exceeded"), 429),
        (ServerError("", "BadRequestError", 400), 400),
        (ServerError("", "something_new"), 500),
    ],
)
def test_an_in_stream_error_type_stands_for_a_status(error: ServerError, status: int) -> None:
    assert error.status == status
