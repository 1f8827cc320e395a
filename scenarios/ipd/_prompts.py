"""Prompt text for the iterated prisoner's dilemma: actor, opponent model, critic.

Each prompt states the rules with the match's payoffs, explains the profile
notation and the memory facts' phrasing, shows the history from the asking
player's seat and the memory lines, and asks for one labelled line, so the
same parsers read a real model's answer and the simulated one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._prompting import memory_block as _memory_block
from ._state import IPDState, PendingRound, Rules, player_index


def rules_text(rules: Rules) -> str:
    t, r, p, s = rules.payoffs
    last = f"p{rules.n_players}"
    return (
        f"Iterated prisoner's dilemma: {rules.n_players} players (p1..{last}), "
        f"{rules.rounds} rounds. Every round all players choose at once: C (cooperate) "
        "or D (defect). Every pair of players scores each round: both C: "
        f"{r:g} each; both D: {p:g} each; D against C: {t:g} for the defector, {s:g} for "
        "the cooperator. A player's round payoff is the sum over its pairs, and the totals "
        "add up over the rounds. A round's moves are written in seat order, p1 first: "
        f"{'CD' + 'C' * (rules.n_players - 2)} means p2 defected and everyone else "
        "cooperated. A memory line 'round 3: p2 played D after CD...' means p2 played D in "
        "round 3 when the previous round's moves were CD...; 'at the start' means round 1."
    )


def view(state: IPDState, player: str) -> str:
    """The history as ``player`` sees it: one line a round, its own move first."""
    me = player_index(player, state.rules.n_players)
    players = state.rules.players
    rounds = state.rules.rounds
    if state.done:
        lines = [f"You are {player}. The match is over after {rounds} rounds."]
    else:
        lines = [
            f"You are {player}. {state.played} of {rounds} rounds played; "
            f"round {state.played + 1} is next."
        ]

    def others(values: Sequence[str]) -> str:
        return "".join(
            f", {q} {v}" for i, (q, v) in enumerate(zip(players, values, strict=True)) if i != me
        )

    for number, profile in enumerate(state.history, 1):
        lines.append(f"round {number}: you {profile[me]}{others(profile)}")
    totals = [f"{t:g}" for t in state.totals]
    lines.append(f"Totals: you {totals[me]}{others(totals)}.")
    return "\n".join(lines)


def _opponents(rules: Rules, player: str) -> list[str]:
    return [q for q in rules.players if q != player]


def propose_prompt(state: IPDState, player: str, memory: Sequence[str]) -> str:
    facts = _memory_block(memory, "What happened in earlier rounds and matches:")
    return (
        f"{rules_text(state.rules)}\n\n{facts}{view(state, player)}\n\n"
        f"Choose your move for round {state.played + 1}. You want the highest total payoff "
        "for yourself by the end of the match; use what memory shows about how each "
        "opponent reacts.\nAnswer with one line: Move: C or Move: D"
    )


def predict_prompt(state: IPDState, player: str, memory: Sequence[str]) -> str:
    facts = _memory_block(memory, "How the other players moved before:")
    opponents = _opponents(state.rules, player)
    answer = ", ".join(f"{q} plays <C or D>" for q in opponents)
    return (
        f"{rules_text(state.rules)}\n\n{facts}{view(state, player)}\n\n"
        f"Predict the move of {', '.join(opponents)} in round {state.played + 1}. They move "
        "at the same time as you and do not see your move. If memory shows how a player "
        "reacted to rounds like the last one, expect the same habit; otherwise expect a "
        f"sensible player.\nAnswer with one line: Prediction: {answer}"
    )


def value_prompt(node: IPDState | PendingRound, player: str, memory: Sequence[str]) -> str:
    state = node.state if isinstance(node, PendingRound) else node
    facts = _memory_block(memory, "What happened in earlier rounds and matches:")
    lo, hi = state.rules.payoff_range()
    pending = ""
    if isinstance(node, PendingRound):
        pending = (
            f"{node.player} has chosen {node.action} for round {state.played + 1}; "
            "the others' moves are not known yet.\n"
        )
    return (
        f"{rules_text(state.rules)}\n\n{facts}{view(state, player)}\n{pending}\n"
        f"How good is this for {player}? Estimate {player}'s total payoff at the end of the "
        f"match if {player} plays its best from here and the others keep reacting as they "
        f"have. Give it on a scale from -1 (a total of {lo:g}, the least possible) to 1 "
        f"(a total of {hi:g}, the most possible).\n"
        "Answer with one line: Value: <number from -1 to 1>"
    )
