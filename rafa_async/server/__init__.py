"""Matches on request, watched live: the library core of ``rafa serve``.

:class:`MatchManager` (anyio-only) runs matches inside any running event
loop, and :class:`TournamentManager` tournaments; :func:`create_app` puts
them behind REST and WebSocket routes (aiohttp.web, asyncio only) and
:func:`running_server` serves that app.
"""

from rafa_async.server._app import (
    RunningServer as RunningServer,
    create_app as create_app,
    running_server as running_server,
)
from rafa_async.server._config import TOKEN_ENV as TOKEN_ENV, ServerConfig as ServerConfig
from rafa_async.server._manager import (
    MatchLimitReached as MatchLimitReached,
    MatchManager as MatchManager,
    UnknownMatch as UnknownMatch,
    Watch as Watch,
)
from rafa_async.server._tournaments import (
    TournamentLimitReached as TournamentLimitReached,
    TournamentManager as TournamentManager,
    UnknownTournament as UnknownTournament,
)
from rafa_async.server._types import (
    MatchClosed as MatchClosed,
    MatchRequest as MatchRequest,
    MatchView as MatchView,
    Snapshot as Snapshot,
    StandingRow as StandingRow,
    TournamentRequest as TournamentRequest,
    TournamentView as TournamentView,
)

__all__ = [
    "TOKEN_ENV",
    "MatchClosed",
    "MatchLimitReached",
    "MatchManager",
    "MatchRequest",
    "MatchView",
    "RunningServer",
    "ServerConfig",
    "Snapshot",
    "StandingRow",
    "TournamentLimitReached",
    "TournamentManager",
    "TournamentRequest",
    "TournamentView",
    "UnknownMatch",
    "UnknownTournament",
    "Watch",
    "create_app",
    "running_server",
]
