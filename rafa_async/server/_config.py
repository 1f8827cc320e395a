"""``ServerConfig``: where ``rafa serve`` listens, who may talk to it, and its limits."""

from __future__ import annotations

import ipaddress
import os

import msgspec

from rafa_async._errors import ConfigError

TOKEN_ENV = "RAFA_SERVER_TOKEN"
"""The environment variable a token is read from when the config has none."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


class ServerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How the server runs.  Off loopback, a token is required: ``token`` or
    the :data:`TOKEN_ENV` environment variable (read when the config is
    made); :class:`ConfigError` without one.  With a token, every request
    must carry it (``Authorization: Bearer TOKEN``, or ``?token=TOKEN`` for
    a browser's WebSocket)."""

    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    max_matches: int = 16
    """Matches running at once; beyond, 429 with Retry-After."""
    max_ws_clients: int = 100
    """WebSocket clients at once; beyond, 429 with Retry-After."""
    max_body: int = 16 * 1024
    """Largest request body, in bytes (413 beyond)."""
    latency_scale: float = 1.0
    """The shared sim's latency (0: instant); a match may ask for its own."""
    seed: int = 0
    """The shared sim's seed."""
    retry_after: int = 1
    """Seconds a 429 tells the client to wait."""
    max_tournaments: int = 2
    """Tournaments running at once; beyond, 429 with Retry-After."""
    data_dir: str | None = None
    """Where each tournament's database goes (``ID.sqlite``; kept, so a
    cancelled one can be resumed); ``None``: a temporary directory made at
    startup and removed at shutdown."""

    def __post_init__(self) -> None:
        if self.token is None and os.environ.get(TOKEN_ENV):
            msgspec.structs.force_setattr(self, "token", os.environ[TOKEN_ENV])
        if self.token is not None and not self.token:
            raise ConfigError("token must not be empty", fields=("token",))
        if not is_loopback(self.host) and self.token is None:
            raise ConfigError(
                f"host {self.host} is not loopback: it needs a token "
                f"(token, or the {TOKEN_ENV} environment variable)",
                fields=("token",),
            )
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be in 0..65535, got {self.port}", fields=("port",))
        for name in (
            "max_matches",
            "max_ws_clients",
            "max_body",
            "retry_after",
            "max_tournaments",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1", fields=(name,))
        if not self.latency_scale >= 0:
            raise ConfigError("latency_scale must be >= 0", fields=("latency_scale",))
