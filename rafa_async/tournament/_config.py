"""``tournament.toml``: who plays, which games, in what format, under which limits.

A tournament config is a TOML file decoded by msgspec into
:class:`TournamentConfig`; every error names the key and the line it is on
(``tournament.toml:14: participants[1].n_candidates: Expected `int`, got
`str```), so a typo in a long config is found at once.  An example::

    name = "rafa-vs-baselines"
    games = ["tictactoe", "connect4"]
    format = "round-robin"        # or "gauntlet" (with anchor = NAME), "swiss" (rounds = N)
    games_per_pairing = 4         # per game; played in colour-swapped pairs
    seed = 0
    concurrency = 32              # matches at once

    [limits]                      # shared by every match of the tournament
    max_concurrency = 64          # LLM calls in flight
    rpm = 3000                    # requests per minute (optional)

    [sprt]                        # optional: stop a pairing once it is decided
    elo0 = 0
    elo1 = 100

    [[participants]]
    name = "rafa-b5"
    kind = "rafa"
    n_candidates = 5
    move_timeout = 30.0           # this participant's per-move deadline, seconds

    [[participants]]
    name = "random"
    kind = "random"
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.app import LLMOptions, SeatOptions, seat_kinds, uses_llm
from rafa_async.llm import LatencyModel
from rafa_async.scenarios import GAMES, get_game
from rafa_async.tournament._sprt import SprtConfig

Format = Literal["round-robin", "gauntlet", "swiss"]
FORMATS: tuple[Format, ...] = ("round-robin", "gauntlet", "swiss")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class Participant(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named seat config: a kind of player and how it plays."""

    name: str
    """Unique; letters, digits and ``_ . + -`` (it is part of match ids)."""
    kind: str
    """A seat kind every game of the tournament takes: ``rafa``, ``direct``,
    or a fixed policy of the games (``random``, ``perfect``...)."""
    provider: str = "sim"
    """The LLM it calls: ``sim`` (the embedded SIMULATED LLM),
    ``openai:MODEL``, ``anthropic:MODEL`` or a provider of the LLM config."""
    n_candidates: int = 5
    """RAFA: moves proposed per decision."""
    n_evaluate: int = 1
    """RAFA: value samples per candidate."""
    speculate: bool = False
    """RAFA: plan for the predicted reply while the opponent thinks."""
    move_timeout: float | None = None
    """Its per-move deadline in seconds (``None``: none); a late move gets
    the game's fallback action and counts as late."""

    @property
    def seat_options(self) -> SeatOptions:
        return SeatOptions(
            n_candidates=self.n_candidates, n_evaluate=self.n_evaluate, speculate=self.speculate
        )

    @property
    def uses_llm(self) -> bool:
        return uses_llm(self.kind)


class Limits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The LLM limits every match shares: one middleware stack per provider
    for the whole tournament, so 32 concurrent matches never make more than
    ``max_concurrency`` calls at once, nor more than ``rpm`` a minute."""

    max_concurrency: int = 64
    rpm: float | None = None
    tpm: float | None = None
    timeout: float = 120.0
    """Seconds per attempt of a call."""
    config: str | None = None
    """The LLM provider config file (``None``: ``./rafa.toml`` if there is one)."""

    def options(self, provider: str) -> LLMOptions:
        return LLMOptions(
            provider=provider,
            config=self.config,
            max_concurrency=self.max_concurrency,
            rpm=self.rpm,
            tpm=self.tpm,
            timeout=self.timeout,
        )


class TournamentConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything that determines a tournament's matches (with the sim: their results too)."""

    name: str = "tournament"
    games: list[str]
    participants: list[Participant]
    format: Format = "round-robin"
    anchor: str | None = None
    """Gauntlet: the participant every other one plays."""
    rounds: int | None = None
    """Swiss: rounds to play (default: ceil(log2(participants)))."""
    games_per_pairing: int = 2
    """Games per pairing and game; an even number plays them as
    colour-swapped pairs (the same seed with the seats swapped)."""
    seed: int = 0
    concurrency: int = 8
    """Matches played at once."""
    latency_scale: float = 1.0
    """The sim's simulated call latency (1: a hosted model's; 0: none)."""
    limits: Limits = Limits()
    sprt: SprtConfig | None = None

    def participant(self, name: str) -> Participant:
        for participant in self.participants:
            if participant.name == name:
                return participant
        raise KeyError(name)

    @property
    def providers(self) -> tuple[str, ...]:
        """The providers the LLM participants call, each once."""
        return tuple(dict.fromkeys(p.provider for p in self.participants if p.uses_llm))

    @property
    def simulated(self) -> bool:
        """Every LLM participant calls the simulated LLM (or none calls an LLM)."""
        return all(p == "sim" for p in self.providers)

    @property
    def latency(self) -> LatencyModel:
        return LatencyModel(scale=self.latency_scale)

    @property
    def swiss_rounds(self) -> int:
        n = len(self.participants)
        return self.rounds if self.rounds is not None else max(1, math.ceil(math.log2(n)))


def load_tournament(path: str | os.PathLike[str]) -> TournamentConfig:
    """Read and check ``path``: :class:`ConfigError` naming the file, line and
    key of the first problem (``tournament.toml:12: participants[1].kind: ...``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such tournament config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    return parse_tournament(text, str(path))


def parse_tournament(text: str, source: str = "tournament.toml") -> TournamentConfig:
    """:func:`load_tournament` of ``text`` (``source`` names it in errors)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        config = msgspec.convert(raw, TournamentConfig)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).rpartition(" - at `$")
        if not message:  # at the top level
            message, where = str(exc), ""
        path = _path(where.rstrip("`"))
        field = re.match(r"Object (?:contains unknown|missing required) field `(\w+)`", message)
        if field:  # point at the key itself
            path.append(field.group(1))
        raise ConfigError(_located(text, source, path, message)) from None
    problem = _problem(config)
    if problem is not None:
        path, message = problem
        raise ConfigError(_located(text, source, path, message))
    return config


def _problem(config: TournamentConfig) -> tuple[list[str | int], str] | None:
    """The first thing wrong with ``config`` msgspec cannot see: its key path and what."""
    for i, game in enumerate(config.games):
        if game not in GAMES:
            return ["games", i], f"unknown game {game!r} (known: {', '.join(GAMES)})"
        seats = get_game(game).seats
        if len(seats) != 2:
            return ["games", i], (
                f"{game} has {len(seats)} seats; tournaments rate two-seat games "
                f"(of {', '.join(g for g in GAMES if len(get_game(g).seats) == 2)})"
            )
    if not config.games:
        return ["games"], "no games: name at least one"
    if len(set(config.games)) < len(config.games):
        return ["games"], "a game is named twice"
    if len(config.participants) < 2:
        return ["participants"], "a tournament needs at least two participants"
    seen: set[str] = set()
    for i, p in enumerate(config.participants):
        if not _NAME.match(p.name):
            return ["participants", i, "name"], (
                f"name {p.name!r}: use letters, digits and _ . + - (it is part of match ids)"
            )
        if p.name in seen:
            return ["participants", i, "name"], f"two participants are named {p.name!r}"
        seen.add(p.name)
        for game in config.games:
            kinds = seat_kinds(get_game(game))
            if p.kind not in kinds:
                return ["participants", i, "kind"], (
                    f"unknown kind {p.kind!r} for {game} (known: {', '.join(kinds)})"
                )
        for field in ("n_candidates", "n_evaluate"):
            if getattr(p, field) < 1:
                return ["participants", i, field], f"{field} must be >= 1"
        if p.move_timeout is not None and not (
            math.isfinite(p.move_timeout) and p.move_timeout > 0
        ):
            return ["participants", i, "move_timeout"], "move_timeout must be seconds > 0"
    for field in ("games_per_pairing", "concurrency"):
        if getattr(config, field) < 1:
            return [field], f"{field} must be >= 1"
    if not (math.isfinite(config.latency_scale) and config.latency_scale >= 0):
        return ["latency_scale"], "latency_scale must be >= 0"
    if config.limits.max_concurrency < 1:
        return ["limits", "max_concurrency"], "max_concurrency must be >= 1"
    for field in ("rpm", "tpm", "timeout"):
        value = getattr(config.limits, field)
        if value is not None and not (math.isfinite(value) and value > 0):
            return ["limits", field], f"{field} must be > 0"
    if config.format == "gauntlet":
        if config.anchor is None:
            return ["format"], "a gauntlet needs anchor = NAME, the participant all others play"
        if config.anchor not in seen:
            return ["anchor"], (
                f"anchor {config.anchor!r} is not a participant (participants: {', '.join(seen)})"
            )
    elif config.anchor is not None:
        return ["anchor"], f"anchor is for the gauntlet format, not {config.format}"
    if config.format == "swiss":
        if config.rounds is not None and config.rounds < 1:
            return ["rounds"], "rounds must be >= 1"
    elif config.rounds is not None:
        return ["rounds"], f"rounds is for the swiss format, not {config.format}"
    return None


def _path(where: str) -> list[str | int]:
    """``.participants[1].kind`` -> ``["participants", 1, "kind"]``."""
    return [int(i) if i else k for k, i in re.findall(r"\.([A-Za-z_]\w*)|\[(\d+)\]", where)]


def _located(text: str, source: str, path: Sequence[str | int], message: str) -> str:
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    if path and str(path[-1]) and message.startswith(f"{path[-1]} "):
        message = message[len(str(path[-1])) + 1 :]  # "concurrency: must be >= 1"
    line = _line_of(text, path)
    where = f"{source}:{line}" if line else source
    return f"{where}: {dotted}: {message}" if dotted else f"{where}: {message}"


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _line_of(text: str, path: Sequence[str | int]) -> int | None:
    """The line (1-based) where ``path``'s key is written: its ``key =`` line
    in the right table (``[limits]``, the n-th ``[[participants]]``), else
    that table's header, else ``None``."""
    keys = [p for p in path if isinstance(p, str)]
    if not keys:
        return None
    table: tuple[str, int] = ("", 0)  # (table name, index of the array entry)
    counts: dict[str, int] = {}
    want_table = ("", 0)
    want_key = keys[0]
    if len(keys) > 1 or (len(path) > 1 and isinstance(path[1], int) and keys[0] == "participants"):
        index = path[1] if len(path) > 1 and isinstance(path[1], int) else 0
        want_table = (keys[0], index)
        want_key = keys[1] if len(keys) > 1 else ""
    header_line = None
    first_header: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(2)
            first_header.setdefault(name, number)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = (name, counts[name])
            else:
                table = (name, 0)
            if table == want_table:
                header_line = number
            continue
        key = _KEY.match(line)
        if key and table == want_table and key.group(1) == want_key:
            return number
    if header_line is not None:
        return header_line
    if want_table == ("", 0):  # a whole table ([sprt]) rather than a key
        return first_header.get(want_key)
    return _line_of(text, [want_table[0]])


def config_json(config: TournamentConfig) -> str:
    """The config as canonical JSON (a database remembers what it was made by)."""
    return msgspec.json.encode(config, order="sorted").decode()


def config_from_json(data: str | bytes) -> TournamentConfig:
    return msgspec.json.decode(data, type=TournamentConfig)


def describe(config: TournamentConfig) -> dict[str, Any]:
    """A short description for tables and reports."""
    return {
        "name": config.name,
        "format": config.format,
        "games": list(config.games),
        "participants": [p.name for p in config.participants],
        "simulated": config.simulated,
    }
