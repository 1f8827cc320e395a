"""What two-player alternating board games (tic-tac-toe, Connect Four) share.

A board game supplies its state type (:class:`BoardState`), its rules and
search; this module holds the plumbing around them that does not depend on
the board: the strict :class:`~rafa_async.Game` (:class:`BoardGame`), the
LLM-facing world model (:class:`BoardWorld`, built from a
:class:`BoardLanguage`), the sim oracle's dispatch and opponent-model beliefs
(:class:`BoardOracle`), and the observed-move facts both the game's feedback
and the sim read.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

from rafa_async import NOOP, MalformedResponse, ProviderError, Step
from rafa_async.llm import ChatRequest, Intent, IntentKind, Message, SimContext

from ._prompting import memory_block as memory_block

Facts = Mapping[str, tuple[str, ...]]
"""The moves memory says were played in each position: ``{key: (move, ...)}``."""


class BoardState(Protocol):
    """A position of a two-player alternating game, immutable and named by its key."""

    @property
    def key(self) -> str: ...
    @property
    def to_play(self) -> str: ...
    @property
    def moves(self) -> int: ...
    @property
    def winner(self) -> str | None: ...
    @property
    def done(self) -> bool: ...
    @property
    def result(self) -> str: ...
    def legal_moves(self) -> tuple[str, ...]: ...
    def play(self, move: str, /) -> Self: ...
    def render(self) -> str: ...


S = TypeVar("S", bound=BoardState)
M = TypeVar("M")


# -- observed moves ------------------------------------------------------------------


def played_fact(player: str, move: str, key: str) -> str:
    """``"<player> played <move> in <key>"`` -- ``key`` is the position ``player`` faced.

    No full stop: keys may end in ``.`` (an empty cell) and a reader should
    not have to guess where one ends.
    """
    return f"{player} played {move} in {key}"


def read_played_facts(
    lines: Iterable[str], fact: re.Pattern[str], state_from_key: Callable[[str], S]
) -> dict[str, tuple[str, ...]]:
    """The moves ``lines`` say were played in each position (``fact`` matches a
    :func:`played_fact` with groups ``player``, ``move`` and ``key``), oldest
    first, repeats kept (they are evidence of a habit).

    A "fact" the rules contradict (the wrong player, an illegal move, an
    unreachable position) is not an observation of this game and is ignored.
    """
    facts: dict[str, list[str]] = {}
    for line in lines:
        for match in fact.finditer(line):
            try:
                state = state_from_key(match.group("key"))
            except ValueError:
                continue
            move = match.group("move")
            if state.to_play != match.group("player") or move not in state.legal_moves():
                continue
            facts.setdefault(state.key, []).append(move)
    return {key: tuple(moves) for key, moves in facts.items()}


# -- prompts -------------------------------------------------------------------------

_EARLIER = "What happened in earlier moves and games:"
_OPPONENT_BEFORE = "Moves this opponent made before (the key is the position):"


def position_block(state: BoardState) -> str:
    return f"Position {state.key}:\n{state.render()}\n"


def board_propose_prompt(
    rules: str, example: str, state: BoardState, memory: Sequence[str], *, noun: str
) -> str:
    """The actor's prompt: answer ``Move: <noun>`` for the player to move."""
    facts = memory_block(memory, _EARLIER)
    return (
        f"{rules}\n\n{example}\n\n{facts}{position_block(state)}"
        f"You play {state.to_play} and it is your move. Choose one good move; use what you "
        f"know about how this opponent plays.\nAnswer with one line: Move: <{noun}>"
    )


def board_predict_prompt(
    rules: str, state: BoardState, memory: Sequence[str], *, noun: str, guess: str
) -> str:
    """The opponent model's prompt: ``guess`` what the player to move will do
    (``"move {p} will actually make"``); answer ``Opponent reply: <noun>``."""
    facts = memory_block(memory, _OPPONENT_BEFORE)
    opponent = state.to_play
    return (
        f"{rules}\n\n{facts}{position_block(state)}"
        f"It is {opponent}'s move. Predict the {guess.format(p=opponent)}. If you "
        f"have seen {opponent} in this exact position before, expect the same habit; "
        f"otherwise expect a sensible move.\nAnswer with one line: Opponent reply: <{noun}>"
    )


def board_value_prompt(
    rules: str, state: BoardState, player: str, memory: Sequence[str], *, scale: str
) -> str:
    """The critic's prompt: ``state``'s value to ``player``, ``scale`` saying what
    the numbers from -1 to 1 mean."""
    facts = memory_block(memory, _EARLIER)
    return (
        f"{rules}\n\n{facts}{position_block(state)}{state.result}.\n"
        f"How good is this position for {player}, given how the opponent plays? {scale}\n"
        "Answer with one line: Value: <number from -1 to 1>"
    )


# -- the game ------------------------------------------------------------------------


class BoardGame(ABC, Generic[S]):
    """The strict :class:`~rafa_async.Game` rules every board game shares.

    ``step`` is pure and strict: a wrong player, a missing action, an illegal
    move or :data:`~rafa_async._game.NOOP` (board games have no ticks to
    miss) raise ``ValueError``.  Rewards are 0 until the end, then 1 for the
    winner and -1 for the loser (0 each on a draw).  Both players get the same
    feedback, which begins with the :func:`played_fact` the sim learns from.
    """

    name: str
    players: tuple[str, str]
    title: str
    """The game's name at the start of an observation (``"Tic-tac-toe"``)."""
    draw_text: str
    """How a drawn game is announced."""

    @abstractmethod
    def reset(self, seed: int) -> S: ...

    @abstractmethod
    def _win_text(self, state: S) -> str:
        """How ``state``'s win is announced (``state.winner`` is set)."""

    def to_move(self, state: S) -> tuple[str, ...]:
        return () if state.done else (state.to_play,)

    def legal_actions(self, state: S, player: str) -> tuple[str, ...]:
        """The legal moves of the player to move; nothing for anyone else."""
        self._check_player(player)
        return state.legal_moves() if player in self.to_move(state) else ()

    def step(self, state: S, actions: Mapping[str, str]) -> Step[S]:
        name = self.name
        if state.done:
            raise ValueError(f"{name}: the game is over ({state.result}); no more moves")
        mover = state.to_play
        others = sorted(p for p in actions if p != mover)
        if others:
            raise ValueError(f"{name}: it is {mover}'s turn; {', '.join(others)} may not move now")
        if mover not in actions:
            raise ValueError(f"{name}: no action for {mover}, whose turn it is")
        action = actions[mover]
        if action == NOOP:
            raise ValueError(f"{name}: {mover} must move; {NOOP!r} is not a move here")
        nxt = state.play(action)
        text = f"{played_fact(mover, action, state.key)}, giving {nxt.key}; {self._outcome(nxt)}"
        rewards = dict.fromkeys(self.players, 0.0)
        if nxt.winner is not None:
            rewards = {p: 1.0 if p == nxt.winner else -1.0 for p in self.players}
        return Step(
            nxt,
            rewards=rewards,
            feedback=dict.fromkeys(self.players, text),
            done=nxt.done,
        )

    def observe(self, state: S, player: str) -> str:
        self._check_player(player)
        return (
            f"{self.title}, position {state.key} after {state.moves} moves\n"
            f"{state.render()}\nYou play {player}. {self._outcome(state)}"
        )

    def render(self, state: S) -> str:
        """The position's key: compact, and enough to rebuild the state."""
        return state.key

    def scores(self, state: S) -> dict[str, float]:
        """1 for a win, 0.5 for a draw, 0 for a loss.  A game stopped early (a
        host's turn limit) stands as a draw: nobody has won yet."""
        winner = state.winner
        if winner is None:
            return dict.fromkeys(self.players, 0.5)
        return {p: 1.0 if p == winner else 0.0 for p in self.players}

    def _check_player(self, player: str) -> None:
        if player not in self.players:
            known = ", ".join(self.players)
            raise ValueError(f"{self.name}: unknown player {player!r} (players: {known})")

    def _outcome(self, state: S) -> str:
        if state.winner is not None:
            return self._win_text(state)
        if state.done:
            return self.draw_text
        return f"{state.to_play} to move."


# -- the world model -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardLanguage(Generic[S, M]):
    """How one board game is put to an LLM and read back: what a
    :class:`BoardWorld` needs besides the plumbing."""

    scenario: str
    state_from_key: Callable[[str], S]
    opponent: Callable[[str], str]
    """The other player; ``ValueError`` for an unknown one."""
    make_move: Callable[[str, S], M]
    """The world's move record from an action and the position it leads to."""
    propose_prompt: Callable[[S, Sequence[str]], str]
    predict_prompt: Callable[[S, Sequence[str]], str]
    value_prompt: Callable[[S, str, Sequence[str]], str]
    parse_move: Callable[[str], str]
    parse_reply: Callable[[str], str]
    parse_value: Callable[[str], float]


class BoardWorld(Generic[S, M]):
    """Requests carry ``Intent(state=<key>, detail=<player>)``: for ``propose`` and
    ``predict`` the player to move (the agent, or the opponent being modelled),
    for ``evaluate`` the player whose value is asked."""

    def __init__(self, language: BoardLanguage[S, M], *, model: str = "default") -> None:
        self._language = language
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: S,
        memory: tuple[str, ...],
        sample: int,
        player: str,
    ) -> ChatRequest:
        intent = Intent(
            kind=kind,
            scenario=self._language.scenario,
            state=state.key,
            memory=memory,
            sample=sample,
            detail=player,
        )
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    def key(self, state: S) -> str:
        return state.key

    def state_from_key(self, key: str) -> S:
        return self._language.state_from_key(key)

    def is_terminal(self, state: S) -> bool:
        return state.done

    def outcome(self, state: S, player: str) -> float:
        """A finished game's value to ``player`` by the rules: 1 win, 0 draw, -1 loss."""
        self._language.opponent(player)  # rejects an unknown player
        if not state.done:
            raise ValueError(f"no outcome yet: the game is not over ({state.result})")
        winner = state.winner
        return 0.0 if winner is None else (1.0 if winner == player else -1.0)

    # -- actor -------------------------------------------------------------------

    def propose_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask for a move for the player to move.  ``ValueError`` if the game is over."""
        _require_open(state, "propose a move")
        memory = tuple(memory)
        prompt = self._language.propose_prompt(state, memory)
        return self._ask("propose", prompt, state, memory, sample, state.to_play)

    def parse_move(self, state: S, text: str) -> M:
        return self._apply(state, self._language.parse_move(text), text, "proposed")

    def parse_proposal(self, state: S, text: str) -> M:
        """``WorldModel`` name for :meth:`parse_move`."""
        return self.parse_move(state, text)

    # -- opponent model ----------------------------------------------------------

    def predict_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask what the player to move in ``state`` (the opponent) will play."""
        _require_open(state, "predict a reply")
        memory = tuple(memory)
        prompt = self._language.predict_prompt(state, memory)
        return self._ask("predict", prompt, state, memory, sample, state.to_play)

    def parse_reply(self, state: S, text: str) -> M:
        return self._apply(state, self._language.parse_reply(text), text, "predicted")

    # -- critic ------------------------------------------------------------------

    def evaluate_request(
        self,
        state: S,
        memory: Sequence[str],
        sample: int,
        player: str | None = None,
    ) -> ChatRequest:
        """Ask for ``state``'s value to ``player``; by default (None or "") the
        player who just moved, as a planner scores the positions its own
        proposals reach."""
        who = player or self._language.opponent(state.to_play)
        self._language.opponent(who)  # rejects an unknown player
        memory = tuple(memory)
        prompt = self._language.value_prompt(state, who, memory)
        return self._ask("evaluate", prompt, state, memory, sample, who)

    def parse_value(self, text: str) -> float:
        return self._language.parse_value(text)

    def _apply(self, state: S, action: str, text: str, how: str) -> M:
        try:
            return self._language.make_move(action, state.play(action))
        except ValueError as error:
            raise MalformedResponse(f"{how} move is not legal here: {error}", text=text) from None


def _require_open(state: BoardState, what: str) -> None:
    if state.done:
        raise ValueError(f"cannot {what}: the game is over ({state.result})")


# -- the sim oracle ------------------------------------------------------------------


class BoardOracle(ABC, Generic[S]):
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format.

    Subclasses supply the truth (:meth:`_best_moves`, :meth:`_believed_best`,
    :meth:`_evaluate`); this class reads the intent, and models the opponent
    from memory: a reply seen in the same position is predicted again
    (sampled by how often it was seen), else a best reply, persistently wrong
    for a ``wrong_belief_rate`` share of positions and wrong by chance at
    ``arithmetic_error_rate``.
    """

    scenario: str
    players: tuple[str, str]
    chatter: tuple[str, ...]
    """What a garbled answer says instead of answering."""

    @abstractmethod
    def _state_from_key(self, key: str) -> S: ...

    @abstractmethod
    def _memory_facts(self, memory: tuple[str, ...]) -> Facts: ...

    @abstractmethod
    def _best_moves(self, state: S) -> tuple[str, ...]:
        """The moves the truth says are best for the player to move."""

    @abstractmethod
    def _believed_best(
        self, ctx: SimContext, state: S, mover: str, facts: Facts
    ) -> tuple[str, ...]:
        """The legal moves ``mover`` believes best, in ``legal_moves`` order."""

    @abstractmethod
    def _evaluate(self, ctx: SimContext, state: S, facts: Facts) -> str: ...

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        state = self._state(ctx)
        facts = self._memory_facts(ctx.intent.memory)
        if kind == "propose":
            return self._propose(ctx, state, facts)
        if kind == "predict":
            return self._predict(ctx, state, facts)
        if kind == "evaluate":
            return self._evaluate(ctx, state, facts)
        raise ProviderError(f"sim: {self.scenario} does not answer {kind!r} intents", status=400)

    def garble(self, text: str, rng: random.Random) -> str:
        choice = rng.randrange(3)
        if choice == 0:
            return rng.choice(self.chatter) + "..."
        if choice == 1:
            return text[: max(1, len(text) // 3)]
        return "".join(ch for ch in text if not ch.isdigit())

    def _propose(self, ctx: SimContext, state: S, facts: Facts) -> str:
        legal = state.legal_moves()
        if not legal:
            return f"The game is over ({state.result}); there is no move to make."
        mover = self._player(ctx, state.to_play)
        pool = legal
        if ctx.chance(ctx.noise.proposal_quality):
            pool = self._believed_best(ctx, state, mover, facts)
        return f"Move: {pick(ctx, state, pool)}"

    def _predict(self, ctx: SimContext, state: S, facts: Facts) -> str:
        legal = state.legal_moves()
        if not legal:
            return f"The game is over ({state.result}); nobody moves."
        self._player(ctx, state.to_play)
        seen = facts.get(state.key)
        if seen:
            move = ctx.rng.choice(seen)
        elif ctx.chance(ctx.noise.arithmetic_error_rate):
            move = ctx.rng.choice(legal)
        else:
            pool = self._best_moves(state)
            others = [m for m in legal if m not in pool]
            if others and not ctx.prior_belief(f"{self.scenario} reply {state.key}", True):
                pool = (max(others, key=lambda m: ctx.preference(f"{state.key}|{m}")),)
            move = pick(ctx, state, pool)
        return f"Opponent reply: {move}"

    def _state(self, ctx: SimContext) -> S:
        try:
            return self._state_from_key(ctx.intent.state)
        except ValueError as error:
            raise ProviderError(f"sim: {error}", status=400) from None

    def _player(self, ctx: SimContext, mover: str | None) -> str:
        """The intent's player (``detail``): the mover for propose and predict (may be
        left empty), one of the players for evaluate."""
        player = ctx.intent.detail
        if mover is not None and player in ("", mover):
            return mover
        if mover is None and player in self.players:
            return player
        raise ProviderError(
            f"sim: {self.scenario} {ctx.intent.kind} intent names player {player!r}, "
            f"expected {mover or ' or '.join(self.players)} in {ctx.intent.state}",
            status=400,
        )


def pick(ctx: SimContext, state: BoardState, pool: tuple[str, ...]) -> str:
    """One of ``pool``, weighted by the sim's persistent per-move preferences."""
    weights = [ctx.preference(f"{state.key}|{m}") for m in pool]
    return ctx.rng.choices(pool, weights)[0]


def habit(seen: tuple[str, ...]) -> str:
    """The reply seen most often (the latest among equals)."""
    counts = Counter(seen)
    return max(reversed(seen), key=lambda m: counts[m])


class RandomPolicy(Generic[S]):
    """Plays a uniformly random legal move, from its own seeded generator."""

    def __init__(self, *, seed: int = 0) -> None:
        self.name = f"random(seed={seed})"
        self._rng = random.Random(seed)

    def move(self, state: S) -> str:
        legal = state.legal_moves()
        if not legal:
            raise ValueError(f"no move in a finished game ({state.result})")
        return self._rng.choice(legal)
