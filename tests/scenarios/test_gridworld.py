"""Foraging gridworld: rules, scale, the sim oracle, the world model, matches.

What every game must do is tested in ``test_game_contract.py``, the parsers
and view keys in ``test_scenario_parsers.py``.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from scenario_support import PERFECT, ask, context

from rafa_async import (
    NOOP,
    MalformedResponse,
    MatchEnded,
    MatchTransition,
    ProviderError,
    open_match,
)
from rafa_async.agents import PolicyPlayer, RafaPlayer
from rafa_async.llm import Intent, LatencyModel, NoiseModel, SimContext, SimLLM
from rafa_async.planners import MPCPlanner
from rafa_async.scenarios.gridworld import (
    MOVES,
    Foraging,
    ForagingOracle,
    ForagingState,
    ForagingWorld,
    GreedyPolicy,
    LocalView,
    PlanState,
    RandomPolicy,
    StayPolicy,
    border_fact,
    collision_fact,
    food_value,
    observed_moves,
    parse_move,
    parse_position,
    parse_value,
    view_from_key,
)

ORACLE = ForagingOracle()


def game_for(n: int, width: int = 8, height: int = 8, **kw: Any) -> Foraging:
    kw.setdefault("max_ticks", 50)
    return Foraging(width, height, n, kw.pop("n_food", 4), **kw)


def step(game: Foraging, state: ForagingState, *moves: str) -> Any:
    return game.step(state, dict(zip(game.players, moves, strict=True)))


def where(game: Foraging, state: ForagingState) -> list[tuple[int, int]]:
    return [game.position(state, p) for p in game.players]


def oracle(kind: Any, key: str, **kw: Any) -> str:
    """The sim oracle's answer to a hand-made gridworld intent."""
    return ORACLE.respond(context(kind, "gridworld", key, **kw))


def view(**kw: Any) -> LocalView:
    base: dict[str, Any] = dict(
        player="a0", x=5, y=5, tick=3, max_ticks=50, width=12, height=12, vision=3
    )
    return LocalView(**(base | kw))


# -- set-up --------------------------------------------------------------------------


def test_reset_places_agents_and_food_on_distinct_cells() -> None:
    game = Foraging(10, 10, 20, 15, seed=3)
    state = game.reset(0)

    cells = where(game, state)
    assert game.players == tuple(f"a{i}" for i in range(20))
    assert len(set(cells)) == 20
    assert len(state.food) == 15
    assert not {state.xy(c) for c in state.food} & set(cells)


def test_the_layout_depends_on_the_game_seed_and_the_reset_seed() -> None:
    game = Foraging(10, 10, 5, 5, seed=3)

    assert game.reset(1) == game.reset(1)
    assert game.reset(1) != game.reset(2)
    assert Foraging(10, 10, 5, 5, seed=4).reset(1) != game.reset(1)


def test_a_map_too_small_for_its_agents_and_food_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        Foraging(3, 3, 6, 4)


def test_the_state_costs_eight_bytes_per_agent_plus_its_food() -> None:
    state = Foraging(50, 50, 1000, 10).reset(0)

    assert len(state.positions) == len(state.eaten) == 4 * 1000


# -- moving --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("move", "end"), [("N", (3, 2)), ("S", (3, 4)), ("E", (4, 3)), ("W", (2, 3)), ("stay", (3, 3))]
)
def test_each_move_takes_one_step_n_is_up(move: str, end: tuple[int, int]) -> None:
    game = game_for(1)
    state = game.place([(3, 3)])

    assert where(game, step(game, state, move).state) == [end]


def test_all_five_moves_are_always_legal() -> None:
    game = game_for(2)
    state = game.place([(0, 0), (7, 7)])

    assert game.legal_actions(state, "a0") == MOVES
    assert game.to_move(state) == ("a0", "a1")


@pytest.mark.parametrize(
    ("start", "move"), [((0, 0), "N"), ((0, 0), "W"), ((7, 7), "S"), ((7, 7), "E")]
)
def test_a_move_into_the_border_stays_and_says_so(start: tuple[int, int], move: str) -> None:
    game = game_for(1)

    result = step(game, game.place([start]), move)

    assert where(game, result.state) == [start]
    assert "the border; stayed" in result.feedback["a0"]


def test_noop_from_a_late_player_stays() -> None:
    game = game_for(2)

    result = step(game, game.place([(1, 1), (5, 5)]), NOOP, "E")

    assert where(game, result.state) == [(1, 1), (6, 5)]
    assert "a0" not in result.feedback


# -- collisions ----------------------------------------------------------------------


def test_two_agents_moving_into_the_same_cell_both_stay() -> None:
    game = game_for(2)

    result = step(game, game.place([(1, 1), (3, 1)]), "E", "W")

    assert where(game, result.state) == [(1, 1), (3, 1)]
    assert result.feedback["a0"] == collision_fact("a0", "E", (1, 1), (2, 1), 1)
    assert "collision" in result.feedback["a1"]


def test_two_agents_swapping_places_both_stay() -> None:
    game = game_for(2)

    result = step(game, game.place([(1, 1), (2, 1)]), "E", "W")

    assert where(game, result.state) == [(1, 1), (2, 1)]


def test_moving_into_a_cell_whose_occupant_stays_bounces() -> None:
    game = game_for(2)

    assert where(game, step(game, game.place([(1, 1), (2, 1)]), "E", "stay").state) == [
        (1, 1),
        (2, 1),
    ]


def test_a_queue_follows_its_leader() -> None:
    game = game_for(3)

    state = step(game, game.place([(1, 1), (2, 1), (3, 1)]), "E", "E", "E").state

    assert where(game, state) == [(2, 1), (3, 1), (4, 1)]


def test_a_bounce_at_the_head_of_a_queue_stops_the_whole_queue() -> None:
    game = game_for(3)

    result = step(game, game.place([(5, 1), (6, 1), (7, 1)]), "E", "E", "E")

    assert where(game, result.state) == [(5, 1), (6, 1), (7, 1)]
    assert "border" in result.feedback["a2"]
    assert "collision" in result.feedback["a0"] and "collision" in result.feedback["a1"]


def test_a_rotation_of_four_agents_succeeds() -> None:
    game = game_for(4)
    state = game.place([(1, 1), (2, 1), (2, 2), (1, 2)])

    assert where(game, step(game, state, "E", "S", "W", "N").state) == [
        (2, 1),
        (2, 2),
        (1, 2),
        (1, 1),
    ]


def _reference_moves(cells: list[int], targets: list[int]) -> list[int]:
    """The collision rule as a naive fixed point (quadratic; for checking only)."""
    n = len(cells)
    final = list(targets)
    changed = True
    while changed:
        changed = False
        for i, t in enumerate(final):
            if t == cells[i]:
                continue
            contested = any(j != i and targets[j] == t != cells[j] for j in range(n))
            occupied = any(cells[j] == t == final[j] for j in range(n))
            swap = any(cells[j] == t and targets[j] == cells[i] for j in range(n))
            if contested or occupied or swap:
                final[i] = cells[i]
                changed = True
    return final


def test_collisions_match_a_naive_fixed_point_on_crowded_maps() -> None:
    game = Foraging(6, 6, 24, 0, max_ticks=1000)
    rng = random.Random(5)
    state = game.reset(0)
    for _ in range(150):
        moves = [rng.choice(MOVES) for _ in game.players]
        cells = state.cells()
        targets = []
        for cell, move in zip(cells, moves, strict=True):
            x, y = state.xy(cell)
            dx, dy = {"N": (0, -1), "S": (0, 1), "E": (1, 0), "W": (-1, 0), "stay": (0, 0)}[move]
            inside = 0 <= x + dx < 6 and 0 <= y + dy < 6
            targets.append(cell + dy * 6 + dx if inside else cell)

        state = step(game, state, *moves).state

        assert state.cells() == _reference_moves(cells, targets)
        assert len(set(state.cells())) == 24


# -- food ----------------------------------------------------------------------------


def test_stepping_onto_food_eats_it_for_a_reward_of_one() -> None:
    game = game_for(2, respawn=False)

    result = step(game, game.place([(1, 1), (5, 5)], food=[(2, 1), (7, 7)]), "E", "N")

    assert result.rewards == {"a0": 1.0}
    assert result.feedback["a0"] == "a0 moved E from (1, 1) to (2, 1) and ate food (tick 1)"
    assert result.state.food == {7 * 8 + 7}
    assert game.eaten(result.state, "a0") == 1


def test_two_agents_arriving_at_food_together_neither_moves_nor_eats() -> None:
    game = game_for(2, respawn=False)

    result = step(game, game.place([(1, 1), (3, 1)], food=[(2, 1)]), "E", "W")

    assert where(game, result.state) == [(1, 1), (3, 1)]
    assert result.rewards == {}
    assert result.state.food == {1 * 8 + 2}


def test_eaten_food_respawns_on_a_free_cell_keeping_the_count() -> None:
    game = Foraging(12, 12, 40, 25, seed=2, max_ticks=300)
    policy = GreedyPolicy(game, seed=1)
    state = game.reset(0)
    eaten = 0
    while game.to_move(state):
        result = game.step(state, {p: policy.move(state, p) for p in game.players})
        state = result.state
        eaten += len(result.rewards)
        assert len(state.food) == 25
        assert not state.food & set(state.cells())

    assert eaten > 25
    assert state.total_eaten == eaten


def test_a_replay_gives_the_same_states_and_respawns() -> None:
    game = Foraging(12, 12, 40, 25, seed=2)
    policy = GreedyPolicy(game, seed=3)

    def run() -> tuple[list[str], ForagingState]:
        state, renders = game.reset(7), []
        for _ in range(30):
            state = game.step(state, {p: policy.move(state, p) for p in game.players}).state
            renders.append(game.render(state))
        return renders, state

    first, state = run()
    assert (first, state) == run()
    assert state.total_eaten > 0


def test_without_respawn_the_match_ends_when_the_last_food_is_eaten() -> None:
    game = game_for(1, respawn=False)

    result = step(game, game.place([(1, 1)], food=[(2, 1)]), "E")

    assert result.done
    assert game.to_move(result.state) == ()


# -- the clock, strictness, scores ---------------------------------------------------


def test_everyone_moves_every_tick_until_max_ticks() -> None:
    game = game_for(3, max_ticks=4)
    state = game.reset(0)
    for _ in range(4):
        assert game.to_move(state) == game.players
        result = step(game, state, "stay", "stay", "stay")
        state = result.state

    assert result.done
    assert state.tick == 4 and game.to_move(state) == ()
    with pytest.raises(ValueError, match="the match is over"):
        step(game, state, "stay", "stay", "stay")


def test_step_rejects_missing_and_unknown_players_and_unknown_actions() -> None:
    game = game_for(2)
    state = game.reset(0)

    with pytest.raises(ValueError, match="missing a1, unknown none"):
        game.step(state, {"a0": "N"})
    with pytest.raises(ValueError, match="missing a1, unknown zz"):
        game.step(state, {"a0": "N", "zz": "N"})
    with pytest.raises(ValueError, match="unknown action 'up' for a1"):
        step(game, state, "N", "up")


def test_scores_are_food_eaten_relative_to_the_best_forager() -> None:
    game = game_for(3)

    assert game.scores(game.place([(0, 0), (1, 0), (2, 0)], eaten=[4, 2, 0])) == {
        "a0": 1.0,
        "a1": 0.5,
        "a2": 0.0,
    }
    assert set(game.scores(game.reset(0)).values()) == {0.0}


# -- observation ---------------------------------------------------------------------


def test_observe_shows_only_what_is_within_vision() -> None:
    game = Foraging(20, 20, 3, 4, vision=2)
    state = game.place([(10, 10), (12, 8), (13, 10)], food=[(8, 12), (12, 11), (7, 10), (10, 13)])

    text = game.observe(state, "a0")

    assert "You are a0 at (10, 10)" in text
    assert "Food in view: (12, 11), (8, 12)" in text
    assert "Other agents in view: (12, 8)" in text
    assert "(7, 10)" not in text and "(10, 13)" not in text and "(13, 10)" not in text


def test_a_local_view_round_trips_through_its_key() -> None:
    game = Foraging(20, 20, 3, 4, vision=2, max_ticks=9)
    state = game.place([(10, 10), (12, 8), (13, 10)], food=[(8, 12), (12, 11)], tick=5)
    seen = game.local_view(state, "a0")

    assert seen.key == "p=a0 at=10,10 t=5/9 map=20x20 v=2 eaten=0 food=12,11;8,12 agents=12,8"
    assert view_from_key(seen.key) == seen
    assert view_from_key(seen.choose("N").key).pending == "N"


def test_nearest_food_matches_a_scan_of_the_whole_map() -> None:
    for seed in range(6):
        game = Foraging(37, 23, 30, 1 + seed * 4, seed=seed, vision=seed % 3)
        state = game.reset(0)
        for player in game.players:
            x, y = game.position(state, player)
            best = min((abs(fx - x) + abs(fy - y), fy, fx) for fx, fy in map(state.xy, state.food))
            assert game.nearest_food(state, player) == (best[2], best[1])


def test_nearest_food_is_none_on_a_map_without_food() -> None:
    game = Foraging(5, 5, 2, 0)

    assert game.nearest_food(game.reset(0), "a0") is None


def test_render_lists_small_states_and_digests_large_ones() -> None:
    small = game_for(2)
    large = Foraging(60, 60, 150, 20)
    state = large.reset(0)

    assert small.render(small.place([(0, 0), (1, 0)], food=[(3, 3)])) == (
        "t=0 agents=0,0;1,0 food=3,3 eaten=0,0"
    )
    assert large.render(state).startswith("t=0 agents=150 food=20 eaten=0 sha1=")
    assert large.render(state) == large.render(large.reset(0))
    assert large.render(state) != large.render(large.reset(1))


def test_step_scales_linearly_to_ten_thousand_agents() -> None:
    # A generous sanity bound, not a benchmark (measured ~8 ms here).
    game = Foraging(300, 300, 10_000, 2_000, max_ticks=10)
    state = game.reset(0)
    actions = {p: MOVES[i % 5] for i, p in enumerate(game.players)}

    started = time.perf_counter()
    result = game.step(state, actions)
    elapsed = time.perf_counter() - started

    assert elapsed < 0.5
    assert len(set(result.state.cells())) == 10_000
    assert len(game.observe(result.state, "a9999")) < 1000


# -- the sim oracle ------------------------------------------------------------------


def test_a_perfect_oracle_proposes_a_move_toward_the_nearest_food() -> None:
    game = Foraging(30, 30, 60, 40, seed=9, vision=4)
    state = game.reset(0)
    world = ForagingWorld(game)
    checked = 0
    for player in game.players:
        seen = game.local_view(state, player)
        nearest = seen.nearest_food()
        if nearest is None:
            continue
        request = world.for_player(player).propose_request(state, (), 0)
        move = parse_move(ask(ORACLE, request))
        assert (
            abs(nearest[1][0] - seen.target(move)[0]) + abs(nearest[1][1] - seen.target(move)[1])
            == nearest[0] - 1
        )
        checked += 1
    assert checked > 20


def test_without_food_in_sight_a_perfect_oracle_explores_away_from_the_border() -> None:
    for sample in range(10):
        corner = view(x=0, y=0)
        intent = Intent(kind="propose", scenario="gridworld", state=corner.key, sample=sample)
        move = parse_move(ORACLE.respond(SimContext(intent, PERFECT, 0, random.Random(sample))))
        assert move in ("S", "E")


def test_a_perfect_oracle_predicts_the_step_and_the_blocks() -> None:
    free = view().choose("N")
    blocked = view(agents=((5, 4),)).choose("N")
    border = view(y=0).choose("N")

    assert parse_position(oracle("predict", free.key)) == (5, 4)
    assert parse_position(oracle("predict", blocked.key)) == (5, 5)
    assert parse_position(oracle("predict", border.key)) == (5, 0)


def test_a_perfect_oracle_values_views_by_distance_to_food() -> None:
    near = view(food=((6, 6),))

    assert parse_value(oracle("evaluate", near.key)) == pytest.approx(1 / 3, abs=0.01)
    assert food_value(near.arrive(6, 5)) == 0.5
    assert food_value(near.arrive(6, 6)) == 1.0
    assert food_value(view()) == 0.0


def test_confused_axes_are_corrected_by_an_observed_move_in_memory() -> None:
    confused = NoiseModel.perfect(wrong_belief_rate=1.0)
    north = view(food=((5, 3),))
    fact = border_fact("a0", "N", (2, 0), (2, -1), 1)

    before = oracle("propose", north.key, noise=confused)
    after = oracle("propose", north.key, memory=(fact,), noise=confused)

    assert parse_move(before) == "S"
    assert parse_move(after) == "N"
    assert observed_moves([fact]) == {"N": (0, -1)}


def test_an_unheeded_observed_move_leaves_the_axes_confused() -> None:
    deaf = NoiseModel.perfect(wrong_belief_rate=1.0, memory_adherence=0.0)
    north = view(food=((5, 3),))
    fact = border_fact("a0", "N", (2, 0), (2, -1), 1)

    assert parse_move(oracle("propose", north.key, memory=(fact,), noise=deaf)) == "S"


def test_a_proposal_after_the_move_is_chosen_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="already moved N"):
        oracle("propose", view().choose("N").key)


# -- the world model -----------------------------------------------------------------


def test_an_unbound_world_plans_from_views_but_not_full_states() -> None:
    game = game_for(2)
    state = game.reset(0)

    assert ForagingWorld().key(game.local_view(state, "a0")) == game.local_view(state, "a0").key
    with pytest.raises(ValueError, match="bound to a player"):
        ForagingWorld(game).propose_request(state, (), 0)


def test_a_proposal_leads_to_the_post_decision_view_and_a_reply_to_the_next_tick() -> None:
    world = ForagingWorld()
    seen = view(food=((6, 4),))

    move = world.parse_move(seen, "Move: E")
    reply = world.parse_reply(move.predicted, "Next position: (6, 5)")

    assert (move.action, move.predicted.pending, move.predicted.at) == ("E", "E", (5, 5))
    assert reply.action == "to (6, 5)"
    assert (reply.predicted.at, reply.predicted.tick, reply.predicted.pending) == ((6, 5), 4, "")
    with pytest.raises(MalformedResponse, match="not one step from"):
        world.parse_reply(move.predicted, "Next position: (7, 5)")
    with pytest.raises(MalformedResponse, match="off the 12x12 map"):
        world.parse_reply(view(x=0), "Next position: (-1, 5)")


def test_outcome_scores_a_final_view_by_whether_it_ate() -> None:
    world = ForagingWorld()
    last = view(tick=49, food=((5, 4),))

    assert world.is_terminal(last.arrive(5, 4))
    assert world.outcome(last.arrive(5, 4), "a0") == 1.0
    assert world.outcome(last.arrive(5, 6), "a0") == 0.0
    with pytest.raises(ValueError, match="not over"):
        world.outcome(last, "a0")
    with pytest.raises(ValueError, match="not a1's"):
        world.evaluate_request(last, (), 0, "a1")


@pytest.mark.anyio
async def test_mpc_plans_a_step_toward_food_from_the_full_state(anyio_backend: Any) -> None:
    game = Foraging(20, 20, 3, 2, vision=3)
    state = game.place([(10, 10), (0, 0), (19, 19)], food=[(10, 7), (0, 19)])
    llm = SimLLM({"gridworld": ORACLE}, noise=PERFECT, latency=LatencyModel.fixed(0.3))
    planner = MPCPlanner[PlanState](llm, ForagingWorld(game).for_player("a0"), n_candidates=3)

    plan = await planner.plan(state, (), player="a0")

    assert plan.actions == ["N", "to (10, 9)"]
    assert plan.value == pytest.approx(0.33, abs=0.01)


# -- policies ------------------------------------------------------------------------


def test_greedy_steps_toward_the_nearest_food() -> None:
    game = Foraging(20, 20, 2, 2)
    state = game.place([(10, 10), (0, 0)], food=[(10, 14), (3, 0)])
    greedy = GreedyPolicy(game, explore=0.0)

    assert greedy.move(state, "a0") == "S"
    assert greedy.move(state, "a1") == "E"


def test_greedy_stays_when_there_is_no_food() -> None:
    game = Foraging(5, 5, 1, 0)

    assert GreedyPolicy(game).move(game.reset(0), "a0") == "stay"


def test_random_moves_depend_on_seed_tick_and_player_only() -> None:
    game = Foraging(30, 30, 200, 5)
    state = game.reset(0)
    moves = [RandomPolicy(seed=4).move(state, p) for p in game.players]

    assert moves == [RandomPolicy(seed=4).move(state, p) for p in reversed(game.players)][::-1]
    assert set(moves) == set(MOVES)
    assert StayPolicy().move(state, "a0") == "stay"


# -- matches -------------------------------------------------------------------------


def greedy_players(game: Foraging, think: float = 0.0) -> dict[str, PolicyPlayer]:
    policy = GreedyPolicy(game, seed=1)
    return {
        p: PolicyPlayer(lambda seat: policy.move(seat.state, seat.player), think=think)
        for p in game.players
    }


@pytest.mark.anyio
async def test_a_realtime_match_of_greedy_players_runs_to_max_ticks(anyio_backend: Any) -> None:
    game = Foraging(10, 10, 8, 6, seed=1, max_ticks=40)

    async with open_match(game, greedy_players(game), clock="realtime", tick=1.0) as match:
        result = await match.run()

    assert result.turns == 40 and result.reason == "game over"
    assert sum(result.late.values()) == 0 and result.overruns == 0
    assert max(result.scores.values()) == 1.0
    assert match.state.total_eaten > 6
    assert isinstance(result.log[-1], MatchEnded)


@pytest.mark.anyio
async def test_a_player_slower_than_the_tick_stays_and_is_counted_late(anyio_backend: Any) -> None:
    game = Foraging(10, 10, 3, 4, seed=2, max_ticks=6)
    players = greedy_players(game)
    players["a2"] = PolicyPlayer(lambda seat: "E", think=1.5)
    start = game.position(game.reset(0), "a2")

    async with open_match(game, players, clock="realtime", tick=1.0) as match:
        result = await match.run()

    assert result.late["a2"] == 6 and result.late["a0"] == result.late["a1"] == 0
    assert game.position(match.state, "a2") == start
    transitions = [e for e in result.log if isinstance(e, MatchTransition)]
    assert all(e.actions["a2"] == NOOP for e in transitions)


@pytest.mark.anyio
async def test_rafa_players_forage_from_their_local_views(anyio_backend: Any) -> None:
    game = Foraging(10, 10, 4, 8, seed=3, max_ticks=15, vision=3)
    llm = SimLLM({"gridworld": ORACLE}, seed=1, latency=LatencyModel.fixed(0.2))
    world = ForagingWorld(game)
    players = {p: RafaPlayer(MPCPlanner(llm, world.for_player(p))) for p in game.players}

    async with open_match(game, players, clock="realtime", tick=1.0) as match:
        result = await match.run()

    assert result.turns == 15 and sum(result.late.values()) == 0
    assert match.state.total_eaten > 0
