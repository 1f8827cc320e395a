"""Iterated prisoner's dilemma: its rules, strategies, sim oracle and world, RAFA in matches.

What every game must do is tested in ``test_game_contract.py``, the parsers
and keys in ``test_scenario_parsers.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from scenario_support import PERFECT, ask, context

from rafa_async import NOOP, ProviderError, log_digest, open_match
from rafa_async.agents import Memory, PolicyPlayer, RafaPlayer
from rafa_async.llm import LatencyModel, NoiseModel, SimLLM
from rafa_async.planners import MPCPlanner
from rafa_async.scenarios.ipd import (
    AlwaysCooperate,
    AlwaysDefect,
    Grim,
    IPDState,
    PendingRound,
    PrisonersDilemma,
    PrisonersDilemmaOracle,
    PrisonersDilemmaWorld,
    Random,
    Strategy,
    TitForTat,
    infer,
    memory_facts,
    node_from_key,
    parse_prediction,
    parse_value,
    played_fact,
    seat_policy,
    state_from_key,
)

GAME = PrisonersDilemma()
GAME3 = PrisonersDilemma(n_players=3)
ORACLE = PrisonersDilemmaOracle()


def play(game: PrisonersDilemma, *rounds: str) -> IPDState:
    """The state after ``rounds`` profiles such as ``"CD"`` (p1 first)."""
    state = game.reset(0)
    for profile in rounds:
        state = game.step(state, dict(zip(game.players, profile, strict=True))).state
    return state


def oracle(kind: Any, state: str, detail: str = "p1", **kw: Any) -> str:
    """The sim oracle's answer to a hand-made intent, asked by ``detail``."""
    return ORACLE.respond(context(kind, "ipd", state, detail=detail, **kw))


def trajectory(p1: Strategy, p2: Strategy, rounds: int) -> IPDState:
    state = GAME.reset(0)
    for _ in range(rounds):
        state = state.play((p1.move(state, "p1"), p2.move(state, "p2")))
    return state


def feedback_of(state: IPDState, player: str = "p1") -> tuple[str, ...]:
    """The feedback ``player`` was given over ``state``'s history, as memory lines."""
    game = PrisonersDilemma(state.rules.n_players, state.rules.rounds)
    lines, current = [], game.reset(0)
    for profile in state.history:
        step = game.step(current, dict(zip(game.players, profile, strict=True)))
        lines.append(step.feedback[player])
        current = step.state
    return tuple(lines)


# -- rules ---------------------------------------------------------------------------


def test_every_player_moves_every_round_until_the_last() -> None:
    game = PrisonersDilemma(n_players=3, rounds=2)

    assert game.players == ("p1", "p2", "p3")
    assert game.to_move(game.reset(0)) == ("p1", "p2", "p3")
    assert game.to_move(play(game, "CCC")) == ("p1", "p2", "p3")
    assert game.to_move(play(game, "CCC", "DDD")) == ()


@pytest.mark.parametrize(
    ("profile", "rewards"),
    [("CC", (3, 3)), ("CD", (0, 5)), ("DC", (5, 0)), ("DD", (1, 1))],
)
def test_two_players_are_paid_t_r_p_s(profile: str, rewards: tuple[float, float]) -> None:
    step = GAME.step(GAME.reset(0), dict(zip(GAME.players, profile, strict=True)))

    assert step.rewards == {"p1": rewards[0], "p2": rewards[1]}
    assert not step.done


def test_three_players_are_paid_the_sum_over_their_pairs() -> None:
    step = GAME3.step(GAME3.reset(0), {"p1": "C", "p2": "C", "p3": "D"})

    # p1: R against p2 + S against p3; p3: T against each cooperator.
    assert step.rewards == {"p1": 3, "p2": 3, "p3": 10}


def test_totals_add_up_over_the_rounds() -> None:
    assert play(GAME, "CC", "CD", "DD").totals == (4, 9)


def test_custom_payoffs_are_used() -> None:
    game = PrisonersDilemma(payoffs=(4, 2, 1, -1))

    assert game.step(game.reset(0), {"p1": "C", "p2": "D"}).rewards == {"p1": -1, "p2": 4}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_players": 1}, ">= 2 players"),
        ({"rounds": 0}, ">= 1 round"),
        ({"payoffs": (3, 5, 1, 0)}, "T > R > P > S"),
        ({"payoffs": (9, 3, 1, 0)}, "2R > T \\+ S"),
    ],
)
def test_a_game_that_is_no_prisoners_dilemma_is_refused(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PrisonersDilemma(**options)


def test_the_last_round_ends_the_match() -> None:
    game = PrisonersDilemma(rounds=2)

    step = game.step(play(game, "CC"), {"p1": "D", "p2": "C"})

    assert step.done
    assert "The match is over after 2 rounds; totals: p1 8, p2 3." in step.feedback["p1"]


def test_noop_is_a_defection_marked_as_a_missed_tick() -> None:
    step = GAME.step(play(GAME, "CC"), {"p1": NOOP, "p2": "C"})

    assert step.state.history[-1] == ("D", "C")
    assert step.rewards == {"p1": 5, "p2": 0}
    assert step.feedback["p2"].startswith("round 2: p1 played D after CC (missed the tick).")
    assert "You (p1) missed the tick (counted as D)" in step.feedback["p1"]


def test_a_missed_tick_is_not_evidence_of_a_strategy() -> None:
    step = GAME.step(play(GAME, "CC"), {"p1": NOOP, "p2": "C"})

    assert memory_facts([step.feedback["p2"]]) == {}


def test_defect_is_listed_first_so_a_late_mover_defects() -> None:
    assert GAME.legal_actions(GAME.reset(0), "p2") == ("D", "C")


def test_nobody_has_legal_actions_when_the_match_is_over() -> None:
    game = PrisonersDilemma(rounds=1)

    assert game.legal_actions(play(game, "CC"), "p1") == ()


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ({"p1": "C"}, "missing p2, unknown none"),
        ({"p1": "C", "p2": "C", "p3": "C"}, "missing none, unknown p3"),
        ({"p1": "cooperate", "p2": "C"}, "illegal action 'cooperate' for p1"),
        ({"p1": "C", "p2": ""}, "illegal action '' for p2"),
    ],
)
def test_a_wrong_set_of_actions_raises(actions: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GAME.step(GAME.reset(0), actions)


def test_stepping_a_finished_match_raises() -> None:
    game = PrisonersDilemma(rounds=1)

    with pytest.raises(ValueError, match=r"the match is over \(1 rounds played\)"):
        game.step(play(game, "CC"), {"p1": "C", "p2": "C"})


def test_a_state_of_another_game_is_refused() -> None:
    with pytest.raises(ValueError, match="a state of another game"):
        GAME3.step(GAME.reset(0), {"p1": "C", "p2": "C", "p3": "C"})


@pytest.mark.parametrize("player", ["p3", "p0", "X", "P1", ""])
def test_an_unknown_player_raises(player: str) -> None:
    with pytest.raises(ValueError, match=f"unknown player {player!r} \\(players: p1..p2\\)"):
        GAME.legal_actions(GAME.reset(0), player)


def test_each_player_hears_a_fact_about_every_other_player() -> None:
    step = GAME3.step(play(GAME3, "CCD"), {"p1": "D", "p2": "C", "p3": "C"})

    assert step.feedback["p1"] == (
        "round 2: p2 played C after CCD. round 2: p3 played C after CCD. "
        "You (p1) played D: 10 this round, 13 in total."
    )
    assert "p2 played" not in step.feedback["p2"]


def test_scores_are_one_for_the_top_total_and_zero_for_the_bottom() -> None:
    assert GAME.scores(play(GAME, "CD")) == {"p1": 0.0, "p2": 1.0}


def test_equal_totals_score_half_each() -> None:
    assert GAME.scores(play(GAME, "CC")) == {"p1": 0.5, "p2": 0.5}
    assert GAME3.scores(GAME3.reset(0)) == {"p1": 0.5, "p2": 0.5, "p3": 0.5}


def test_scores_in_between_are_linear_in_the_totals() -> None:
    state = play(GAME3, "CDC", "CDD")

    assert state.totals == (3, 16, 9)
    assert GAME3.scores(state) == pytest.approx({"p1": 0.0, "p2": 1.0, "p3": 6 / 13})


def test_render_is_the_history_key() -> None:
    assert GAME.render(GAME.reset(0)) == "-"
    assert GAME.render(play(GAME, "CD", "DD")) == "CD/DD"


def test_a_state_key_rebuilds_the_state() -> None:
    state = play(GAME3, "CDC", "DDC")

    assert state.key == "ipd n=3 rounds=20 payoffs=5,3,1,0 history=CDC/DDC"
    assert state_from_key(state.key) == state
    assert state_from_key(GAME.reset(0).key) == GAME.reset(0)


def test_a_pending_round_key_names_the_committed_move() -> None:
    pending = PendingRound(play(GAME, "CD"), "p1", "D")

    assert pending.key.endswith("history=CD pending=p1:D")
    assert node_from_key(pending.key) == pending


def test_a_player_observes_the_history_from_its_own_seat() -> None:
    text = GAME3.observe(play(GAME3, "CDC", "DDC"), "p2")

    assert text == (
        "You are p2. 2 of 20 rounds played; round 3 is next.\n"
        "round 1: you D, p1 C, p3 C\n"
        "round 2: you D, p1 D, p3 C\n"
        "Totals: you 16, p1 9, p3 3."
    )


# -- facts -----------------------------------------------------------------------------


def test_played_fact_phrasing() -> None:
    assert played_fact(1, "p2", "C", None) == "round 1: p2 played C at the start"
    assert played_fact(3, "p2", "D", ("C", "D")) == "round 3: p2 played D after CD"


def test_memory_facts_read_the_games_feedback_back() -> None:
    memory = feedback_of(play(GAME, "CC", "DC", "CD"))

    facts = memory_facts(memory)

    assert [(f.round, f.move, f.previous) for f in facts["p2"]] == [
        (1, "C", None),
        (2, "C", ("C", "C")),
        (3, "D", ("D", "C")),
    ]
    assert "p1" not in facts


def test_facts_that_contradict_the_phrasing_are_ignored() -> None:
    lines = [
        "round 1: p2 played D after CC",  # round 1 has no previous round
        "round 2: p2 played D at the start",  # only round 1 is the start
        "round 2: p3 played D after CC",  # p3 has no seat in a two-letter profile
        "round 2: p2 played X after CC",
    ]

    assert memory_facts(lines) == {}


# -- strategies ------------------------------------------------------------------------


def test_tit_for_tat_cooperates_first_then_mirrors() -> None:
    tft = TitForTat()

    assert tft.move(GAME.reset(0), "p2") == "C"
    assert tft.move(play(GAME, "DC"), "p2") == "D"
    assert tft.move(play(GAME, "DC", "CD"), "p2") == "C"


def test_tit_for_tat_with_several_opponents_retaliates_if_any_defected() -> None:
    tft = TitForTat()

    assert tft.move(play(GAME3, "CCD"), "p1") == "D"
    assert tft.move(play(GAME3, "CDC"), "p2") == "C"  # its own defection is no reason
    assert tft.move(play(GAME3, "CCC"), "p3") == "C"


def test_grim_never_forgives() -> None:
    grim = Grim()
    state = play(GAME, "CC", "DC", "CD", "CD", "CD")

    assert grim.move(play(GAME, "CC"), "p2") == "C"
    assert grim.move(state, "p2") == "D"


def test_grim_seen_one_round_at_a_time_is_grim() -> None:
    for seed in range(10):
        state = trajectory(Random(seed=seed), Grim(), 20)
        replay = GAME.reset(0)
        for profile in state.history:
            assert Grim.react(replay.previous, 1) == Grim().move(replay, "p2") == profile[1]
            replay = replay.play(profile)


def test_always_cooperate_and_always_defect_ignore_the_history() -> None:
    state = play(GAME, "DD", "CD")

    assert AlwaysCooperate().move(state, "p1") == "C"
    assert AlwaysDefect().move(state, "p1") == "D"


def test_random_is_reproducible_per_seed_and_follows_p() -> None:
    state = GAME.reset(0)
    a, b = Random(seed=7), Random(seed=7)

    assert [a.move(state, "p1") for _ in range(20)] == [b.move(state, "p1") for _ in range(20)]
    assert {Random(p=1.0).move(state, "p1") for _ in range(20)} == {"C"}
    assert {Random(p=0.0).move(state, "p1") for _ in range(20)} == {"D"}
    with pytest.raises(ValueError, match="probability of cooperating"):
        Random(p=1.5)


def test_a_strategy_has_no_move_in_a_finished_match() -> None:
    game = PrisonersDilemma(rounds=1)

    with pytest.raises(ValueError, match="no move for p1: the match is over"):
        TitForTat().move(play(game, "CC"), "p1")


# -- matches ---------------------------------------------------------------------------


def seated(strategy: Strategy, think: float = 0.0) -> PolicyPlayer:
    return PolicyPlayer(seat_policy(strategy), name=strategy.name, think=think)


@pytest.mark.anyio
async def test_a_match_between_policies_plays_every_round(anyio_backend: Any) -> None:
    game = PrisonersDilemma(rounds=5)
    players = {"p1": seated(TitForTat()), "p2": seated(AlwaysDefect())}

    async with open_match(game, players) as match:
        result = await match.run()

    assert game.render(match.state) == "CD/DD/DD/DD/DD"
    assert match.state.totals == (4, 9)
    assert result.turns == 5
    assert result.scores == {"p1": 0.0, "p2": 1.0}


@pytest.mark.anyio
async def test_a_three_player_match_is_deterministic(anyio_backend: Any) -> None:
    digests, histories = set(), set()
    for _ in range(2):
        game = PrisonersDilemma(n_players=3, rounds=6)
        players = {"p1": seated(Grim()), "p2": seated(Random(seed=3)), "p3": seated(TitForTat())}
        async with open_match(game, players, seed=1) as match:
            result = await match.run()
        digests.add(log_digest(result.log))
        histories.add(game.render(match.state))

    assert len(digests) == len(histories) == 1


@pytest.mark.anyio
async def test_a_player_who_misses_realtime_ticks_defects(anyio_backend: Any) -> None:
    game = PrisonersDilemma(rounds=3)
    players = {"p1": seated(AlwaysCooperate()), "p2": seated(AlwaysCooperate(), think=5.0)}

    async with open_match(game, players, clock="realtime", tick=1.0) as match:
        result = await match.run()

    assert game.render(match.state) == "CD/CD/CD"
    assert result.late == {"p1": 0, "p2": 3}


# -- oracle ----------------------------------------------------------------------------


def test_the_prior_expects_tit_for_tat() -> None:
    state = play(GAME, "DC")

    assert oracle("predict", state.key) == "p2 looks like tit-for-tat.\nPrediction: p2 plays D"


def test_prediction_follows_tit_for_tat_once_memory_shows_it() -> None:
    # A wrong prior everywhere; memory where p2 retaliated, then forgave (not grim).
    wrong = NoiseModel.perfect(wrong_belief_rate=1.0)
    memory = feedback_of(play(GAME, "CC", "DC", "CD", "CC"))
    state = play(GAME, "CC", "DC")

    assert "tit-for-tat" not in oracle("predict", state.key, noise=wrong)
    answer = oracle("predict", state.key, memory=memory, noise=wrong)

    assert "p2 looks like tit-for-tat" in answer
    assert parse_prediction(answer, ["p2"]) == {"p2": TitForTat().move(state, "p2")}


def test_prediction_changes_when_memory_shows_an_always_defector() -> None:
    state = play(GAME, "CC")
    memory = feedback_of(trajectory(AlwaysCooperate(), AlwaysDefect(), 3))

    assert parse_prediction(oracle("predict", state.key), ["p2"]) == {"p2": "C"}
    assert parse_prediction(oracle("predict", state.key, memory=memory), ["p2"]) == {"p2": "D"}


@pytest.mark.parametrize(("adherence", "expected"), [(0.0, "C"), (1.0, "D")])
def test_memory_shapes_the_prediction_only_as_far_as_it_is_heeded(
    adherence: float, expected: str
) -> None:
    state = play(GAME, "CC")
    memory = feedback_of(trajectory(AlwaysCooperate(), AlwaysDefect(), 3))
    noise = NoiseModel.perfect(memory_adherence=adherence)

    answer = oracle("predict", state.key, memory=memory, noise=noise)

    assert parse_prediction(answer, ["p2"]) == {"p2": expected}


def test_a_single_observation_of_an_opening_defection_rules_out_tit_for_tat() -> None:
    facts = memory_facts(["round 1: p2 played D at the start"])["p2"]

    assert infer(facts) == "always-defect"


def test_grim_is_told_from_tit_for_tat_by_its_refusal_to_forgive() -> None:
    memory = feedback_of(trajectory(Random(seed=1), Grim(), 10))

    assert "p2 looks like grim" in oracle("predict", play(GAME, "CC").key, memory=memory)


def test_predictions_cover_every_opponent_in_a_three_player_game() -> None:
    memory = feedback_of(play(GAME3, "CCD", "CDD"))
    answer = oracle("predict", play(GAME3, "CCD", "CDD", "CCD").key, detail="p2", memory=memory)

    # p1 (tit-for-tat: p3 defected) defects; p3 (always-defect) defects.
    assert parse_prediction(answer, ["p1", "p3"]) == {"p1": "D", "p3": "D"}


def test_proposals_are_the_best_response_to_the_believed_strategies() -> None:
    last = PrisonersDilemma(rounds=3)
    defector = ("round 1: p2 played D at the start",)

    assert oracle("propose", GAME.reset(0).key) == "Move: C"  # against tit-for-tat
    assert oracle("propose", play(last, "CC", "CC").key) == "Move: D"  # the last round
    assert oracle("propose", play(GAME, "CD").key, memory=defector) == "Move: D"


def test_values_are_the_expected_final_total_on_the_minus_one_to_one_scale() -> None:
    game = PrisonersDilemma(rounds=3)

    # Against tit-for-tat from the start: C, C, D earns 3 + 3 + 5 = 11 of [0, 15].
    assert oracle("evaluate", game.reset(0).key).endswith(f"Value: {2 * 11 / 15 - 1:.3f}")
    assert parse_value(oracle("evaluate", play(game, "CC", "CC", "DC").key)) == pytest.approx(
        2 * 11 / 15 - 1, abs=1e-3
    )


def test_a_committed_defection_against_tit_for_tat_is_worth_less_early() -> None:
    state = GAME.reset(0)
    cooperate = parse_value(oracle("evaluate", PendingRound(state, "p1", "C").key))
    defect = parse_value(oracle("evaluate", PendingRound(state, "p1", "D").key))

    assert -1.0 <= defect < cooperate <= 1.0


@pytest.mark.parametrize(
    ("kind", "state", "detail", "message"),
    [
        ("propose", GAME.reset(0).key, "", "must name the asking player"),
        ("predict", GAME.reset(0).key, "p3", "unknown player 'p3'"),
        ("predict", PendingRound(GAME.reset(0), "p1", "C").key, "p1", "pending round"),
        ("evaluate", PendingRound(GAME.reset(0), "p1", "C").key, "p2", "pending round of p1"),
    ],
)
def test_bad_intents_are_provider_errors(kind: Any, state: str, detail: str, message: str) -> None:
    with pytest.raises(ProviderError, match=message):
        oracle(kind, state, detail)


# -- world -----------------------------------------------------------------------------


def test_a_round_is_proposed_predicted_and_evaluated_through_the_world() -> None:
    world = PrisonersDilemmaWorld("p1")
    state = play(GAME, "CC")

    move = world.parse_move(state, ask(ORACLE, world.propose_request(state, (), 0)))
    pending = move.predicted
    reply = world.parse_reply(pending, ask(ORACLE, world.predict_request(pending, (), 0)))
    value = world.parse_value(ask(ORACLE, world.evaluate_request(reply.predicted, (), 0)))

    assert move.action == "C"
    assert move.predicted == PendingRound(state, "p1", "C")
    assert reply.action == "p2:C"
    assert reply.predicted == play(GAME, "CC", "CC")
    assert -1.0 <= value <= 1.0


def test_every_candidate_asks_the_same_prediction_question() -> None:
    world = PrisonersDilemmaWorld("p2")
    state = play(GAME, "CD")

    requests = [world.predict_request(PendingRound(state, "p2", m), (), 0) for m in "CD"]

    assert requests[0] == requests[1]
    assert requests[0].intent is not None
    assert requests[0].intent.state == state.key
    assert requests[0].intent.detail == "p2"


def test_a_prediction_completes_the_round_in_seat_order() -> None:
    world = PrisonersDilemmaWorld("p2")
    pending = PendingRound(play(GAME3, "CCC"), "p2", "D")

    reply = world.parse_reply(pending, "Prediction: p3 plays C, p1 plays D")

    assert reply.action == "p1:D,p3:C"
    assert reply.predicted == play(GAME3, "CCC", "DDC")


def test_a_pending_round_is_evaluated_for_its_player() -> None:
    world = PrisonersDilemmaWorld("p1")
    pending = PendingRound(GAME.reset(0), "p1", "D")

    request = world.evaluate_request(pending, (), 0)

    assert request.intent is not None and request.intent.state == pending.key
    assert "p1 has chosen D for round 1" in request.messages[0].content
    with pytest.raises(ValueError, match="valued for p1, not p2"):
        world.evaluate_request(pending, (), 0, "p2")


def test_outcome_is_the_final_total_on_the_value_scale() -> None:
    game = PrisonersDilemma(rounds=2)
    world = PrisonersDilemmaWorld("p1")
    final = play(game, "DC", "CC")

    assert world.is_terminal(final)
    assert not world.is_terminal(PendingRound(play(game, "DC"), "p1", "C"))
    assert world.outcome(final, "p1") == pytest.approx(2 * 8 / 10 - 1)
    with pytest.raises(ValueError, match="the match is not over"):
        world.outcome(play(game, "DC"), "p1")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w: w.propose_request(PendingRound(GAME.reset(0), "p1", "C"), (), 0), "committed"),
        (lambda w: w.predict_request(GAME.reset(0), (), 0), "predict from a pending round"),
        (lambda w: w.predict_request(PendingRound(GAME.reset(0), "p2", "C"), (), 0), "p2's"),
    ],
)
def test_the_world_refuses_requests_that_make_no_sense(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(PrisonersDilemmaWorld("p1"))


def test_a_world_is_for_a_named_seat() -> None:
    with pytest.raises(ValueError, match=r"players are named p1, p2, \.\.\.; got 'X'"):
        PrisonersDilemmaWorld("X")


# -- RAFA in a match --------------------------------------------------------------------


def rafa(
    noise: NoiseModel | None, *, memory: Memory | None = None, seat: str = "p1"
) -> RafaPlayer[Any]:
    sim = SimLLM(
        {"ipd": PrisonersDilemmaOracle()}, seed=0, noise=noise, latency=LatencyModel.fixed(1.0)
    )
    planner = MPCPlanner(sim, PrisonersDilemmaWorld(seat), n_candidates=3)
    return RafaPlayer(planner, memory=memory)


async def rafa_history(
    player: RafaPlayer[Any], opponent: Strategy, *, rounds: int = 20, match_id: str = "0"
) -> tuple[str, dict[str, float]]:
    """p1's moves (RAFA) and the match scores."""
    game = PrisonersDilemma(rounds=rounds)
    async with open_match(game, {"p1": player, "p2": seated(opponent)}, match_id=match_id) as m:
        result = await m.run()
    return "".join(p[0] for p in m.state.history), result.scores


@pytest.mark.anyio
async def test_rafa_stops_cooperating_once_it_has_seen_an_always_defector(
    anyio_backend: Any,
) -> None:
    moves, scores = await rafa_history(rafa(PERFECT), AlwaysDefect())

    assert moves == "C" + "D" * 19
    assert scores == {"p1": 0.0, "p2": 1.0}


@pytest.mark.anyio
async def test_rafa_cooperates_with_tit_for_tat_and_defects_last(anyio_backend: Any) -> None:
    moves, scores = await rafa_history(rafa(PERFECT), TitForTat())

    assert moves == "C" * 19 + "D"
    assert scores == {"p1": 1.0, "p2": 0.0}


@pytest.mark.anyio
async def test_memory_is_what_makes_rafa_stop_cooperating_under_default_noise(
    anyio_backend: Any,
) -> None:
    learner, _ = await rafa_history(rafa(None), AlwaysDefect())
    amnesiac, _ = await rafa_history(rafa(None, memory=Memory(maxlen=0)), AlwaysDefect())

    assert learner[1:].count("D") >= 16
    assert amnesiac.count("C") >= 12


@pytest.mark.anyio
async def test_memory_carries_an_opponent_over_to_the_next_match(anyio_backend: Any) -> None:
    player = rafa(PERFECT)
    await rafa_history(player, AlwaysDefect(), rounds=3, match_id="1")

    moves, _ = await rafa_history(player, AlwaysDefect(), rounds=3, match_id="2")

    assert moves == "DDD"


@pytest.mark.anyio
async def test_rafa_plays_a_seat_in_a_three_player_match(anyio_backend: Any) -> None:
    game = PrisonersDilemma(n_players=3, rounds=6)
    players = {
        "p1": seated(TitForTat()),
        "p2": rafa(PERFECT, seat="p2"),
        "p3": seated(AlwaysDefect()),
    }

    async with open_match(game, players) as match:
        result = await match.run()

    # Round 1 under the tit-for-tat prior; then p3 is known to defect, which
    # keeps p1 retaliating, so nothing is left to earn by cooperating.
    assert "".join(p[1] for p in match.state.history) == "CDDDDD"
    assert result.scores["p2"] == result.scores["p1"] < result.scores["p3"]
