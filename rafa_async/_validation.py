"""Readable msgspec validation errors (for config files and request bodies)."""

from __future__ import annotations

import re

import msgspec

_LOCATED = re.compile(r"^(?P<what>.*?)(?: - at `\$(?:\.(?P<path>.*))?`)?$", re.DOTALL)


def split_validation_error(error: msgspec.ValidationError) -> tuple[str, str | None]:
    """msgspec's message as (what is wrong, dotted path of the field).

    ``"Expected `int`, got `str` - at `$.providers.openai.rpm`"`` gives
    ``("Expected `int`, got `str`", "providers.openai.rpm")``; the path is
    ``None`` when the error is about the document as a whole.
    """
    match = _LOCATED.match(str(error))
    assert match is not None  # the pattern matches any string
    return match["what"], match["path"]
