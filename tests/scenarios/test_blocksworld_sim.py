"""BlocksWorld's data, PDDL reader, STRIPS simulator, words and optimal planner."""

from __future__ import annotations

import pytest

from rafa_async import ConfigError
from rafa_async.scenarios.blocksworld import (
    SETS,
    BlocksWorldEnv,
    GroundAction,
    Instance,
    LanguageError,
    PddlError,
    action_lines,
    instances,
    optimal_plan,
    parse_action,
    parse_domain,
    parse_facts,
    parse_problem,
    parse_sexpr,
    render_action,
    render_facts,
    rules,
    task_set,
)
from rafa_async.scenarios.blocksworld._instances import domain
from rafa_async.scenarios.blocksworld._solver import distance, optimal_actions
from rafa_async.scenarios.blocksworld._state import parse_state_text, state_text

ALL = [task for name in SETS for task in task_set(name)]


def ids(task: Instance) -> str:
    return f"{task.task_set}-{task.number}"


# -- the data -------------------------------------------------------------------


def test_the_sets_hold_57_four_step_and_114_six_step_instances_171_in_all() -> None:
    four, six = task_set("step_4"), task_set("step_6")

    assert (len(four), len(six)) == (57, 114)
    assert {len(t.gold) for t in four} == {4} and {len(t.gold) for t in six} == {6}
    assert len({t.number for t in ALL}) == 171


def test_instances_name_their_blocks_by_bw_configs_colours() -> None:
    first = task_set("step_4")[0]  # instance-1: a b c d

    assert (first.number, first.blocks) == (1, ("red", "blue", "orange", "yellow"))
    assert first.goal == {("on", "orange", "blue")}
    assert ("on", "blue", "orange") in first.init


@pytest.mark.parametrize(
    ("spec", "positions"),
    [("step_4", range(1, 58)), ("step_6:1-3", [1, 2, 3]), ("step_4:2,5-6", [2, 5, 6])],
)
def test_a_task_spec_names_a_set_and_positions_in_it(spec: str, positions: object) -> None:
    assert [t.position for t in instances(spec)] == list(positions)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("step_5", "'step_5' is not a task set"),
        ("901-1000", "is not a task set"),
        ("step_4:0-3", "1 <= N <= M <= 57"),
        ("step_6:x", "is not N or N-M"),
    ],
)
def test_a_bad_task_spec_is_a_config_error_naming_the_problem(spec: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        instances(spec)


# -- the PDDL reader -------------------------------------------------------------


def test_the_domain_has_the_four_strips_operators() -> None:
    bw = domain()

    assert sorted(bw.actions) == ["pick-up", "put-down", "stack", "unstack"]
    unstack = bw.actions["unstack"]
    assert unstack.parameters == ("?ob", "?underob")
    assert set(unstack.preconditions) == {
        ("on", "?ob", "?underob"),
        ("clear", "?ob"),
        ("handempty",),
    }
    assert set(unstack.adds) == {("holding", "?ob"), ("clear", "?underob")}
    assert ("handempty",) in unstack.deletes
    assert bw.predicates == {"clear": 1, "ontable": 1, "handempty": 0, "holding": 1, "on": 2}


def test_a_problem_reads_its_objects_init_and_goal() -> None:
    problem = parse_problem(
        "; a comment\n(define (problem p) (:domain d) (:objects a b)\n"
        "(:init (handempty) (ontable a) (on b a) (clear b))\n(:goal (and (on a b))))"
    )

    assert problem.objects == ("a", "b")
    assert problem.init == {("handempty",), ("ontable", "a"), ("on", "b", "a"), ("clear", "b")}
    assert problem.goal == {("on", "a", "b")}


def test_s_expressions_nest_and_fold_case() -> None:
    assert parse_sexpr("(A (b c) ((d)))") == ["a", ["b", "c"], [["d"]]]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(a (b)", "unclosed"),
        ("(a))", "unbalanced"),
        ("(a) (b)", "one S-expression"),
        ("(define (problem p) (:objects a) (:init))", "no :goal"),
        ("(define (problem p) (:objects a) (:init) (:goal (or (a) (b))))", "outside the STRIPS"),
    ],
)
def test_pddl_outside_the_subset_is_refused_by_name(text: str, reason: str) -> None:
    with pytest.raises(PddlError, match=reason):
        parse_problem(text)


def test_a_domain_with_a_negative_precondition_is_refused() -> None:
    text = (
        "(define (domain d) (:action a :parameters (?x) :precondition (not (p ?x)) :effect (q ?x)))"
    )

    with pytest.raises(PddlError, match="negative preconditions"):
        parse_domain(text)


# -- the simulator and the environment -----------------------------------------------


@pytest.mark.parametrize("task", ALL, ids=ids)
def test_every_gold_plan_is_valid_and_reaches_its_goal(task: Instance) -> None:
    env = BlocksWorldEnv(task)
    state = env.reset()

    for k, action in enumerate(task.gold, start=1):
        outcome = env.step(state, action.pddl)
        assert outcome.accepted, outcome.feedback
        assert outcome.done == (k == len(task.gold))
        state = outcome.state

    assert state.reached and outcome.reward == 1.0
    assert env.answer(state) == "\n".join(a.pddl for a in task.gold)


@pytest.mark.parametrize("task", ALL, ids=ids)
def test_the_optimal_planner_is_never_longer_than_the_gold_plan(task: Instance) -> None:
    plan = optimal_plan(task.rules, task.init, task.goal)

    assert plan is not None and len(plan) <= len(task.gold)
    facts = task.init
    for action in plan:
        facts = task.rules.apply(facts, action)
    assert task.goal <= facts


@pytest.mark.parametrize(
    "task",
    [task_set("step_4")[0], task_set("step_6")[5], next(t for t in ALL if len(t.blocks) == 5)],
    ids=ids,
)
def test_looked_up_distances_equal_a_search_from_every_reachable_state(task: Instance) -> None:
    """The solver's table (one backward search per goal) against a forward
    search from each state reachable from the task's start, and from states
    with a fact missing (a model's misreading), which it searches from."""
    seen, frontier = {task.init}, [task.init]
    while frontier:
        facts = frontier.pop()
        for action in task.rules.applicable(facts):
            nxt = task.rules.apply(facts, action)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    misread = [facts - {fact} for facts in sorted(seen, key=sorted)[:5] for fact in facts]
    for facts in [*seen, *misread]:
        plan = optimal_plan(task.rules, facts, task.goal)
        assert distance(task.rules, facts, task.goal) == (None if plan is None else len(plan))
        starts = optimal_actions(task.rules, facts, task.goal)
        assert (plan is None or not plan) == (not starts)
        assert not plan or plan[0] in starts
    assert len(seen) in (125, 866)


def test_a_whole_plan_in_words_is_one_interaction_checked_line_by_line() -> None:
    task = task_set("step_4")[0]
    env = BlocksWorldEnv(task)
    words = "\n".join(f"{k}. {render_action(a)}." for k, a in enumerate(task.gold, start=1))

    outcome = env.step(env.reset(), f"Here is my plan:\n{words}\nThat is all.")

    assert (outcome.accepted, outcome.done, outcome.reward) == (True, True, 1.0)
    assert len(outcome.feedback.splitlines()) == 4


def test_an_illegal_action_is_refused_with_the_precondition_that_fails() -> None:
    env = BlocksWorldEnv(task_set("step_4")[0])  # the blue block is on the orange one
    start = env.reset()

    under = env.step(start, "unstack the orange block from on top of the blue block")
    buried = env.step(start, "pick up the orange block")

    assert (under.accepted, under.state) == (False, start)
    assert under.feedback == (
        "unstack the orange block from on top of the blue block: refused; "
        "the orange block is not on top of the blue block and the orange block is not clear."
    )
    assert buried.feedback == "pick up the orange block: refused; the orange block is not clear."
    assert not env.step(start, "put down the blue block").accepted
    assert "the hand is not holding the blue block" in env.step(start, "(put-down blue)").feedback


def test_an_action_on_a_block_the_instance_lacks_is_refused() -> None:
    env = BlocksWorldEnv(task_set("step_4")[0])

    outcome = env.step(env.reset(), "pick up the white block")

    assert not outcome.accepted
    assert "there is no white block here" in outcome.feedback


def test_a_plan_stops_at_its_first_refused_line_keeping_the_actions_before_it() -> None:
    env = BlocksWorldEnv(task_set("step_4")[0])

    outcome = env.step(
        env.reset(), "(unstack blue orange)\n(stack blue red)\n(put-down blue)\n(pick-up red)"
    )

    assert not outcome.accepted
    assert outcome.state.actions == ("(unstack blue orange)", "(stack blue red)")
    assert outcome.feedback.splitlines()[-1].startswith("put down the blue block: refused;")


def test_an_accepted_action_s_feedback_is_the_true_next_state() -> None:
    env = BlocksWorldEnv(task_set("step_4")[0])

    outcome = env.step(env.reset(), "Unstack the Blue block from on top of the orange block")

    assert outcome.accepted and not outcome.done
    assert outcome.feedback.startswith(
        "unstack the blue block from on top of the orange block: done; now "
    )
    assert "the hand is holding the blue block" in outcome.feedback


# -- words ----------------------------------------------------------------------


@pytest.mark.parametrize("task", ALL, ids=ids)
def test_every_gold_action_survives_words_and_pddl_round_trips(task: Instance) -> None:
    for action in task.gold:
        assert parse_action(render_action(action)) == action
        assert parse_action(action.pddl) == action
        assert parse_action(render_action(action).upper() + ".") == action


@pytest.mark.parametrize(
    "text",
    [
        "unstack the blue block from on top of the orange block",
        "Unstack blue from orange",
        "unstack the blue block off the orange block",
        "(UNSTACK blue orange)",
        "unstack blue block from on top of orange block.",
    ],
)
def test_actions_read_tolerantly(text: str) -> None:
    assert parse_action(text) == GroundAction("unstack", ("blue", "orange"))


@pytest.mark.parametrize(
    "text", ["", "fly the blue block", "stack the pink block on the blue block", "(stack blue)"]
)
def test_what_is_not_an_action_is_a_language_error(text: str) -> None:
    with pytest.raises(LanguageError):
        parse_action(text)


def test_every_state_an_instance_reaches_survives_the_words_round_trip() -> None:
    task = task_set("step_6")[0]
    seen = {task.init}
    frontier = [task.init]
    while frontier:
        facts = frontier.pop()
        assert parse_facts(render_facts(facts)) == facts
        assert parse_state_text(state_text(facts, task.goal)) == (facts, task.goal)
        for action in task.rules.applicable(facts):
            nxt = task.rules.apply(facts, action)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert len(seen) > 50


def test_the_words_are_bw_configs() -> None:
    facts = frozenset({("on", "blue", "orange"), ("clear", "blue"), ("handempty",)})

    assert render_facts(facts) == (
        "the blue block is clear, the hand is empty, the blue block is on top of the orange block"
    )
    assert render_action(GroundAction("stack", ("red", "blue"))) == (
        "stack the red block on top of the blue block"
    )


def test_action_lines_skips_prose_and_numbering() -> None:
    text = "[PLAN]\nStep 1: pick up the red block\n- stack the red block on the blue block\nDone!"

    assert action_lines(text) == ["pick up the red block", "stack the red block on the blue block"]


def test_rules_enumerate_every_grounding_and_check_preconditions() -> None:
    bw = rules(("red", "blue"))
    everything = list(bw.all_actions())
    start = frozenset(
        {
            ("ontable", "red"),
            ("ontable", "blue"),
            ("clear", "red"),
            ("clear", "blue"),
            ("handempty",),
        }
    )

    assert len(everything) == 2 + 2 + 2 + 2
    assert sorted(a.pddl for a in bw.applicable(start)) == ["(pick-up blue)", "(pick-up red)"]
    with pytest.raises(ValueError, match="does not apply"):
        bw.apply(start, GroundAction("put-down", ("red",)))
    assert next(bw.all_actions()).name == "pick-up"
