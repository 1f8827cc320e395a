"""A PettingZoo game played by our agents: a PettingZoo AEC env as a :class:`~rafa_async.Game`.

* :func:`from_aec` -- a PettingZoo AEC env (with ``Discrete`` actions) as a
  game our players can play in :func:`~rafa_async.open_match`
  (:class:`PettingZooGame`, whose states are :class:`PettingZooState` s).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rafa_async import Step

from ._pettingzoo_deps import AECEnv, np, spaces
from .pettingzoo_env import GameAECEnv, observation_text

__all__ = ["PettingZooGame", "PettingZooState", "from_aec"]


@dataclass(frozen=True, slots=True)
class PettingZooState:
    """A position of a :class:`PettingZooGame`: the seed and the moves that lead
    to it (enough to replay it), and a snapshot of what the env showed there,
    so every ``Game`` method but ``step`` reads the state and not the env."""

    seed: int
    history: tuple[tuple[str, str], ...]
    """(player, action) of every move, in order."""
    to_move: tuple[str, ...]
    legal: tuple[str, ...]
    """The legal actions of the player to move (none when done)."""
    views: tuple[str, ...]
    """Each player's last observation, as text, by :attr:`PettingZooGame.players` order."""
    picture: str
    returns: tuple[float, ...]
    """Each player's reward so far."""

    @property
    def done(self) -> bool:
        return not self.to_move


class PettingZooGame:
    """A PettingZoo AEC env (``Discrete`` action spaces) as a :class:`~rafa_async.Game`.

    The game owns ``env``: nothing else may step it.  A game is pure and an
    env is not, so a :class:`PettingZooState` is the seed and the moves so
    far, plus a snapshot of what the env showed after them.  ``step`` keeps
    the env at the last position it reached: stepping on from that position
    (what a match does) costs one ``env.step``; stepping from any other
    position (a planner exploring branches) resets the env with the state's
    seed and replays the state's moves.  So the env must be deterministic
    given its seed and the actions -- as PettingZoo's seed test asks.

    Actions are the env's action names: ``action_names`` if given, else an
    ``action_names`` sequence on ``env.unwrapped`` (:func:`to_aec` envs have
    one), else the action index as text (``"0"``, ``"4"``).  Legal actions
    come from the action mask (``observation["action_mask"]`` or
    ``info["action_mask"]``); without one, every action is legal.  A turn is
    one agent's move; agents that terminated are stepped out of the env
    (``step(None)``) in between.  Rewards are each agent's rewards over the
    turn, and :meth:`scores` its total return.  ``render`` is the env's
    ``ansi`` rendering if it has that mode, else the moves so far.
    ``observe`` shows ``describe(observation)``: by default arrays as nested
    lists, or the game's own text for an env made by :func:`to_aec`.
    """

    def __init__(
        self,
        env: AECEnv,
        *,
        action_names: Sequence[str] | None = None,
        describe: Callable[[Any], str] | None = None,
        name: str | None = None,
    ) -> None:
        self.env = env
        self.name = name or str(env.unwrapped)
        ours = isinstance(env.unwrapped, GameAECEnv)
        self.describe = describe or (observation_text if ours else _describe)
        self._agents = {str(a): a for a in env.possible_agents}
        self.players: tuple[str, ...] = tuple(self._agents)
        names = action_names or getattr(env.unwrapped, "action_names", None)
        self._actions: dict[str, tuple[str, ...]] = {}
        self._index: dict[str, dict[str, int]] = {}
        for player, agent in self._agents.items():
            space = env.action_space(agent)
            if not isinstance(space, spaces.Discrete):
                raise ValueError(f"{self.name}: {player}'s actions are {space}, not Discrete")
            n, start = int(space.n), int(space.start)
            if names is not None and len(names) != n:
                raise ValueError(f"{self.name}: {len(names)} action names for {n} actions")
            acts = tuple(names) if names is not None else tuple(str(start + i) for i in range(n))
            self._actions[player] = acts
            self._index[player] = {a: start + i for i, a in enumerate(acts)}
        self._at: tuple[int, tuple[tuple[str, str], ...]] | None = None

    def reset(self, seed: int) -> PettingZooState:
        self._at = None
        self.env.reset(seed=seed)
        returns = dict.fromkeys(self.players, 0.0)
        views = self._views(("",) * len(self.players))
        self._drain(returns)
        self._at = (seed, ())
        return self._snapshot(seed, (), views, returns)

    def to_move(self, state: PettingZooState) -> tuple[str, ...]:
        return state.to_move

    def legal_actions(self, state: PettingZooState, player: str) -> tuple[str, ...]:
        self._check_player(player)
        return state.legal if player in state.to_move else ()

    def step(self, state: PettingZooState, actions: Mapping[str, str]) -> Step[PettingZooState]:
        if state.done:
            raise ValueError(f"{self.name}: the game is over; no more moves")
        (mover,) = state.to_move
        others = sorted(p for p in actions if p != mover)
        if others or mover not in actions:
            raise ValueError(f"{self.name}: one action for {mover} expected, got {dict(actions)}")
        action = actions[mover]
        if action not in state.legal:
            raise ValueError(f"{self.name}: {action!r} is not legal for {mover}")
        self._goto(state)
        self._at = None  # until the step below has succeeded
        returns = dict(zip(self.players, state.returns, strict=True))
        self.env.step(self._index[mover][action])
        self._add_rewards(returns)
        views = self._views(state.views)
        self._drain(returns)
        history = (*state.history, (mover, action))
        self._at = (state.seed, history)
        nxt = self._snapshot(state.seed, history, views, returns)
        fact = f"{mover} played {action}"
        return Step(
            nxt,
            rewards={
                p: after - before
                for p, before, after in zip(self.players, state.returns, nxt.returns, strict=True)
            },
            feedback=dict.fromkeys(self.players, fact),
            done=nxt.done,
        )

    def observe(self, state: PettingZooState, player: str) -> str:
        self._check_player(player)
        view = state.views[self.players.index(player)]
        text = f"{self.name}, you are {player}. {view}"
        if player in state.to_move:
            text += f"\nlegal actions: {' '.join(state.legal)}"
        return text

    def render(self, state: PettingZooState) -> str:
        return state.picture

    def scores(self, state: PettingZooState) -> dict[str, float]:
        """Each player's total reward (PettingZoo's games give 1 win, 0 draw, -1 loss)."""
        return dict(zip(self.players, state.returns, strict=True))

    # -- the live env ------------------------------------------------------------------

    def _goto(self, state: PettingZooState) -> None:
        """Bring the env to ``state``'s position, replaying from its seed if needed."""
        if self._at == (state.seed, state.history):
            return
        self._at = None
        self.env.reset(seed=state.seed)
        scratch = dict.fromkeys(self.players, 0.0)
        self._drain(scratch)
        for player, action in state.history:
            self.env.step(self._index[player][action])
            self._drain(scratch)
        self._at = (state.seed, state.history)

    def _drain(self, returns: dict[str, float]) -> None:
        """Step agents that terminated out of the env (PettingZoo's dead steps)."""
        env = self.env
        while env.agents:
            agent = env.agent_selection
            if not (env.terminations[agent] or env.truncations[agent]):
                return
            env.step(None)
            self._add_rewards(returns)

    def _add_rewards(self, returns: dict[str, float]) -> None:
        for agent, reward in self.env.rewards.items():
            returns[str(agent)] += float(reward)

    def _views(self, previous: tuple[str, ...]) -> tuple[str, ...]:
        """Every live agent's observation as text; an agent gone keeps its last one."""
        live = {str(a) for a in self.env.agents}
        return tuple(
            self.describe(self.env.observe(self._agents[p])) if p in live else view
            for p, view in zip(self.players, previous, strict=True)
        )

    def _snapshot(
        self,
        seed: int,
        history: tuple[tuple[str, str], ...],
        views: tuple[str, ...],
        returns: Mapping[str, float],
    ) -> PettingZooState:
        env = self.env
        state = PettingZooState(
            seed=seed,
            history=history,
            to_move=(),
            legal=(),
            views=views,
            picture=self._picture(history),
            returns=tuple(returns[p] for p in self.players),
        )
        if not env.agents:
            return state
        agent = env.agent_selection
        mover = str(agent)
        # Observed last, after the dead steps: a mask is for the selected agent.
        observation = env.observe(agent)
        mask = _mask(observation, env.infos.get(agent, {}))
        acts = self._actions[mover]
        legal = acts if mask is None else tuple(a for a, ok in zip(acts, mask, strict=True) if ok)
        i = self.players.index(mover)
        views = (*views[:i], self.describe(observation), *views[i + 1 :])
        return replace(state, to_move=(mover,), legal=legal, views=views)

    def _picture(self, history: tuple[tuple[str, str], ...]) -> str:
        if getattr(self.env, "render_mode", None) == "ansi":
            rendered = self.env.render()
            if isinstance(rendered, str):
                return rendered
        return " ".join(f"{p}:{a}" for p, a in history) or "start"

    def _check_player(self, player: str) -> None:
        if player not in self._agents:
            raise ValueError(
                f"{self.name}: unknown player {player!r} (players: {', '.join(self.players)})"
            )


def from_aec(
    env: AECEnv,
    *,
    action_names: Sequence[str] | None = None,
    describe: Callable[[Any], str] | None = None,
    name: str | None = None,
) -> PettingZooGame:
    """A PettingZoo AEC env as a :class:`~rafa_async.Game`; see :class:`PettingZooGame`."""
    return PettingZooGame(env, action_names=action_names, describe=describe, name=name)


def _mask(observation: Any, info: Mapping[str, Any]) -> list[bool] | None:
    mask = observation.get("action_mask") if isinstance(observation, Mapping) else None
    if mask is None:
        mask = info.get("action_mask")
    return None if mask is None else [bool(x) for x in np.asarray(mask).ravel()]


def _describe(observation: Any) -> str:
    """An observation as compact text: arrays as nested lists, a dict key by key
    (without its action mask, which becomes the legal actions)."""
    if isinstance(observation, Mapping):
        return "; ".join(
            f"{key}: {_describe(value)}"
            for key, value in observation.items()
            if key != "action_mask"
        )
    if isinstance(observation, np.ndarray | np.generic):
        return json.dumps(observation.tolist(), separators=(",", ":"))
    return str(observation)
