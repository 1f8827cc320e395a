"""RAFA in a turn-based match as the paper's Tic-Tac-Toe code runs it.

The player plans each move with a :class:`~rafa_async.planners.SearchToEndPlanner`
(search to the end of the game with learned models) and learns the way the
paper's ``MPCAgent`` does (``agentification/RAFA_code``,
``Tic-Tac-Toe/run.py`` ``battle``: ``update_oppo_model``,
``update_dynamics_model``, ``update_eval_model``): after every real move it
asks each model what it would have said -- the opponent's reply (for the
opponent's moves), the board after the move, the winner on the new board --
and only where the :class:`~rafa_async.agents.SwitchingCondition` says so
(by default ``on-misprediction``: the model was wrong) it adds the observed
truth to memory as an in-context example and drops every memoised plan
(:meth:`~rafa_async.planners.SearchToEndPlanner.invalidate`): the posterior,
and with it the policy, changes at that moment and at no other.

With ``learn=False`` (the paper's evaluation games) it neither checks nor
learns: no extra calls, memory and memo untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol

import anyio

from rafa_async._events import MatchEnded, MatchTransition, TurnStarted
from rafa_async._match import Seat
from rafa_async.agents._match_player import PlayerStats, _submit_first, stable_salt
from rafa_async.agents._memory import Memory
from rafa_async.agents._switching import (
    StepObserved,
    SwitchingCondition,
    SwitchOnMisprediction,
)
from rafa_async.planners import LearnedGameModel, SearchToEndPlanner
from rafa_async.planners._base import S

ModelName = Literal["opponent", "dynamics", "winner"]


class ExampleModel(LearnedGameModel[S], Protocol[S]):
    """What the player needs besides the planner's models: real states from
    the host's keys, and each model's example in the scenario's phrasing."""

    def state_from_key(self, key: str) -> S: ...

    def opponent_example(self, player: str, move: str, state: S) -> str: ...

    def transition_example(self, player: str, move: str, state: S, after: S) -> str: ...

    def winner_example(self, state: S, verdict: str) -> str: ...


@dataclass(slots=True)
class LearningStats:
    """Per model: how many real moves it was checked on, and how many times it
    learnt (a switch: its example added to memory -- which keeps a line once --
    and, if memory grew, the memo dropped)."""

    checked: dict[str, int]
    learnt: dict[str, int]

    @classmethod
    def empty(cls) -> LearningStats:
        names = ("opponent", "dynamics", "winner")
        return cls(dict.fromkeys(names, 0), dict.fromkeys(names, 0))


class SearchToEndPlayer(Generic[S]):
    """RAFA with a search-to-end planner and misprediction-driven learning
    (see the module docstring).  ``memory`` holds the models' examples and
    persists across matches when given; the planner's memo persists with the
    player object (a player may play several matches one after another)."""

    def __init__(
        self,
        planner: SearchToEndPlanner[S],
        model: ExampleModel[S],
        *,
        memory: Memory | None = None,
        switching: SwitchingCondition | None = None,
        learn: bool = True,
        name: str = "rafa-search",
    ) -> None:
        self.planner = planner
        self.model = model
        self.memory = memory if memory is not None else Memory()
        self.switching = switching if switching is not None else SwitchOnMisprediction()
        self.learn = learn
        self.name = name
        self.stats = PlayerStats()
        self.learning = LearningStats.empty()
        self._playing: anyio.Event | None = None

    def frozen(self) -> SearchToEndPlayer[S]:
        """A non-learning twin for an evaluation game: copies of the memory and
        the memo, so nothing it does reaches this player."""
        return SearchToEndPlayer(
            self.planner.copy(),
            self.model,
            memory=self.memory.copy(),
            switching=self.switching,
            learn=False,
            name=self.name,
        )

    async def play(self, seat: Seat[Any]) -> None:
        """Plan on this player's turns and learn from every move, until the
        match ends (or the match cancels it)."""
        self._playing = playing = anyio.Event()
        try:
            await self._play(seat)
        finally:
            playing.set()

    async def settled(self) -> None:
        """Return once :meth:`play` has returned: the match's last move learnt.

        The host cancels its players when its ``open_match`` block exits, and
        the last move is checked after the match has ended, so a host that
        wants it learnt (as the paper's loop does) awaits this inside the
        block.  Cancellable; returns at once when no match is being played.
        """
        if self._playing is not None:
            await self._playing.wait()

    async def _play(self, seat: Seat[Any]) -> None:
        before: S = seat.state
        async for _, event in seat.events:
            if isinstance(event, MatchEnded):
                return
            if isinstance(event, MatchTransition):
                after = self.model.state_from_key(event.state)
                if self.learn:
                    await self._check(seat.player, event, before, after)
                before = after
            elif isinstance(event, TurnStarted) and seat.called(event):
                state: S = seat.state
                salt = stable_salt(self.model.key(state))
                plan = await self.planner.plan(
                    state, self.memory.lines(), player=seat.player, salt=salt
                )
                self.stats.plans += 1
                self.stats.completed += 1
                _submit_first(seat, plan, event.turn, self.stats, remember=None)

    async def _check(self, me: str, event: MatchTransition, before: S, after: S) -> None:
        """Ask each model about the move just made; learn where it was wrong."""
        ((mover, move),) = event.actions.items()
        memory = self.memory.lines()
        salt = stable_salt(self.model.key(before))
        examples: list[tuple[ModelName, str]] = []
        planner, model = self.planner, self.model

        def judge(name: ModelName, predicted: str, observed: str, example: str) -> None:
            self.learning.checked[name] += 1
            step = StepObserved(predicted=predicted, observed=observed, accepted=True, remaining=0)
            if self.switching.should_switch(step):
                examples.append((name, example))

        async def opponent() -> None:
            reply = await planner.predict(before, memory, salt=salt)
            predicted = "" if reply is None else reply.action
            judge("opponent", predicted, move, model.opponent_example(mover, move, before))

        async def dynamics() -> None:
            board = await planner.transition(before, mover, move, memory, salt=salt)
            predicted = "" if board is None else model.key(board)
            example = model.transition_example(mover, move, before, after)
            judge("dynamics", predicted, model.key(after), example)

        async def winner() -> None:
            verdict = await planner.winner(after, memory, salt=salt)
            truth = _verdict(event)
            judge("winner", verdict or "", truth, model.winner_example(after, truth))

        async with anyio.create_task_group() as tg:
            if mover != me:
                tg.start_soon(opponent)
            tg.start_soon(dynamics)
            tg.start_soon(winner)
        known = len(self.memory)
        for name, example in sorted(examples):  # one order whatever the timing
            self.memory.add(example)
            self.learning.learnt[name] += 1
        if len(self.memory) > known:  # a prompt changed (memory keeps a line once)
            planner.invalidate()


def _verdict(event: MatchTransition) -> str:
    """The true verdict after a move, from the host's rewards: the player
    rewarded 1 at the end won; an end without one is a draw."""
    if not event.done:
        return "none"
    winners = [player for player, reward in event.rewards.items() if reward > 0]
    return winners[0] if winners else "draw"
