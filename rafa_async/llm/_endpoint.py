"""What may stand as a provider's endpoint and key variable.

Both are shown in ``rafa providers``, logs, traces, cassette headers and error
messages, so neither may carry a secret; the checks here refuse what could,
without ever echoing the value (it may be the key itself, pasted in the wrong
place).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rafa_async._errors import ConfigError

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_base_url(url: str, where: str) -> None:
    """Raise :class:`ConfigError` (naming ``where``, its field) unless ``url``
    is an http(s) URL that can hold no credential.

    A base URL is shown in ``rafa providers``, logs, traces, cassette headers
    and every error message, so it must not carry a secret: ``user:pass@``
    and any query string or fragment are refused.  The whole query is refused,
    not just keys that look like credentials (``?api_key=``, ``?key=``, ...):
    no supported provider needs one, and a name-based guess would let an
    unusual name through.  Messages never echo the URL: it may hold the key
    (or be the key itself, pasted in the wrong place).
    """
    try:
        parts = urlsplit(url)
        has_credentials = parts.username is not None or parts.password is not None
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise ConfigError(
            f"{where}: not a valid URL (e.g. http://127.0.0.1:8000/v1); "
            "the value is not shown, in case it holds a secret",
            fields=(where,),
        ) from None
    hint = "name the key's environment variable with api_key_env"
    if has_credentials:
        raise ConfigError(
            f"{where}: the URL must not contain credentials (user:password@); {hint}",
            fields=(where,),
        )
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ConfigError(
            f"{where}: the URL must not have a query string or fragment (?... or #...): it "
            f"would be shown in logs, traces and cassettes, so it must not hold a key; {hint} "
            "(the value is not shown, in case it holds a secret)",
            fields=(where,),
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{where}: not an http(s) URL: it needs http:// or https:// and a host "
            "(e.g. http://127.0.0.1:8000/v1); the value is not shown, in case it holds a secret",
            fields=(where,),
        )


def check_api_key_env(name: str, where: str) -> None:
    """Raise :class:`ConfigError` (naming ``where``) unless ``name`` is the
    name of an environment variable (it must not be the key itself)."""
    if not _ENV_NAME.fullmatch(name):
        raise ConfigError(
            f"{where} must be the NAME of an environment variable "
            "(like OPENAI_API_KEY), not the key itself"
        )
