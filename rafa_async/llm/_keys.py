"""Canonical request keys, shared by the response cache and cassettes."""

from __future__ import annotations

import hashlib

import msgspec

from rafa_async._context import current_sampling_seed
from rafa_async.llm._types import ChatRequest

KEY_VERSION = 1
"""Bumped whenever the key of an unchanged request would change."""

_canonical = msgspec.json.Encoder(order="sorted")


def request_key(request: ChatRequest, provider: str = "") -> str:
    """A stable hex digest of ``request`` (every field, in sorted order), of
    the ``provider`` identity it goes to (the same request to another model or
    server is another question) and of the caller's sampling seed, if it set
    one (:func:`~rafa_async.sampling_seed`: another sample)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"rafa-request/{KEY_VERSION}\x00{provider}\x00".encode())
    h.update(_canonical.encode(request))
    sampling = current_sampling_seed()
    if sampling is not None:  # another sample of the same request
        h.update(f"\x00sampling={sampling}".encode())
    return h.hexdigest()


def provider_identity(llm: object) -> str:
    """What distinguishes ``llm``'s answers from another provider's.

    A provider may define ``identity: str`` (e.g. ``"openai:gpt-4o-mini@
    https://api.openai.com/v1"``, see :func:`http_identity`; never a
    credential); otherwise its class name stands in for it.
    """
    identity = getattr(llm, "identity", None)
    if isinstance(identity, str):
        return identity
    cls = type(llm)
    return f"{cls.__module__}.{cls.__qualname__}"


def http_identity(provider: str, model: str, base_url: str) -> str:
    """The identity of ``model`` on an HTTP ``provider``: ``NAME:MODEL@BASE_URL``."""
    return f"{provider}:{model}@{base_url.rstrip('/')}"


def answering_llm(identity: str) -> str:
    """Which LLM an identity names, without where it was served: the provider
    and model of an :func:`http_identity` (``openai:gpt-4o-mini``; a replay may
    point at another server), or the whole identity (the sim's names its seed
    and noise too).  The base URL is cut at the *last* ``@``: a model name may
    hold one (``claude-3-5-sonnet@20240620``), a base URL may not."""
    llm, at, where = identity.rpartition("@")
    return llm if at and "://" in where else identity
