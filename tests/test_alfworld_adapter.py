"""The ALFWorld adapter against a fake ``alfworld.agents.environment`` that
speaks ALFWorld's API over our household rooms (no data set needed), and the
one-line error without ALFWorld."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import structlog
from support import assert_one_line_error, rafa

from rafa_async import EpisodeDriver, MalformedResponse
from rafa_async.adapters.alfworld import (
    NOT_INSTALLED,
    ALFWorldEnv,
    ALFWorldUnavailable,
    open_alfworld,
    require_alfworld,
    task_type_of,
)
from rafa_async.adapters.alfworld_world import ALFWorldWorld
from rafa_async.agents import DirectAgent
from rafa_async.llm import ChatRequest, ChatResponse, Usage
from rafa_async.scenarios.household import HouseholdEnv, admissible, plan, select

ROOT = "/data/json_2.1.1/valid_unseen"
GAMES = {
    f"{ROOT}/pick_clean_then_place_in_recep-Mug-None-Shelf-1/trial_T1/game.tw-pddl": (
        "pick_clean_then_place-1"
    ),
    f"{ROOT}/look_at_obj_in_light-Book-None-DeskLamp-2/trial_T2/game.tw-pddl": (
        "look_at_obj_in_light-1"
    ),
}


class FakeBatchEnv:
    """One ALFWorld game as TextWorld's batch env shows it, played in a household room."""

    def __init__(self, task_id: str) -> None:
        self.env = HouseholdEnv(select(task_id)[0].start)
        self.state = self.env.reset()
        self.resets = 0

    def _infos(self) -> dict[str, Any]:
        commands = [c.text for c in admissible(self.state)] + ["look", "inventory"]
        won = self.env.answer(self.state) is not None
        return {"admissible_commands": [commands], "won": [won]}

    def reset(self) -> tuple[Sequence[str], Mapping[str, Any]]:
        self.state, self.resets = self.env.reset(), self.resets + 1
        intro = "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room."
        return [f"{intro}\n\nYour task is to: {self.state.goal.text}."], self._infos()

    def step(
        self, commands: list[str]
    ) -> tuple[Sequence[str], Sequence[float], Sequence[bool], Mapping[str, Any]]:
        (command,) = commands
        outcome = self.env.step(self.state, command)
        if not outcome.accepted:
            return ["Nothing happens."], [0.0], [False], self._infos()
        self.state = outcome.state
        seen = outcome.feedback.split(": ", 1)[1].split(" Task done")[0]
        return [seen], [outcome.reward], [outcome.done], self._infos()


class FakeTWEnv:
    def __init__(self, config: dict[str, Any], train_eval: str = "train") -> None:
        assert train_eval == "eval_out_of_distribution"
        self.game_files = list(GAMES)

    def init_env(self, batch_size: int) -> FakeBatchEnv:
        assert batch_size == 1 and len(self.game_files) == 1
        return FakeBatchEnv(GAMES[self.game_files[0]])


def fake_module() -> ModuleType:
    module = ModuleType("alfworld.agents.environment")
    module.get_environment = lambda env_type: {"AlfredTWEnv": FakeTWEnv}[env_type]  # type: ignore[attr-defined]
    return module


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A (fake) downloaded data set."""
    (tmp_path / "json_2.1.1").mkdir()
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def game_env(game: str) -> ALFWorldEnv:
    return open_alfworld({"env": {"type": "AlfredTWEnv"}}, module=fake_module()).env(game)


def test_the_games_of_a_split_and_their_task_types(data: Path) -> None:
    games = open_alfworld({}, module=fake_module()).games()

    assert games == list(GAMES)
    assert [task_type_of(g) for g in games] == ["pick_clean_then_place", "look_at_obj_in_light"]


@pytest.mark.parametrize("game", GAMES)
def test_the_oracle_plan_wins_an_alfworld_game_command_by_command(data: Path, game: str) -> None:
    env = game_env(game)
    state = env.reset()
    steps = plan(select(GAMES[game])[0].start)
    assert steps and state.task and "Welcome" in state.intro and state.admissible

    for command in steps:
        outcome = env.step(state, f"> {command}")
        assert outcome.accepted, outcome.feedback
        state = outcome.state

    assert (outcome.done, outcome.reward, state.won) == (True, 1.0, True)
    assert env.answer(state) == state.task and state.commands == steps


def test_nothing_happens_is_a_refusal_that_leaves_the_state(data: Path) -> None:
    env = game_env(next(iter(GAMES)))
    start = env.reset()

    outcome = env.step(start, "take mug 1 from shelf 1")

    assert (outcome.accepted, outcome.state, outcome.done) == (False, start, False)
    assert outcome.feedback == (
        "take mug 1 from shelf 1: Nothing happens. (not an admissible command here)"
    )


def test_stepping_from_an_earlier_state_replays_it_on_the_live_game(data: Path) -> None:
    game = next(iter(GAMES))
    env = game_env(game)
    start = env.reset()
    first, second = plan(select(GAMES[game])[0].start)[:2]
    moved = env.step(start, first).state
    env.step(moved, second)
    resets = env.env.resets  # type: ignore[attr-defined]

    again = env.step(moved, second)  # the live game is one command further

    assert again.accepted and again.state.commands == (first, second)
    assert env.env.resets == resets + 1  # type: ignore[attr-defined]


class ScriptedLLM:
    """A model that answers every request with one text."""

    def __init__(self, text: str) -> None:
        self.text = text

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return ChatResponse(text=self.text, model="scripted", usage=Usage(1, 1))


@pytest.mark.anyio
async def test_an_agent_solves_an_alfworld_game_with_a_whole_attempt(
    anyio_backend: Any, data: Path
) -> None:
    game = next(iter(GAMES))
    attempt = "\n".join(f"> {c}" for c in plan(select(GAMES[game])[0].start) or ())
    driver = EpisodeDriver(game_env(game), episode="alfworld-1", max_steps=5)

    await DirectAgent(ScriptedLLM(f"Here is my plan:\n{attempt}"), ALFWorldWorld()).run(driver)

    assert driver.solved and driver.steps == 1


def test_the_world_model_keeps_the_command_as_the_model_wrote_it(data: Path) -> None:
    world = ALFWorldWorld()
    state = game_env(next(iter(GAMES))).reset()

    proposal = world.parse_proposal(
        state, "Think: the mug goes on the shelf.\nAction: move mug 1 to shelf 1"
    )

    assert proposal.action == "move mug 1 to shelf 1"
    assert world.key(proposal.predicted) != world.key(state)
    assert world.propose_request(state, (), 0).intent.state == state.text  # type: ignore[union-attr]
    with pytest.raises(MalformedResponse):
        world.parse_proposal(state, "I am not sure.")


def test_without_alfworld_the_error_says_the_data_set_cannot_be_downloaded_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "alfworld", None)

    with pytest.raises(ALFWorldUnavailable) as error:
        require_alfworld()

    assert str(error.value) == NOT_INSTALLED
    assert "data set, which this project cannot download here" in NOT_INSTALLED


def test_without_its_data_set_the_error_names_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path / "none"))

    with pytest.raises(ALFWorldUnavailable, match=r"no data set in .*none"):
        open_alfworld({}, module=fake_module())


def test_rafa_run_alfworld_without_it_is_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "alfworld", None)

    assert_one_line_error(
        rafa("run", "alfworld"), "needs the alfworld package and its data set", "cannot download"
    )
