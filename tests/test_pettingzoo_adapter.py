"""The PettingZoo adapter: our games pass PettingZoo's API tests, and its envs play matches."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("pettingzoo")  # a safety net: the dev group installs the extra

import anyio
import numpy as np
import pettingzoo

with warnings.catch_warnings():
    # pettingzoo.test imports connect_four_v3 by the module path that PettingZoo
    # itself deprecates (DeprecationWarning) in favour of pettingzoo.make.
    warnings.filterwarnings("ignore", "The old environment creation API", DeprecationWarning)
    from pettingzoo.test import api_test, parallel_api_test

from rafa_async import Game, MatchResult, MatchTransition, Step, open_match
from rafa_async.adapters.pettingzoo import (
    PettingZooGame,
    action_vocabulary,
    from_aec,
    to_aec,
    to_parallel,
)
from rafa_async.agents import RandomPlayer
from rafa_async.scenarios.connect4 import ConnectFour
from rafa_async.scenarios.tictactoe import TicTacToe

# api_test's advice, which it gives as UserWarnings (errors under -W error): it
# names agents like "player_0" (ours keep the game's names, "X" and "O"), and
# it expects a Box observation unless the env is one of PettingZoo's own
# classic games, the only ones it lets observe a dict with an action mask.
api_test_advice = pytest.mark.filterwarnings(
    "ignore:We recommend agents to be named:UserWarning",
    "ignore:Observation space for each agent probably should be:UserWarning",
    "ignore:Observation is not a NumPy array:UserWarning",
)


@dataclass(frozen=True, slots=True)
class Pennies:
    round: int = 0
    wins: tuple[int, int] = (0, 0)


class MatchingPennies:
    """A tiny simultaneous-move game: both show a coin each round; player_0
    wins the round on a match, player_1 otherwise; three rounds."""

    name = "pennies"
    players = ("player_0", "player_1")
    rounds = 3

    def reset(self, seed: int) -> Pennies:
        return Pennies()

    def to_move(self, state: Pennies) -> Sequence[str]:
        return () if state.round == self.rounds else self.players

    def legal_actions(self, state: Pennies, player: str) -> Sequence[str]:
        return ("heads", "tails") if player in self.to_move(state) else ()

    def step(self, state: Pennies, actions: Mapping[str, str]) -> Step[Pennies]:
        same = actions["player_0"] == actions["player_1"]
        winner = 0 if same else 1
        wins = tuple(w + (i == winner) for i, w in enumerate(state.wins))
        nxt = Pennies(state.round + 1, (wins[0], wins[1]))
        rewards = {p: 1.0 if i == winner else -1.0 for i, p in enumerate(self.players)}
        text = f"{actions['player_0']} vs {actions['player_1']}"
        return Step(nxt, rewards, dict.fromkeys(self.players, text), nxt.round == self.rounds)

    def observe(self, state: Pennies, player: str) -> str:
        return f"round {state.round + 1}, wins {state.wins[0]}-{state.wins[1]}"

    def render(self, state: Pennies) -> str:
        return f"{state.round}:{state.wins[0]}-{state.wins[1]}"

    def scores(self, state: Pennies) -> dict[str, float]:
        return dict(zip(self.players, map(float, state.wins), strict=True))


def classic_tictactoe() -> PettingZooGame:
    return from_aec(pettingzoo.make("aec", "classic/tictactoe-v3"))


async def play(game: Game[Any], players: Mapping[str, Any]) -> MatchResult:
    # Virtual time: a stuck match fails at once instead of hanging the suite.
    with anyio.fail_after(60):
        async with open_match(game, players, seed=3) as match:
            return await match.run()


def transitions(result: MatchResult) -> list[tuple[Any, ...]]:
    return [
        (e.turn, e.actions, e.rewards, e.done, e.state)
        for e in result.log
        if isinstance(e, MatchTransition)
    ]


# -- our games as PettingZoo envs -------------------------------------------------------


@api_test_advice
@pytest.mark.parametrize("game", [TicTacToe(), ConnectFour()], ids=lambda g: g.name)
def test_turn_based_games_pass_the_aec_api_test(game: Game[Any]) -> None:
    api_test(to_aec(game), num_cycles=100, verbose_progress=False)


@api_test_advice
def test_simultaneous_game_passes_the_aec_api_test() -> None:
    api_test(to_aec(MatchingPennies()), num_cycles=100, verbose_progress=False)


def test_simultaneous_game_passes_the_parallel_api_test() -> None:
    parallel_api_test(to_parallel(MatchingPennies()), num_cycles=100)


def test_action_vocabulary_is_the_initial_legal_actions_without_all_actions() -> None:
    assert action_vocabulary(TicTacToe()) == ("a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3")
    assert action_vocabulary(ConnectFour()) == tuple("1234567")


def test_action_vocabulary_prefers_the_games_all_actions() -> None:
    class Listed(MatchingPennies):
        def all_actions(self) -> Sequence[str]:
            return ("tails", "heads", "edge")

    assert action_vocabulary(Listed()) == ("tails", "heads", "edge")


def test_a_legal_action_outside_the_vocabulary_is_an_error() -> None:
    env = to_aec(MatchingPennies(), actions=["heads"])
    env.reset(seed=0)
    with pytest.raises(ValueError, match="not in the action vocabulary"):
        env.observe(env.agent_selection)


def test_observation_is_the_games_text_and_the_mask_its_legal_actions() -> None:
    env = to_aec(TicTacToe())
    env.reset(seed=0)
    env.step(4)  # X takes b2
    obs, reward, terminated, truncated, info = env.last()
    text = bytes(obs["observation"]).rstrip(b"\0").decode()
    assert env.agent_selection == "O"
    assert text == TicTacToe().observe(TicTacToe().reset(0).play("b2"), "O")
    assert obs["action_mask"].tolist() == [1, 1, 1, 1, 0, 1, 1, 1, 1]
    assert env.observe("X")["action_mask"].tolist() == [0] * 9
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert info["feedback"].startswith("X played b2")


def test_win_terminates_everyone_with_rewards_for_both() -> None:
    env = to_aec(TicTacToe())
    env.reset(seed=0)
    for cell in (0, 3, 1, 4, 2):  # X: a1 b1 c1 -- a row
        env.step(cell)
    assert all(env.terminations.values())
    assert env.rewards == {"X": 1.0, "O": -1.0}


def test_illegal_action_ends_the_game_and_the_player_loses() -> None:
    env = to_aec(TicTacToe())
    env.reset(seed=0)
    env.step(4)
    env.step(4)  # O plays the taken centre
    assert all(env.terminations.values())
    assert env.rewards == {"X": 0.0, "O": -1.0}


def test_ansi_render_is_the_games_render() -> None:
    env = to_aec(ConnectFour(), render_mode="ansi")
    env.reset(seed=0)
    env.step(3)
    assert env.render() == ConnectFour().render(ConnectFour().reset(0).play("4"))


def test_turn_limit_truncates_everyone() -> None:
    env = to_parallel(MatchingPennies(), max_turns=2)
    env.reset(seed=0)
    env.step({"player_0": 0, "player_1": 0})
    *_, truncations, _ = env.step({"player_0": 0, "player_1": 1})
    assert truncations == {"player_0": True, "player_1": True}
    assert env.agents == []


def test_reset_without_a_seed_plays_the_next_seed() -> None:
    seeds: list[int] = []

    class Seeded(MatchingPennies):
        def reset(self, seed: int) -> Pennies:
            seeds.append(seed)
            return super().reset(seed)

    env = to_aec(Seeded(), seed=7)
    for seed in (None, None, 3, None):
        env.reset(seed=seed)
    assert seeds[-4:] == [7, 8, 3, 4]


def test_parallel_env_refuses_a_turn_based_game() -> None:
    with pytest.raises(ValueError, match="simultaneous-move game"):
        to_parallel(TicTacToe()).reset(seed=0)


# -- PettingZoo envs as our games -------------------------------------------------------


@pytest.mark.anyio
async def test_classic_tictactoe_plays_a_match_between_our_players(anyio_backend: Any) -> None:
    result = await play(
        classic_tictactoe(), {"player_1": RandomPlayer(1), "player_2": RandomPlayer(2)}
    )
    assert result.reason == "game over"
    assert 5 <= result.turns <= 9
    assert sorted(result.scores.values()) in ([-1.0, 1.0], [0.0, 0.0])
    assert sum(result.rejected.values()) == 0


def test_legal_actions_are_the_action_mask() -> None:
    game = classic_tictactoe()
    state = game.reset(0)
    for action in ("4", "0", "8", "2"):
        (mover,) = game.to_move(state)
        mask = game.env.observe(mover)["action_mask"]
        assert game.legal_actions(state, mover) == tuple(str(i) for i in np.flatnonzero(mask))
        assert all(game.legal_actions(state, p) == () for p in game.players if p != mover)
        state = game.step(state, {mover: action}).state
    assert game.legal_actions(state, "player_1") == ("1", "3", "5", "6", "7")


def test_stepping_an_earlier_state_replays_it_from_the_seed() -> None:
    game = classic_tictactoe()
    start = game.reset(0)
    centre = game.step(start, {"player_1": "4"}).state
    corner = game.step(start, {"player_1": "0"}).state  # the env moves off `centre`
    after_centre = game.step(centre, {"player_2": "0"}).state
    assert after_centre.history == (("player_1", "4"), ("player_2", "0"))
    assert after_centre.legal == ("1", "2", "3", "5", "6", "7", "8")
    assert "0" not in corner.legal and "4" in corner.legal


def test_illegal_action_is_refused_before_it_reaches_the_env() -> None:
    game = classic_tictactoe()
    state = game.step(game.reset(0), {"player_1": "4"}).state
    with pytest.raises(ValueError, match="not legal"):
        game.step(state, {"player_2": "4"})


def test_a_win_scores_the_env_rewards() -> None:
    game = classic_tictactoe()
    state = game.reset(0)
    for player, action in zip(["player_1", "player_2"] * 3, "03142", strict=False):
        step = game.step(state, {player: action})
        state = step.state
    assert step.done and game.to_move(state) == ()
    assert step.rewards == {"player_1": 1.0, "player_2": -1.0}
    assert game.scores(state) == {"player_1": 1.0, "player_2": -1.0}


# -- round trip ---------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("game", [TicTacToe(), ConnectFour()], ids=lambda g: g.name)
async def test_round_trip_plays_the_same_match(anyio_backend: Any, game: Game[Any]) -> None:
    wrapped = from_aec(to_aec(game, render_mode="ansi"))
    assert wrapped.players == tuple(game.players)
    seats = dict(zip(game.players, (1, 2), strict=True))
    direct = await play(game, {p: RandomPlayer(s) for p, s in seats.items()})
    round_trip = await play(wrapped, {p: RandomPlayer(s) for p, s in seats.items()})
    assert transitions(round_trip) == transitions(direct)
    assert round_trip.turns == direct.turns > 0


def test_round_trip_observation_is_the_games_own_text() -> None:
    wrapped = from_aec(to_aec(TicTacToe()))
    state = wrapped.step(wrapped.reset(0), {"X": "b2"}).state
    ours = TicTacToe().reset(0).play("b2")
    assert wrapped.observe(state, "O") == (
        f"tictactoe, you are O. {TicTacToe().observe(ours, 'O')}\n"
        "legal actions: a1 b1 c1 a2 c2 a3 b3 c3"
    )
    assert wrapped.observe(state, "X") == f"tictactoe, you are X. {TicTacToe().observe(ours, 'X')}"


# -- the modules --------------------------------------------------------------------


def test_each_direction_has_its_module_and_the_old_path_keeps_every_name() -> None:
    from rafa_async.adapters import pettingzoo, pettingzoo_env, pettingzoo_player

    by_direction = {
        pettingzoo_env: {"GameAECEnv", "GameParallelEnv", "action_vocabulary", "to_aec"},
        pettingzoo_player: {"PettingZooGame", "PettingZooState", "from_aec"},
    }
    for module, names in by_direction.items():
        assert names <= set(module.__all__), module.__name__
        for name in names:
            assert getattr(pettingzoo, name) is getattr(module, name)
    assert "from_aec" not in pettingzoo_env.__all__ and "to_aec" not in pettingzoo_player.__all__
    # Only the helpers new with the split are left out of the old module.
    helpers = {"Observation", "observation_text"}
    assert set(pettingzoo.__all__) == {n for m in by_direction for n in m.__all__} - helpers
