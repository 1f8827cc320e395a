"""The real ALFWorld (Shridhar et al. 2021) through its TextWorld environments,
as :class:`~rafa_async.Environment` s our agents act in.

ALFWorld is not a dependency: it needs the ``alfworld`` package (which
brings TextWorld, spaCy and two packages built from C++ sources) *and its
data set* (the PDDL games and ALFRED trajectories, fetched by
``alfworld-download`` into ``$ALFWORLD_DATA``), which this project cannot
download here.  Without them :func:`require_alfworld` raises
:class:`ALFWorldUnavailable` saying so in one line; the offline stand-in,
with the same six task types, is the ``household`` scenario.

ALFWorld's API, which this module speaks (and its tests fake):
``get_environment(type)(config, train_eval=split)`` lists its games in
``game_files``; ``init_env(batch_size=1)`` gives a batch environment whose
``reset() -> (observations, infos)`` and ``step([command]) -> (observations,
scores, dones, infos)`` carry ``infos["admissible_commands"]`` and
``infos["won"]``, one entry per batch slot.

Our environments are pure (``step(state, action)`` changes nothing the
caller can see), ALFWorld's is a live game: :class:`ALFWorldEnv` keeps the
commands that led to each state, and replays them from a reset whenever it is
asked to step from a state the live game is not in (a Reflexion retry, a
restarted trial).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from rafa_async import ConfigError, Outcome
from rafa_async.scenarios import check_lines
from rafa_async.scenarios.household import TaskType

NOT_INSTALLED = (
    "the real ALFWorld needs the alfworld package and its data set, which this project "
    "cannot download here: pip install alfworld, then alfworld-download (sets up "
    "$ALFWORLD_DATA); the offline household scenario has the same six task types"
)
"""The one-line reason ALFWorld cannot run here (the CLI's ``error:`` line)."""

NOTHING_HAPPENS = "Nothing happens."
"""ALFWorld's observation for a command that does nothing."""

_GAME_TYPES: dict[str, TaskType] = {
    "pick_and_place_simple": "pick_and_place",
    "pick_clean_then_place_in_recep": "pick_clean_then_place",
    "pick_heat_then_place_in_recep": "pick_heat_then_place",
    "pick_cool_then_place_in_recep": "pick_cool_then_place",
    "look_at_obj_in_light": "look_at_obj_in_light",
    "pick_two_obj_and_place": "pick_two_obj_and_place",
}
_TASK_RE = re.compile(r"Your task is to:\s*(?P<task>[^\n]+)")


class ALFWorldUnavailable(ConfigError):
    """ALFWorld cannot run here: the package or its data set is missing."""


class BatchEnv(Protocol):
    """A TextWorld batch environment of batch size 1 (what ``init_env`` returns)."""

    def reset(self) -> tuple[Sequence[str], Mapping[str, Any]]: ...

    def step(
        self, commands: list[str]
    ) -> tuple[Sequence[str], Sequence[float], Sequence[bool], Mapping[str, Any]]: ...


def data_dir() -> Path:
    """Where ALFWorld's data set lives: ``$ALFWORLD_DATA``, else ALFWorld's default."""
    return Path(os.environ.get("ALFWORLD_DATA", Path.home() / ".cache" / "alfworld"))


def require_alfworld(module: ModuleType | None = None) -> ModuleType:
    """``alfworld.agents.environment`` (or ``module``, a stand-in), once the data
    set is in :func:`data_dir`; :class:`ALFWorldUnavailable` otherwise."""
    if module is None:
        module = _import_alfworld()
    where = data_dir()
    if not where.is_dir() or not any(where.iterdir()):
        raise ALFWorldUnavailable(f"{NOT_INSTALLED} (no data set in {where})")
    return module


def _import_alfworld() -> ModuleType:
    try:
        return importlib.import_module("alfworld.agents.environment")
    except ImportError:
        raise ALFWorldUnavailable(NOT_INSTALLED) from None


def task_type_of(game: str) -> TaskType | None:
    """The task type of an ALFWorld game file, from its folder name
    (``pick_clean_then_place_in_recep-Apple-None-Fridge-1/...``)."""
    for part in reversed(Path(game).parts):
        found = _GAME_TYPES.get(part.split("-", 1)[0])
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class ALFWorldState:
    """Where an ALFWorld game is: its task, the first observation, the accepted
    commands since and what each showed, and the commands admissible now."""

    task: str
    intro: str
    history: tuple[tuple[str, str], ...] = ()
    """``(command, observation)`` per accepted command."""
    admissible: tuple[str, ...] = ()
    won: bool = False

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(command for command, _ in self.history)

    @property
    def text(self) -> str:
        """The game so far as the agent reads it."""
        lines = [f"Your task is to: {self.task}", self.intro]
        lines += [f"> {command}\n{seen}" for command, seen in self.history]
        return "\n".join(lines)


class ALFWorldEnv:
    """One ALFWorld game as an :class:`~rafa_async.Environment`.

    A command ALFWorld answers with ``Nothing happens.`` is refused (state
    unchanged), the feedback adding that it is not among the admissible
    commands when it is not.  Winning the game solves the task (reward 1);
    ALFWorld ending it otherwise ends the episode unsolved.
    """

    name = "alfworld"

    def __init__(self, env: BatchEnv, game: str = "") -> None:
        self.env = env
        self.game = game
        self._start: ALFWorldState | None = None
        self._live: tuple[str, ...] | None = None
        """The accepted commands the live game has run since its reset."""

    def reset(self) -> ALFWorldState:
        observations, infos = self.env.reset()
        self._live = ()
        if self._start is None:
            intro = observations[0]
            match = _TASK_RE.search(intro)
            task = match.group("task").strip() if match else ""
            intro = intro[: match.start()].strip() if match else intro.strip()
            self._start = ALFWorldState(task, intro, admissible=_admissible(infos))
        return self._start

    def render(self, state: ALFWorldState) -> str:
        return state.text

    def answer(self, state: ALFWorldState) -> str | None:
        return state.task if state.won else None

    def step(self, state: ALFWorldState, action: str) -> Outcome[ALFWorldState]:
        """One command, or a whole attempt (several lines, checked one by one
        until a refusal or the end, as the household's); one interaction."""
        commands = [c for c in (_command(line) for line in action.splitlines()) if c]
        if len(commands) <= 1:
            return self._one(state, commands[0] if commands else _command(action))
        return check_lines(state, commands, self._one)

    def _one(self, state: ALFWorldState, command: str) -> Outcome[ALFWorldState]:
        self._go_to(state)
        observations, _, dones, infos = self.env.step([command])
        seen = str(observations[0]).strip()
        if seen == NOTHING_HAPPENS:
            why = "" if command in state.admissible else " (not an admissible command here)"
            return Outcome(state, False, f"{command}: {NOTHING_HAPPENS}{why}")
        assert self._live is not None
        self._live = (*self._live, command)
        won = bool(infos["won"][0])
        nxt = replace(
            state,
            history=(*state.history, (command, seen)),
            admissible=_admissible(infos),
            won=won,
        )
        return Outcome(nxt, True, f"{command}: {seen}", reward=float(won), done=won or dones[0])

    def _go_to(self, state: ALFWorldState) -> None:
        """Bring the live game to ``state``: replay its commands from a reset if
        the game is elsewhere (ALFWorld games are deterministic)."""
        if self._live == state.commands:
            return
        self.reset()
        for command in state.commands:
            self.env.step([command])
        self._live = state.commands


def _command(line: str) -> str:
    """A command as ALFWorld takes it: no prompt mark, single spaces."""
    return " ".join(line.strip().lstrip(">").split())


def _admissible(infos: Mapping[str, Any]) -> tuple[str, ...]:
    commands = infos.get("admissible_commands")
    return tuple(commands[0]) if commands else ()


@dataclass(frozen=True, slots=True)
class ALFWorldGames:
    """ALFWorld's games of one split, and an environment for any of them."""

    module: ModuleType
    config: Mapping[str, Any]
    split: str = "eval_out_of_distribution"
    """ALFWorld's ``train_eval``: ``train``, ``eval_in_distribution`` or
    ``eval_out_of_distribution`` (the 134 unseen games ReAct and Reflexion report)."""

    def _tw_env(self) -> Any:
        env_type = self.config.get("env", {}).get("type", "AlfredTWEnv")
        get = getattr(self.module, "get_environment", None)
        cls = get(env_type) if get is not None else getattr(self.module, env_type)
        return cls(dict(self.config), train_eval=self.split)

    def games(self) -> list[str]:
        """The split's game files, in ALFWorld's order; :class:`ALFWorldUnavailable`
        if there are none (a data set not, or half, downloaded)."""
        games = list(self._tw_env().game_files)
        if not games:
            raise ALFWorldUnavailable(f"{NOT_INSTALLED} (no games in split {self.split})")
        return games

    def env(self, game: str) -> ALFWorldEnv:
        """An environment that always plays ``game`` (every reset restarts it)."""
        tw_env = self._tw_env()
        tw_env.game_files = [game]
        tw_env.num_games = 1
        return ALFWorldEnv(tw_env.init_env(batch_size=1), game)


def open_alfworld(
    config: Mapping[str, Any],
    *,
    split: str = "eval_out_of_distribution",
    module: ModuleType | None = None,
) -> ALFWorldGames:
    """ALFWorld's games of ``split`` under ``config`` (ALFWorld's
    ``base_config.yaml``, loaded); :class:`ALFWorldUnavailable` if ALFWorld or
    its data set is missing."""
    return ALFWorldGames(require_alfworld(module), config, split)
