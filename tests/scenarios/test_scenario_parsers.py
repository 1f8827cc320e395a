"""What each scenario reads from text: what LLMs write about it, and its state keys.

Parsers are forgiving about form (bold, backticks, bullets, ``Move for X:``,
the answer on the line after its label, a revised answer, plain words) and
strict about content: an answer that is unclear raises
:class:`~rafa_async.MalformedResponse` saying what was expected.  A state's
key (what the sim rebuilds the state from) is read strictly: a key of no
reachable state raises ``ValueError`` naming the problem.  Each scenario has
its own examples below (the Game of 24's richer readings are in
``test_game24_parsers.py``); two tests read them all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from rafa_async import MalformedResponse
from rafa_async.scenarios import connect4, game24, gridworld, ipd, nim, tictactoe

Parse = Callable[[str], Any]


def examples(parse: Parse, name: str, rows: list[tuple[str, Any]]) -> list[Any]:
    return [pytest.param(parse, text, expected, id=f"{name}:{text!r}") for text, expected in rows]


def refusals(parse: Parse, name: str, problem: str, texts: tuple[str, ...]) -> list[Any]:
    """Answers ``parse`` refuses alike, saying ``problem``."""
    return examples(parse, name, [(text, problem) for text in texts])


def prediction(*opponents: str) -> Parse:
    return partial(ipd.parse_prediction, opponents=list(opponents))


READ = [
    *examples(
        tictactoe.parse_move,
        "tictactoe move",
        [
            ("Move: b2", "b2"),
            ("**Move:** B2", "b2"),
            ("Move for X: `c1`", "c1"),
            ("I must block the diagonal.\nMove: c3 (blocks a1-b2-c3)", "c3"),
            ("Move:\n\na3", "a3"),
            ("Move: the centre", "b2"),
            ("Move: top left corner", "a3"),
            ("Move: a1\nOn reflection that loses.\nMove: c1", "c1"),
            ("b2", "b2"),
            ("- b2", "b2"),
            ("Bottom right.", "c1"),
        ],
    ),
    *examples(
        tictactoe.parse_reply,
        "tictactoe reply",
        [
            ("Opponent reply: a1", "a1"),
            ("O's move: c3", "c3"),
            ("Predicted reply for O: **b2**", "b2"),
            ("Prediction: bottom left", "a1"),
        ],
    ),
    *examples(
        tictactoe.parse_value,
        "tictactoe value",
        [
            ("Value: 0.5", 0.5),
            ("X can force a win.\nValue: 1", 1.0),
            ("**Value:** -1.0", -1.0),
            ("Value for O: 1/2", 0.5),
            ("Score: −0.25", -0.25),
            ("Value: draw (neither side can win)", 0.0),
            ("Value: loss", -1.0),
            ("win", 1.0),
            ("0.75", 0.75),
            ("-1", -1.0),
            ("- Value: -0.5", -0.5),
        ],
    ),
    *examples(
        connect4.parse_move,
        "connect4 move",
        [
            ("Move: 4", "4"),
            ("**Move:** column 4", "4"),
            ("Move for R: `5`", "5"),
            ("I must block.\nMove: 3 (blocks the row; 2 pieces high)", "3"),
            ("Move:\n\n7", "7"),
            ("Move: the centre", "4"),
            ("Move: column five", "5"),
            ("Move: 2\nActually that loses.\nMove: 6", "6"),
            ("4", "4"),
            ("Column 1.", "1"),
        ],
    ),
    *examples(
        connect4.parse_reply,
        "connect4 reply",
        [("Opponent reply: 3", "3"), ("Y's move: column 6", "6"), ("Prediction: **2**", "2")],
    ),
    *examples(
        connect4.parse_value,
        "connect4 value",
        [
            ("Value: 0.35", 0.35),
            ("R is better here.\nValue: -0.20", -0.2),
            ("**Value:** 1", 1.0),
            ("Value: win", 1.0),
            ("-0.5", -0.5),
        ],
    ),
    *examples(
        nim.parse_move,
        "nim move",
        [
            ("Move: 2:3", "2:3"),
            ("**Move:** `1 : 2`", "1:2"),
            ("Move for A: 1:2 (leaves a nim-sum of 0)", "1:2"),
            ("Move:\n\n3:1", "3:1"),
            ("Move: take 3 from heap 2", "2:3"),
            ("Move: I take 2 objects from the heap 1, as planned", "1:2"),
            ("Move: 1:1\nNo, that loses.\nMove: 3:4", "3:4"),
            ("2:3", "2:3"),
            ("- 2:3.", "2:3"),
            ("Remove 4 stones from pile 3.", "3:4"),
        ],
    ),
    *examples(
        nim.parse_reply,
        "nim reply",
        [
            ("Opponent reply: 2:3", "2:3"),
            ("B's move: 3:5", "3:5"),
            ("Prediction for B: **1:1**", "1:1"),
            ("Prediction: take 1 from heap 3", "3:1"),
        ],
    ),
    *examples(
        nim.parse_value,
        "nim value",
        [
            ("Value: 1", 1.0),
            ("A's opponent can force a win.\nValue: -1", -1.0),
            ("Value: win", 1.0),
        ],
    ),
    *examples(
        ipd.parse_move,
        "ipd move",
        [
            ("Move: C", "C"),
            ("move: d", "D"),
            ("**Move:** `D`", "D"),
            ("Move for p1: Cooperate", "C"),
            ("I think defecting pays here.\nMove: D (defect)", "D"),
            ("Move:\nC", "C"),
            ("Move: C\nOn reflection...\nMove: D", "D"),
            ("Move: I will defect this round", "D"),
            ("D", "D"),
            ("Cooperate.", "C"),
        ],
    ),
    *examples(
        prediction("p2"),
        "ipd prediction of p2",
        [
            ("Prediction: p2 plays D", {"p2": "D"}),
            ("p2 looks like tit-for-tat.\nPrediction: p2 plays C", {"p2": "C"}),
            ("Prediction: D", {"p2": "D"}),
            ("**Prediction:** p2 will defect", {"p2": "D"}),
        ],
    ),
    *examples(
        prediction("p1", "p3"),
        "ipd prediction of p1 and p3",
        [
            ("Prediction: p3 plays C, p1 plays D", {"p1": "D", "p3": "C"}),
            ("Prediction: p1: D; p3 = cooperate", {"p1": "D", "p3": "C"}),
        ],
    ),
    *examples(
        prediction("p2", "p3"),
        "ipd prediction of p2 and p3",
        [("p2 plays D and p3 plays C.", {"p2": "D", "p3": "C"})],
    ),
    *examples(
        ipd.parse_value,
        "ipd value",
        [
            ("Value: 0.4", 0.4),
            ("p1 can expect about 62 of 100.\nValue: -0.25", -0.25),
            ("**Value**: 1/2", 0.5),
            ("Value: −1", -1.0),
            ("0.75", 0.75),
        ],
    ),
    *examples(
        gridworld.parse_move,
        "gridworld move",
        [
            ("Move: N", "N"),
            ("**Move:** e", "E"),
            ("The nearest food is east.\nMove: W", "W"),
            ("Move for a3: north, toward the food at (3, 2)", "N"),
            ("Move:\nS", "S"),
            ("Move: N\nWait, no.\nMove: stay", "stay"),
            ("go left.", "W"),
            ("Action: down", "S"),
            ("Move: wait", "stay"),
        ],
    ),
    *examples(
        gridworld.parse_position,
        "gridworld position",
        [
            ("Next position: (3, 4)", (3, 4)),
            ("Moving N from (3, 5).\nNext position: (3,4)", (3, 4)),
            ("next position: 3, 4 (unchanged)", (3, 4)),
            ("Position: x=7, y=0", (7, 0)),
            ("(2, 9)", (2, 9)),
        ],
    ),
    *examples(
        gridworld.parse_value,
        "gridworld value",
        [
            ("Value: 0.8", 0.8),
            ("Value: 1", 1.0),
            ("value: 75%", 0.75),
            ("1/4", 0.25),
            ("Score: .5", 0.5),
        ],
    ),
]

TTT_MOVE = "expected a line 'Move: <cell>'"
C4_MOVE = "expected a line 'Move: <column>'"
NIM_MOVE = "expected a line 'Move: <heap>:<count>'"
VALUE = "expected a line 'Value: <number from -1 to 1>'"

REFUSED = [
    *refusals(
        game24.parse_step,
        "game24 step",
        "expected a step like",
        (
            "",
            "Let me think about this step by step.",
            "4 + 9 = (left: 10 13 13)",
            " +  = 13 (left:   )",
            "4 9 10 13",
        ),
    ),
    *examples(
        game24.parse_value,
        "game24 value",
        [("10 + 14 = 24, so I think we can do it", "sure, likely or impossible")],
    ),
    *examples(
        game24.parse_answer,
        "game24 answer",
        [
            ("4 + 8 = 12\n6 - 4 = 2\n2 * 12 = 24", "expected a line 'Answer: "),
            ("Answer: = 24", "no expression"),
        ],
    ),
    *refusals(
        game24.parse_reflection,
        "game24 reflection",
        "expected a reflection",
        ("", "   \n ", "Reflection:", "Reflection:   \n"),
    ),
    *examples(
        tictactoe.parse_move,
        "tictactoe move",
        [
            ("Move: d4", "naming one cell a1..c3"),
            ("Move: I'd play c1, not a1", "found several cells: a1, c1"),
            ("I'd play b2", TTT_MOVE),
            ("Let me think about this position...", TTT_MOVE),
            ("Move: ", TTT_MOVE),
        ],
    ),
    *examples(
        tictactoe.parse_value,
        "tictactoe value",
        [
            ("Value: 1.5", "1.5 is outside"),
            ("Value: X is winning", VALUE),
            ("Value: not sure", VALUE),
            ("X can force a win.", VALUE),
            ("Value: ", VALUE),
        ],
    ),
    *examples(
        connect4.parse_move,
        "connect4 move",
        [
            ("Move: 8", "8 is not a column 1..7"),
            ("Move: 0", "0 is not a column 1..7"),
            ("Move: I'd play 3 rather than 5", "found several: 3, 5"),
            ("I think 4", C4_MOVE),
            ("Move: 4.5", C4_MOVE),
            ("Let me check every diagonal...", C4_MOVE),
        ],
    ),
    *examples(
        connect4.parse_value,
        "connect4 value",
        [("Value: -1.5", VALUE), ("Value: R is winning", VALUE), ("Value: .", VALUE)],
    ),
    *examples(
        nim.parse_move,
        "nim move",
        [
            ("Move: 2:0", "2:0 is not a move"),
            ("Move: 0:3", "0:3 is not a move"),
            ("Move: I'd take 1:1 rather than 2:3", "found several moves: 1:1, 2:3"),
            ("I take 2:3", NIM_MOVE),
            ("Move: 2", NIM_MOVE),
            ("Move: 2:3:4", NIM_MOVE),
            ("Move: 2:3.5", NIM_MOVE),
            ("Let me count the heaps...", NIM_MOVE),
        ],
    ),
    *examples(nim.parse_value, "nim value", [("Value: 2", "2 is outside"), ("Value: A", VALUE)]),
    *examples(
        ipd.parse_move,
        "ipd move",
        [
            ("I would rather not say.", "expected a line 'Move: C' or 'Move: D'"),
            ("Move: C or D, hard to say", "names both C and D"),
            ("Move: ", "expected a line"),
            ("I defect", "expected a line"),
            ("Mov", "expected a line"),
        ],
    ),
    *examples(
        prediction("p2", "p3"),
        "ipd prediction of p2 and p3",
        [
            ("Prediction: p2 plays D", "no move for p3"),
            ("Prediction: D", "expected a line 'Prediction: p2 plays <C or D>, p3"),
        ],
    ),
    *examples(
        prediction("p2"),
        "ipd prediction of p2",
        [
            ("Prediction: p1 plays D", "p1 is not an opponent"),
            ("Prediction: p2 plays D, p2 plays C", "p2 is given both C and D"),
            ("Prediction: p2 is hard to read", "expected a line"),
            ("I expect p2 plays D unless p2 plays C", "expected a line"),
            ("", "expected a line"),
        ],
    ),
    *examples(
        ipd.parse_value,
        "ipd value",
        [
            ("Value: 62", r"62 is outside \[-1, 1\]"),
            ("Value: high", VALUE),
            ("about 62 of 100", "expected a line"),
            ("Value: 1/0", "got '1/0'"),
        ],
    ),
    *refusals(
        gridworld.parse_move,
        "gridworld move",
        "Move: <N, S, E, W or stay>",
        ("", "Move: northeast", "Move: N or E", "I think north is good", "Move: (3, 4)", "Mo"),
    ),
    *refusals(
        gridworld.parse_position,
        "gridworld position",
        r"Next position: \(x, y\)",
        ("", "Next position: somewhere north", "I will be at (3, 4)", "Next position: 3"),
    ),
    *refusals(
        gridworld.parse_value,
        "gridworld value",
        "Value: <number from 0 to 1>",
        ("", "Value: high", "Value: 1.5", "Value: -0.2", "about 0.5"),
    ),
]


@pytest.mark.parametrize(("parse", "text", "expected"), READ)
def test_a_parser_reads_what_an_llm_writes(parse: Parse, text: str, expected: Any) -> None:
    assert parse(text) == expected


BAD_KEYS = [
    *examples(
        tictactoe.state_from_key,
        "tictactoe key",
        [
            ("XX./.../...", "has 2 X and 0 O"),
            ("OO./X../...", "has 1 X and 2 O"),
            ("XXX/OOO/...", "only the player who moved last"),
            ("X../...", "expected three rows"),
            ("X../.Z./...", "unexpected 'Z'"),
        ],
    ),
    *examples(
        connect4.state_from_key,
        "connect4 key",
        [
            ("......./......./......./......./...R.../.......", "floats above an empty cell"),
            ("......./......./......./......./......./RR.....", "has 2 R and 0 Y"),
            ("......./......./RY...../RY...../RY...../RY.....", "only the player who moved last"),
            ("......./.......", "expected six rows"),
            ("......./......./......./......./......./...X...", "unexpected 'X'"),
        ],
    ),
    *examples(
        nim.state_from_key,
        "nim key",
        [
            ("3,4,5", "not a nim key"),
            ("3,4,5/C", "not a nim key"),
            ("3 4 5/A", "not a nim key"),
            ("3,4/A", "not a reachable nim position"),
            ("3,4,5,1/A", "not a reachable nim position"),
            ("3,9,5/A", "the heaps start at 3,4,5 and only shrink"),
        ],
    ),
    *examples(
        ipd.state_from_key,
        "ipd key",
        [
            ("CD/DD", "not an ipd key"),
            ("ipd n=2 rounds=20 payoffs=5,3,1,0 history=CDC", "a round needs 2 moves"),
            ("ipd n=2 rounds=1 payoffs=5,3,1,0 history=CC/CC", "the match is over"),
            ("ipd n=2 rounds=20 payoffs=5,3,1 history=-", "four numbers"),
            ("ipd n=2 rounds=20 payoffs=1,3,5,0 history=-", "T > R > P > S"),
            ("ipd n=2 rounds=20 payoffs=5,3,1,0 history=- pending=p3:C", "unknown player 'p3'"),
            ("ipd n=2 rounds=20 payoffs=5,3,1,0 history=- pending=p1:C", "names a pending round"),
        ],
    ),
    *refusals(
        gridworld.view_from_key,
        "gridworld view key",
        "not a gridworld view key",
        (
            "",
            "p=a0 at=1,1",
            "p=a0 at=1,1 t=1/9 map=5x5 v=1 eaten=0 food=4,4 agents=",
            "p=a0 at=9,1 t=1/9 map=5x5 v=1 eaten=0 food= agents=",
            "p=a0 at=1,1 t=1/9 map=5x5 v=1 eaten=0 food= agents= move=up",
            "p=a0 at=1,1 t=1/9 map=5x5 v=1 eaten=x food= agents=",
        ),
    ),
]


UNREADABLE = [
    *(pytest.param(*p.values, MalformedResponse, id=p.id) for p in REFUSED),
    *(pytest.param(*p.values, ValueError, id=p.id) for p in BAD_KEYS),
]


@pytest.mark.parametrize(("read", "text", "problem", "error"), UNREADABLE)
def test_unclear_text_is_refused_saying_what_was_expected(
    read: Parse, text: str, problem: str, error: type[Exception]
) -> None:
    with pytest.raises(error, match=problem) as info:
        read(text)
    if isinstance(info.value, MalformedResponse):
        assert info.value.text == text  # what the model said, for the trace
