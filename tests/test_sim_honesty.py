"""The simulated LLM answers only from what its prompt holds, and reads memory
through one noisy channel (``memory_adherence``, ``SimContext.heeds``).

The probes ask the Game of 24 oracle directly with an intent -- no prompt, no
SimLLM -- and seed its draws by the sample alone, so two probes differ only
in what their intents say.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from fractions import Fraction

import pytest

from rafa_async.llm import Intent, IntentKind, NoiseModel, SimContext
from rafa_async.scenarios.game24 import (
    Game24Env,
    Game24Oracle,
    Game24State,
    Game24World,
    legal_steps,
    memory_facts,
    parse_step,
    puzzles,
    solvable,
)

ORACLE = Game24Oracle()
PERFECT = NoiseModel.perfect()
SWEEP = 40


def probe(
    kind: IntentKind,
    state: str,
    *,
    memory: tuple[str, ...] = (),
    detail: str = "",
    noise: NoiseModel = PERFECT,
    sample: int = 0,
) -> str:
    """The oracle's answer to a bare intent; its draws are seeded by ``sample`` only."""
    intent = Intent(
        kind=kind, scenario="game24", state=state, memory=memory, detail=detail, sample=sample
    )
    return ORACLE.respond(SimContext(intent, noise, 0, random.Random(sample)))


def random_attempt(rng: random.Random, numbers: tuple[int, ...]) -> str:
    """Three random legal steps from ``numbers`` and a (probably wrong) answer line."""
    values: tuple[Fraction, ...] = tuple(Fraction(n) for n in numbers)
    lines = []
    while len(values) > 1:
        step = rng.choice(legal_steps(values))
        lines.append(f"{step.text} (left: {step.left_key})")
        values = step.left
    return "\n".join([*lines, f"Answer: {' + '.join(map(str, numbers))} = 24"])


def attempts(seed: int) -> Iterator[tuple[str, str, str]]:
    """``(numbers, attempt, its line-by-line feedback)`` for a sweep of puzzles
    whose attempt runs into a dead step."""
    rng = random.Random(seed)
    pool = puzzles("1-1362")
    found = 0
    while found < SWEEP:
        puzzle = rng.choice(pool)
        env = Game24Env(puzzle.numbers)
        attempt = random_attempt(rng, puzzle.numbers)
        feedback = env.step(env.reset(), attempt).feedback
        if "cannot reach 24" in feedback:
            found += 1
            yield env.render(env.reset()), attempt, feedback


def dead_named(text: str) -> set[str]:
    return {key for key, reachable in memory_facts([text]).items() if not reachable}


# -- reflect: only from the feedback --------------------------------------------------


def test_sim_never_answers_from_information_not_in_the_prompt() -> None:
    rng = random.Random(7)
    for numbers, attempt, feedback in attempts(seed=11):
        lines = feedback.splitlines()
        kept = tuple(line for line in lines if rng.random() < 0.5)
        for given in (feedback, "\n".join(kept), "answer rejected; it equals 7, not 24."):
            reflection = probe("reflect", numbers, memory=(given,), detail=attempt)
            # Names a dead end only if the feedback it was given states one...
            assert dead_named(reflection) <= dead_named(given), (attempt, given, reflection)
            if not dead_named(given):
                assert "dead end" not in reflection, (attempt, given, reflection)
            # ...and the attempt itself tells it nothing the feedback does not.
            other = random_attempt(rng, tuple(int(n) for n in numbers.split()))
            assert probe("reflect", numbers, memory=(given,), detail=other) == reflection
        # The full feedback states the dead step: a perfect reflection names it.
        assert dead_named(probe("reflect", numbers, memory=(feedback,), detail=attempt))


def test_a_reflection_names_the_step_the_feedback_says_was_dead() -> None:
    feedback = (
        "9 + 10 = 19 (left: 4 13 19): accepted; 24 can still be reached from 4 13 19.\n"
        "4 + 13 = 17 (left: 17 19): rejected; 17 19 cannot reach 24."
    )

    reflection = probe("reflect", "4 9 10 13", memory=(feedback,), detail="(anything)")

    assert "my step 4 + 13 = 17 left 17 19, and 17 19 cannot reach 24" in reflection


def test_intents_carry_only_what_the_prompt_says() -> None:
    world = Game24World()
    rng = random.Random(3)
    for numbers, attempt, feedback in attempts(seed=5):
        state = Game24State.start([Fraction(n) for n in numbers.split()])
        memory = tuple(rng.sample(feedback.splitlines(), 1))
        requests = [
            world.propose_request(state, memory, 1),
            world.evaluate_request(state, memory, 1),
            world.solve_request(state, memory, 1),
            world.reflect_request(state, attempt, feedback, 1),
        ]
        for request in requests:
            intent = request.intent
            assert intent is not None
            prompt = "\n".join(m.content for m in request.messages)
            assert intent.state in prompt
            assert intent.detail in prompt
            assert all(line in prompt for line in intent.memory), intent.kind


# -- memory: beliefs through one noisy channel ----------------------------------------


def test_an_unheeded_fact_is_as_good_as_absent() -> None:
    deaf = NoiseModel(memory_adherence=0.0)
    for numbers, attempt, feedback in attempts(seed=13):
        memory = tuple(feedback.splitlines())
        for kind in ("propose", "evaluate", "solve", "reflect"):
            for sample in range(3):
                told = probe(
                    kind, numbers, memory=memory, detail=attempt, noise=deaf, sample=sample
                )
                untold = probe(kind, numbers, detail=attempt, noise=deaf, sample=sample)
                assert told == untold, (kind, numbers, memory)


@pytest.mark.parametrize(("adherence", "verdict"), [(1.0, "impossible"), (0.0, "sure")])
def test_a_heeded_fact_overrides_the_prior(adherence: float, verdict: str) -> None:
    # The prior is wrong about every state: it believes 1 1 1 can reach 24.
    noise = NoiseModel.perfect(wrong_belief_rate=1.0, memory_adherence=adherence)

    answer = probe("evaluate", "1 1 1", memory=("1 1 1 cannot reach 24.",), noise=noise)

    assert answer.splitlines()[-1] == verdict


def test_memory_does_not_filter_proposals_beyond_proposal_quality() -> None:
    start = "4 9 10 13"
    children = {step.left_key for step in legal_steps([4, 9, 10, 13])}
    dead = sorted(key for key in children if not solvable([Fraction(v) for v in key.split()]))
    memory = tuple(f"{key} cannot reach 24." for key in dead)

    def proposed(noise: NoiseModel) -> set[str]:
        texts = (probe("propose", start, memory=memory, noise=noise, sample=k) for k in range(200))
        return {" ".join(parse_step(text).left or ()) for text in texts}

    # A model that ignores its beliefs proposes steps memory says are dead...
    assert proposed(NoiseModel.perfect(proposal_quality=0.0)) & set(dead)
    # ...one that follows them does not.
    assert not proposed(NoiseModel.perfect(proposal_quality=1.0)) & set(dead)


# -- SimContext.heeds: the channel -------------------------------------------------------


def context(sample: int = 0, adherence: float = 0.5) -> SimContext:
    intent = Intent(kind="evaluate", scenario="game24", state="1 2 3 4", sample=sample)
    return SimContext(intent, NoiseModel(memory_adherence=adherence), 0, random.Random(sample))


FACTS = [f"fact {k}" for k in range(2000)]


def test_heeding_is_decided_per_fact_at_the_adherence_rate() -> None:
    heeded = sum(context(adherence=0.3).heeds(fact) for fact in FACTS)

    assert 0.25 * len(FACTS) < heeded < 0.35 * len(FACTS)


def test_heeding_is_the_same_in_any_order_and_draws_nothing_from_the_request_rng() -> None:
    ctx = context()
    before = ctx.rng.getstate()

    forward = [ctx.heeds(fact) for fact in FACTS]
    backward = [ctx.heeds(fact) for fact in reversed(FACTS)][::-1]

    assert forward == backward == [context().heeds(fact) for fact in FACTS]
    assert ctx.rng.getstate() == before


def test_heeding_is_decided_afresh_for_each_request() -> None:
    first = [context(sample=0).heeds(fact) for fact in FACTS]
    second = [context(sample=1).heeds(fact) for fact in FACTS]

    assert first != second


@pytest.mark.parametrize(("adherence", "share"), [(0.0, 0), (1.0, len(FACTS))])
def test_adherence_zero_and_one_ignore_or_use_every_fact(adherence: float, share: int) -> None:
    ctx = context(adherence=adherence)

    assert sum(ctx.heeds(fact) for fact in FACTS) == share
    assert len(ctx.heeded(dict.fromkeys(FACTS, True))) == share
