"""The server-sent-events decoder (WHATWG event stream interpretation)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

from rafa_async.llm import SSEDecoder, SSEEvent, aiter_sse


def decode(*chunks: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    decoder.close()
    return events


def splits(stream: bytes) -> Iterable[tuple[bytes, bytes, bytes]]:
    """Every way to cut ``stream`` into three pieces."""
    for i in range(len(stream) + 1):
        for j in range(i, len(stream) + 1):
            yield stream[:i], stream[i:j], stream[j:]


# Every feature at once: BOM, CRLF, CR, LF, comments, multi-line data, a field
# without a colon, id persistence, retry, a non-ASCII character, a final
# incomplete event.
EVERYTHING = (
    b"\xef\xbb\xbfdata: first\r\ndata:second line\r\n\r\n"
    b": keep-alive\n"
    b"event: delta\nid: 7\ndata\n\n"
    b"retry: 1500\ndata: caf\xc3\xa9 \xe2\x82\xac\r\r"
    b"data: after id\n\n"
    b"data: never finished"
)
EVERYTHING_EVENTS = [
    SSEEvent("first\nsecond line"),
    SSEEvent("", event="delta", id="7"),
    SSEEvent("café €", id="7", retry=1500),
    SSEEvent("after id", id="7"),
]


def test_decodes_every_feature_of_the_format() -> None:
    assert decode(EVERYTHING) == EVERYTHING_EVENTS


def test_any_split_into_three_chunks_decodes_identically() -> None:
    for pieces in splits(EVERYTHING):
        assert decode(*pieces) == EVERYTHING_EVENTS, pieces


def test_byte_by_byte_feeding_decodes_identically() -> None:
    assert decode(*(EVERYTHING[i : i + 1] for i in range(len(EVERYTHING)))) == EVERYTHING_EVENTS


@pytest.mark.parametrize("ending", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending_is_accepted(ending: bytes) -> None:
    stream = ending.join([b"event: e", b"data: a", b"data: b", b"", b""])
    assert decode(stream) == [SSEEvent("a\nb", event="e")]


def test_crlf_split_between_chunks_is_one_line_ending() -> None:
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [SSEEvent("a\nb")]


def test_cr_then_blank_line_across_chunks_dispatches() -> None:
    assert decode(b"data: a\r", b"\r") == [SSEEvent("a")]


def test_a_utf8_character_split_across_chunks_is_decoded_whole() -> None:
    assert decode(b"data: \xe2", b"\x82", b"\xac\n\n") == [SSEEvent("€")]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert decode(b"data: \xff\n\n") == [SSEEvent("\ufffd")]


def test_comments_and_unknown_fields_are_ignored() -> None:
    stream = b": keep-alive\n:\nfoo: bar\nDATA: wrong case\ndata: x\n\n"
    assert decode(stream) == [SSEEvent("x")]


def test_only_one_leading_space_is_stripped() -> None:
    assert decode(b"data:  two spaces\n\n") == [SSEEvent(" two spaces")]


def test_a_colon_in_the_value_is_kept() -> None:
    assert decode(b'data: {"a": 1}\n\n') == [SSEEvent('{"a": 1}')]


def test_field_without_colon_has_an_empty_value() -> None:
    assert decode(b"data\ndata\n\n") == [SSEEvent("\n")]


def test_block_without_data_dispatches_nothing() -> None:
    assert decode(b"event: ping\n\nretry: 10\n\n\n\ndata: x\n\n") == [SSEEvent("x")]


def test_event_type_resets_after_each_dispatch() -> None:
    assert decode(b"event: a\ndata: 1\n\ndata: 2\n\n") == [
        SSEEvent("1", event="a"),
        SSEEvent("2"),
    ]


def test_id_persists_and_an_id_with_nul_is_ignored() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: a\n\nid: 2\x00\ndata: b\n\nid\ndata: c\n\n")
    assert [e.id for e in events] == ["1", "1", ""]
    assert decoder.last_event_id == ""


def test_retry_must_be_all_digits() -> None:
    assert decode(b"retry: 12a\ndata: x\n\n") == [SSEEvent("x")]


def test_bom_only_skipped_at_the_start() -> None:
    assert decode(b"\xef\xbb", b"\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n") == [SSEEvent("a")]


def test_short_stream_that_only_looks_like_a_bom_prefix_is_kept() -> None:
    assert decode(b"\xef", b"data: x\n\n") == []  # "\xefdata" is an unknown field
    assert decode(b"d", b"ata: x\n\n") == [SSEEvent("x")]


def test_incomplete_final_event_is_discarded_and_reported_pending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [SSEEvent("a")]
    assert decoder.pending
    decoder.close()
    assert not decoder.pending
    assert decoder.feed(b"data: c\n\n") == [SSEEvent("c")]


def test_stream_ending_on_a_blank_line_is_not_pending() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert not decoder.pending


def test_a_long_line_in_many_small_chunks() -> None:
    payload = json.dumps({"text": "x" * 50_000}).encode()
    stream = b"data: " + payload + b"\n\n"
    chunks = [stream[i : i + 10] for i in range(0, len(stream), 10)]
    assert decode(*chunks) == [SSEEvent(payload.decode())]


@pytest.mark.parametrize(
    "event",
    [
        SSEEvent("plain"),
        SSEEvent('{"a": 1}\n{"b": 2}', event="delta", id="42", retry=3000),
        SSEEvent(""),
    ],
)
def test_encode_round_trips(event: SSEEvent) -> None:
    assert decode(event.encode()) == [event]


@pytest.mark.anyio
async def test_aiter_sse_decodes_an_async_byte_stream(anyio_backend: Any) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(EVERYTHING), 5):
            yield EVERYTHING[i : i + 5]

    assert [event async for event in aiter_sse(chunks())] == EVERYTHING_EVENTS
