"""The kind tables of rafa_async.app: seat kinds (rafa play) and agent kinds (rafa run)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from support import rafa

from rafa_async import ConfigError
from rafa_async.agents import (
    ComputeMatchedToT,
    DirectAgent,
    DirectPlayer,
    Memory,
    OpenLoopAgent,
    PolicyPlayer,
    RafaAgent,
    RafaPlayer,
    RawFeedback,
    ReflectOnFeedback,
    ReflexionAgent,
    SampleAgreement,
    SwitchCommitPlan,
    SwitchEveryStep,
    SwitchOnInfoGain,
    SwitchOnMisprediction,
)
from rafa_async.app import (
    AGENT_KINDS,
    LLM_KINDS,
    POLICY_SEED_STRIDE,
    SEAT_KINDS,
    AgentOptions,
    BenchmarkConfig,
    LearnKind,
    PlayConfig,
    SeatContext,
    SeatOptions,
    SwitchingKind,
    make_agent,
    make_player,
    seat_kinds,
    uses_llm,
)
from rafa_async.scenarios import GAMES, get_game, get_scenario, simulated_llm

SIM = simulated_llm()


def context(game: str = "tictactoe", seat: str = "X", **overrides: object) -> SeatContext:
    spec = get_game(game)
    values: dict[str, object] = {"memory": None, "seed": 0, "episode": 0}
    values.update(overrides)
    return SeatContext(llm=SIM, spec=spec, world=spec.world(seat), seat=seat, **values)  # type: ignore[arg-type]


# -- seat kinds ----------------------------------------------------------------------


def test_the_llm_kinds_are_the_seat_kinds_that_use_the_llm() -> None:
    assert LLM_KINDS == ("rafa", "direct", "llm-fixed", "rafa-search")
    assert tuple(name for name, kind in SEAT_KINDS.items() if kind.uses_llm) == LLM_KINDS
    assert all(uses_llm(kind) for kind in LLM_KINDS)
    assert not any(uses_llm(kind) for game in GAMES for kind in get_game(game).policies)


@pytest.mark.parametrize("game", GAMES)
def test_a_games_seats_take_the_generic_kinds_then_its_policies(game: str) -> None:
    spec = get_game(game)
    generic = tuple(k for k in SEAT_KINDS if k != "rafa-search" or game == "tictactoe")
    assert seat_kinds(spec) == (*generic, *spec.policies)


def test_make_player_builds_the_kind_with_the_options_and_the_seat() -> None:
    memory = Memory()
    options = SeatOptions(n_candidates=3, n_evaluate=2, speculate=True)

    rafa_player = make_player("rafa", options, context(memory=memory))
    direct = make_player("direct", options, context(memory=memory))

    assert isinstance(rafa_player, RafaPlayer)
    assert rafa_player.memory is memory
    assert rafa_player.speculate
    assert (rafa_player.planner.n_candidates, rafa_player.planner.n_evaluate) == (3, 2)
    assert isinstance(direct, DirectPlayer)


def test_a_games_policy_is_built_by_the_same_function_seeded_for_the_match() -> None:
    """The seed each match's policy gets is what the recorded logs were made with."""
    made: list[int] = []
    spec = get_game("tictactoe")
    real = spec.policies["random"]

    def spy(*, seed: int) -> object:
        made.append(seed)
        return real(seed=seed)

    patched = dataclasses.replace(spec, policies={**spec.policies, "random": spy})
    player = make_player(
        "random",
        SeatOptions(),
        SeatContext(llm=SIM, spec=patched, world=spec.world("O"), seat="O", seed=7, episode=3),
    )

    assert isinstance(player, PolicyPlayer)
    assert player.name == "random"
    assert made == [7 * POLICY_SEED_STRIDE + 3]


def test_an_unknown_kind_is_a_config_error_listing_the_games_kinds() -> None:
    with pytest.raises(ConfigError, match="unknown player 'genius' for seat X") as caught:
        make_player("genius", SeatOptions(), context())
    assert "rafa, direct, llm-fixed, rafa-search, random, perfect" in str(caught.value)


def test_a_series_takes_its_seat_options_from_its_config() -> None:
    config = PlayConfig(
        game="tictactoe", seats={"X": "rafa", "O": "random"}, n_candidates=4, speculate=True
    )
    assert config.seat_options == SeatOptions(n_candidates=4, n_evaluate=1, speculate=True)


# -- agent kinds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "agent"),
    [("rafa", RafaAgent), ("tot", OpenLoopAgent), ("tot-matched", ComputeMatchedToT),
     ("reflexion", ReflexionAgent), ("direct", DirectAgent)],
)  # fmt: skip
def test_make_agent_builds_every_agent_kind(kind: str, agent: type) -> None:
    built = make_agent(kind, AgentOptions(call_budget=40), SIM, get_scenario("game24"))
    assert isinstance(built, agent)


def test_compute_matched_tot_needs_a_call_budget() -> None:
    with pytest.raises(ConfigError, match="tot-matched needs call_budget") as caught:
        BenchmarkConfig(agent="tot-matched").validate()
    assert caught.value.fields == ("call_budget",)
    with pytest.raises(ConfigError, match="call_budget must be > 0"):
        BenchmarkConfig(agent="tot-matched", call_budget=0).validate()
    with pytest.raises(ConfigError, match="needs call_budget"):
        make_agent("tot-matched", AgentOptions(), SIM, get_scenario("game24"))


@pytest.mark.parametrize(
    ("switching", "rule"),
    [("every-step", SwitchEveryStep), ("on-misprediction", SwitchOnMisprediction),
     ("info-gain", SwitchOnInfoGain), ("commit-plan", SwitchCommitPlan)],
)  # fmt: skip
def test_rafa_switches_as_its_options_say(switching: SwitchingKind, rule: type) -> None:
    built = make_agent("rafa", AgentOptions(switching=switching), SIM, get_scenario("game24"))
    assert isinstance(built, RafaAgent)
    assert isinstance(built.switching, rule)
    assert built.switching.name == switching


def test_info_gain_takes_its_threshold_and_estimator_from_the_options() -> None:
    options = AgentOptions(switching="info-gain", info_threshold=2.5, info_estimator="agreement")
    built = make_agent("rafa", options, SIM, get_scenario("game24"))
    assert isinstance(built, RafaAgent)
    assert isinstance(built.switching, SwitchOnInfoGain)
    assert built.switching.threshold == 2.5
    assert isinstance(built.switching.estimator, SampleAgreement)


@pytest.mark.parametrize(
    ("learn", "learner"), [("raw", RawFeedback), ("reflect", ReflectOnFeedback)]
)
def test_rafa_learns_as_its_options_say(learn: LearnKind, learner: type) -> None:
    built = make_agent("rafa", AgentOptions(learn=learn), SIM, get_scenario("game24"))
    assert isinstance(built, RafaAgent)
    assert isinstance(built.learner, learner)


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [({"switching": "on-surprise"}, ("switching 'on-surprise' is now called 'commit-plan'",)),
     ({"switching": "sometimes"}, ("unknown switching 'sometimes'", "info-gain")),
     ({"learn": "dream"}, ("unknown learn 'dream'", "reflect")),
     ({"info_estimator": "guess"}, ("unknown info_estimator 'guess'",)),
     ({"info_threshold": 0.0}, ("info_threshold must be a number > 0",)),
     ({"info_threshold": math.nan}, ("info_threshold must be a number > 0",))],
)  # fmt: skip
def test_a_benchmark_config_refuses_bad_agent_options(
    changes: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as caught:
        BenchmarkConfig(**changes).validate()
    for fragment in fragments:
        assert fragment in str(caught.value)
    assert caught.value.fields == tuple(changes)


def test_a_benchmark_config_validates_its_agent_against_the_table() -> None:
    for kind, spec in AGENT_KINDS.items():
        BenchmarkConfig(agent=kind, call_budget=50 if spec.needs_call_budget else None).validate()
    with pytest.raises(ConfigError, match=r"unknown agent 'alphago' \(known: rafa, tot") as caught:
        BenchmarkConfig(agent="alphago").validate()
    assert caught.value.fields == ("agent",)


def test_the_cli_offers_the_agent_kinds_of_the_table() -> None:
    result = rafa("run", "game24", "--agent", "alphago")
    assert result.exit_code == 2
    assert f"<{'|'.join(AGENT_KINDS)}>" in rafa("run", "--help").stdout
    assert all(kind in result.stderr for kind in AGENT_KINDS)


@pytest.mark.parametrize("kind", list(AGENT_KINDS))
def test_rafa_run_runs_every_agent_kind_of_the_table(tmp_path: Any, kind: str) -> None:
    """The table's contract with `rafa run`: every kind it lists (given the
    call budget it says it needs) runs a puzzle to a record, through the CLI."""
    out = tmp_path / "out.jsonl"
    budget = ["--call-budget", "20"] if AGENT_KINDS[kind].needs_call_budget else []
    result = rafa(
        "run", "game24", "--agent", kind, *budget, "--puzzles", "901", "--n-generate", "2",
        "--n-evaluate", "1", "--max-steps", "3", "--latency-scale", "0", "--no-progress",
        "--out", str(out),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    [record] = [line for line in out.read_text().splitlines() if line.strip()]
    assert f'"agent":"{kind}"' in record
    assert "SIMULATED LLM" in result.stdout
