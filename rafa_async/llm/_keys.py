"""Canonical request keys, shared by the response cache and cassettes."""

from __future__ import annotations

import hashlib

import msgspec

from rafa_async.llm._types import ChatRequest

KEY_VERSION = 1
"""Bumped whenever the key of an unchanged request would change."""

_canonical = msgspec.json.Encoder(order="sorted")


def request_key(request: ChatRequest, provider: str = "") -> str:
    """A stable hex digest of ``request`` (every field, in sorted order) and of
    the ``provider`` identity it goes to (the same request to another model or
    server is another question)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"rafa-request/{KEY_VERSION}\x00{provider}\x00".encode())
    h.update(_canonical.encode(request))
    return h.hexdigest()


def provider_identity(llm: object) -> str:
    """What distinguishes ``llm``'s answers from another provider's.

    A provider may define ``identity: str`` (e.g. ``"openai:gpt-4o-mini@
    https://api.openai.com/v1"``; never a credential); otherwise its class name
    stands in for it.
    """
    identity = getattr(llm, "identity", None)
    if isinstance(identity, str):
        return identity
    cls = type(llm)
    return f"{cls.__module__}.{cls.__qualname__}"
