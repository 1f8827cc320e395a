"""What every registered game (``rafa play``) must do, checked for each one.

Each test runs once per entry of the games registry, from its
:class:`~rafa_async.scenarios.GameSpec` alone: the rules of the
:class:`~rafa_async.Game` protocol on games played out with random legal
moves, the world model's requests and parsers against the game's own sim
oracle, its policies, and a short match of every seat kind, replayed from
its log.  A new game gets all of this by its registry line; its own test
module keeps only what is particular to it.
"""

from __future__ import annotations

import importlib
import itertools
import random
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from scenario_support import ask, context

from rafa_async import NOOP, ListSink, MalformedResponse, MatchStarted, ProviderError, Step
from rafa_async.app import PlayConfig, play_series, replay_matches, seat_kinds
from rafa_async.llm import ChatRequest, LatencyModel, NoiseModel, SimLLM
from rafa_async.scenarios import GAMES, GameSpec, get_game
from rafa_async.scenarios._games import GAME_PACKAGES

MAX_TURNS = 200
"""More than any registered game lasts."""


@pytest.fixture(params=GAMES)
def spec(request: pytest.FixtureRequest) -> GameSpec[Any, Any]:
    return get_game(request.param)


def play_out(spec: GameSpec[Any, Any], seed: int) -> list[tuple[Any, dict[str, str], Step[Any]]]:
    """A game played to its end with random legal actions: (state, actions, step) per turn."""
    game, rng = spec.make(), random.Random(seed)
    state, turns = game.reset(seed), []
    while game.to_move(state):
        assert len(turns) < MAX_TURNS, f"{spec.name} did not end"
        actions = {p: rng.choice(list(game.legal_actions(state, p))) for p in game.to_move(state)}
        step = game.step(state, actions)
        turns.append((state, actions, step))
        state = step.state
    return turns


def states(spec: GameSpec[Any, Any], seed: int = 0, most: int = 6) -> list[Any]:
    """Up to ``most`` open states, spread over a played-out game."""
    open_states = [state for state, _, _ in play_out(spec, seed)]
    return open_states[:: max(1, len(open_states) // most)][:most]


def final_state(spec: GameSpec[Any, Any], seed: int = 0) -> Any:
    return play_out(spec, seed)[-1][2].state


def seat_of(spec: GameSpec[Any, Any], state: Any) -> str:
    """The first seat to move in ``state``."""
    return str(spec.make().to_move(state)[0])


# -- the registry entry -----------------------------------------------------------------


@pytest.mark.parametrize("name", GAMES)
def test_the_registry_line_names_a_package_that_builds_that_game(name: str) -> None:
    package = importlib.import_module(GAME_PACKAGES[name])

    assert "game_spec" in package.__all__
    assert isinstance(get_game(name), GameSpec)
    assert get_game(name).name == name


def test_the_spec_names_the_game_its_seats_and_who_sits_there(spec: GameSpec[Any, Any]) -> None:
    game = spec.make()

    assert (game.name, tuple(game.players)) == (spec.name, tuple(spec.seats))
    assert set(spec.default_seats) == set(spec.seats)
    assert set(spec.default_seats.values()) <= set(seat_kinds(spec))
    assert spec.description


def test_the_sim_uses_the_oracles_default_noise(spec: GameSpec[Any, Any]) -> None:
    oracle = spec.oracle()

    assert SimLLM({spec.name: oracle}).noise_for(spec.name) == getattr(
        oracle, "default_noise", NoiseModel()
    )


# -- the Game protocol ----------------------------------------------------------------


def test_reset_is_deterministic_and_opens_the_game(spec: GameSpec[Any, Any]) -> None:
    game = spec.make()

    for seed in (0, 7):
        state = game.reset(seed)
        assert state == game.reset(seed)
        assert game.to_move(state)
        assert set(game.to_move(state)) <= set(game.players)


@pytest.mark.parametrize("seed", range(3))
def test_a_game_played_out_follows_the_rules_and_ends_with_scores(
    spec: GameSpec[Any, Any], seed: int
) -> None:
    game = spec.make()
    turns = play_out(spec, seed)

    for state, actions, step in turns:
        movers = game.to_move(state)
        for player in game.players:
            legal = game.legal_actions(state, player)
            assert bool(legal) == (player in movers), (player, state)
        assert set(step.rewards) <= set(game.players)
        assert set(step.feedback) <= set(game.players)
        assert step.done == (not game.to_move(step.state))
        assert game.step(state, actions) == step  # pure: the same step again
    end = turns[-1][2].state
    scores = game.scores(end)
    assert set(scores) == set(game.players)
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    if spec.scoring == "outcome":
        assert set(scores.values()) <= {0.0, 0.5, 1.0}
    else:
        assert max(scores.values()) in (0.0, 1.0)
    with pytest.raises(ValueError):
        game.step(end, {p: game.players[0] for p in game.players})


def test_the_same_seed_and_moves_give_the_same_game(spec: GameSpec[Any, Any]) -> None:
    game = spec.make()
    first, again = play_out(spec, 5), play_out(spec, 5)

    assert [game.render(s.state) for _, _, s in first] == [
        game.render(s.state) for _, _, s in again
    ]
    renders = [game.render(state) for state, _, _ in first]
    assert len(set(renders)) == len(renders)  # every turn changes the state


def test_step_refuses_a_missing_an_unknown_or_an_illegal_action(spec: GameSpec[Any, Any]) -> None:
    game = spec.make()
    state = game.reset(0)
    movers = list(game.to_move(state))
    legal = {p: game.legal_actions(state, p)[0] for p in movers}

    for actions in (
        {p: a for p, a in legal.items() if p != movers[0]},
        {**legal, "nobody": legal[movers[0]]},
        {**legal, movers[0]: "not-an-action"},
    ):
        with pytest.raises(ValueError):
            game.step(state, actions)


def test_noop_stands_for_a_missed_tick_only_where_everyone_moves_at_once(
    spec: GameSpec[Any, Any],
) -> None:
    game = spec.make()
    state = game.reset(0)
    movers = game.to_move(state)

    if set(movers) == set(game.players):
        assert game.step(state, dict.fromkeys(movers, NOOP)).state != state
    else:
        with pytest.raises(ValueError):
            game.step(state, dict.fromkeys(movers, NOOP))


def test_an_unknown_player_is_refused(spec: GameSpec[Any, Any]) -> None:
    game = spec.make()
    state = game.reset(0)

    with pytest.raises(ValueError, match="unknown player 'nobody'"):
        game.legal_actions(state, "nobody")
    with pytest.raises(ValueError):
        game.observe(state, "nobody")


def test_every_player_observes_the_state_as_text(spec: GameSpec[Any, Any]) -> None:
    game = spec.make()

    for state in states(spec):
        for player in game.players:
            assert game.observe(state, player).strip()
        assert isinstance(game.render(state), str)


# -- the world model and the sim oracle ------------------------------------------------


def test_requests_carry_the_game_the_state_the_seat_the_memory_and_the_sample(
    spec: GameSpec[Any, Any],
) -> None:
    memory = ["a line of feedback from an earlier match"]

    for state in states(spec):
        seat = seat_of(spec, state)
        world = spec.world(seat)
        request = world.propose_request(state, memory, 4)

        assert request.intent is not None
        intent = request.intent
        assert (intent.kind, intent.scenario, intent.state) == (
            "propose",
            spec.name,
            world.key(state),
        )
        assert (intent.detail, intent.memory, intent.sample) == (seat, tuple(memory), 4)
        assert memory[0] in request.messages[-1].content


def test_a_perfect_sims_answers_parse_into_legal_moves_replies_and_values(
    spec: GameSpec[Any, Any],
) -> None:
    game, oracle = spec.make(), spec.oracle()

    for k, state in enumerate(states(spec)):
        seat = seat_of(spec, state)
        world = spec.world(seat)
        move = world.parse_move(state, ask(oracle, world.propose_request(state, (), k)))
        assert move.action in game.legal_actions(state, seat)
        end = move.predicted
        if not world.is_terminal(end):
            reply = world.parse_reply(end, ask(oracle, world.predict_request(end, (), k)))
            assert isinstance(reply.action, str) and reply.action
            end = reply.predicted
        value = world.parse_value(ask(oracle, world.evaluate_request(end, (), k, seat)))
        assert -1.0 <= value <= 1.0
        assert ask(oracle, world.propose_request(state, (), k)) == ask(
            oracle, world.propose_request(state, (), k)
        )


def question(
    spec: GameSpec[Any, Any], kind: str, state: Any, i: int
) -> tuple[ChatRequest, Callable[[str], object]] | None:
    """The ``kind`` request a seat's world model makes about ``state`` (a
    prediction after the sim's proposed move), and the parser of its answer;
    None when the proposed move ends the game (nothing to predict)."""
    oracle, world = spec.oracle(), spec.world(seat_of(spec, state))
    if kind == "propose":
        return world.propose_request(state, (), i), lambda t: world.parse_move(state, t)
    if kind == "evaluate":
        return world.evaluate_request(state, (), i), world.parse_value
    after = world.parse_move(state, ask(oracle, world.propose_request(state, (), i))).predicted
    if world.is_terminal(after):
        return None
    return world.predict_request(after, (), i), lambda t: world.parse_reply(after, t)


@pytest.mark.parametrize("kind", ["propose", "predict", "evaluate"])
def test_garbled_answers_are_malformed_responses(spec: GameSpec[Any, Any], kind: str) -> None:
    oracle, asked = spec.oracle(), 0
    for i, state in enumerate(states(spec, most=12)):
        found = question(spec, kind, state, i)
        if found is None:
            continue
        request, parse = found
        garbled = oracle.garble(ask(oracle, request), random.Random(i))
        with pytest.raises(MalformedResponse):
            parse(garbled)
        asked += 1
    assert asked


@pytest.mark.parametrize("kind", ["solve", "reflect"])
def test_an_intent_no_game_world_asks_is_a_provider_error(
    spec: GameSpec[Any, Any], kind: str
) -> None:
    state = states(spec)[0]
    key = spec.world(seat_of(spec, state)).key(state)

    with pytest.raises(ProviderError, match=f"does not answer {kind!r}"):
        spec.oracle().respond(context(kind, spec.name, key, detail=seat_of(spec, state)))


def test_an_unreadable_state_key_is_a_provider_error(spec: GameSpec[Any, Any]) -> None:
    with pytest.raises(ProviderError, match=r"^sim: not a"):
        spec.oracle().respond(context("propose", spec.name, "4 9 10 13", detail=spec.seats[0]))


def test_a_finished_game_has_an_outcome_and_no_move_to_ask_for(spec: GameSpec[Any, Any]) -> None:
    open_state, end = states(spec)[0], final_state(spec)
    seat = spec.seats[0]
    world = spec.world(seat)

    assert world.is_terminal(end) and not world.is_terminal(open_state)
    assert -1.0 <= world.outcome(end, seat) <= 1.0
    with pytest.raises(ValueError, match="not over"):
        world.outcome(open_state, seat)
    with pytest.raises(ValueError, match="over"):
        world.propose_request(end, (), 0)


# -- policies and matches ---------------------------------------------------------------


def test_every_policy_plays_legal_moves(spec: GameSpec[Any, Any]) -> None:
    game = spec.make()

    for kind, build in spec.policies.items():
        policy = build(seed=11)
        for state in states(spec, most=10):
            for player in game.to_move(state):
                seat = SimpleNamespace(state=state, player=player)
                assert policy(seat) in game.legal_actions(state, player), (kind, player)


@pytest.mark.anyio
async def test_a_match_of_every_seat_kind_plays_out_and_replays_identically(
    anyio_backend: Any, spec: GameSpec[Any, Any]
) -> None:
    first = spec.seats[0]
    for kind in seat_kinds(spec):
        seats = {**spec.default_seats, first: kind}
        config = PlayConfig(
            game=spec.name, seats=seats, episodes=1, n_candidates=2, latency=LatencyModel(scale=0)
        )
        log = ListSink()

        (record,), _ = await play_series(config, log=log)

        assert (record.status, record.seats[first], record.simulated) == ("done", kind, True)
        assert set(record.scores) == set(spec.seats)
        assert not any(record.rejected.values()), kind
        assert isinstance(log.events[0], MatchStarted)
        checks = await replay_matches(config, {record.match: log.events})
        assert [c.status for c in checks] == ["identical"], kind


DRAWN = {"tictactoe", "connect4", "gridworld"}
"""The games the live page draws on a grid (``GameSpec.grid``)."""


@pytest.mark.parametrize("seed", range(2))
def test_a_drawn_game_draws_every_state_as_one_rectangle_that_changes_with_each_move(
    spec: GameSpec[Any, Any], seed: int
) -> None:
    assert (spec.grid is not None) == (spec.name in DRAWN)
    if spec.grid is None:
        return
    game = spec.make()
    turns = play_out(spec, seed)
    drawn = [spec.grid(game.render(state)) for state, _, _ in turns]
    drawn.append(spec.grid(game.render(turns[-1][2].state)))

    shapes = {(len(g), len(g[0])) for g in drawn if g is not None}
    assert len(shapes) == 1 and None not in drawn
    assert all(len(row) == len(g[0]) for g in drawn if g for row in g)
    changed = sum(a != b for a, b in itertools.pairwise(drawn))
    assert changed >= len(drawn) // 2  # the players' moves show


def test_gridworld_draws_agents_by_index_and_food_and_not_a_digest() -> None:
    grid = get_game("gridworld").grid
    assert grid is not None
    drawn = grid("t=3 agents=0,0;11,11 food=5,1 eaten=0,0")
    assert drawn is not None and len(drawn) == 12
    assert drawn[0][0] == "0" and drawn[11][11] == "1" and drawn[1][5] == "*"
    assert sum(row.count(".") for row in drawn) == 144 - 3
    assert grid("t=3 agents=40 food=9 eaten=2 sha1=ab12") is None  # too big to draw in full
    assert grid("t=3 agents=12,0 food= eaten=0") is None  # off the map
