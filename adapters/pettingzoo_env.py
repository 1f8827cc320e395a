"""Our :class:`~rafa_async.Game` s as PettingZoo environments.

* :func:`to_aec` -- any game as an AEC (agent-environment-cycle) env.
* :func:`to_parallel` -- a simultaneous-move game as a parallel env.

Observations.  A game only promises ``observe(state, player) -> str``, so an
agent observes ``{"observation": the text's UTF-8 bytes, zero-padded to
observation_bytes, "action_mask": 1 for each legal action}``.

Actions.  PettingZoo actions are indices into a fixed list, the game's
*action vocabulary*: ``actions=`` if given, else ``game.all_actions()`` if the
game has that (optional) method, else every action legal for some player in
the initial state -- right for tic-tac-toe (cells) and Connect Four (columns).
A game whose later states allow other actions must provide
``all_actions()``; the env raises ``ValueError`` when a legal action is not in
the vocabulary rather than hide it from the mask.

As in PettingZoo's classic games, an AEC env ends the game on an illegal
action (one outside the action mask), the acting agent getting
``illegal_reward``; a parallel env raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rafa_async import Game, Step

from ._pettingzoo_deps import AECEnv, ParallelEnv, gym_logger, np, npt, spaces, wrappers

__all__ = [
    "GameAECEnv",
    "GameParallelEnv",
    "Observation",
    "action_vocabulary",
    "observation_text",
    "to_aec",
    "to_parallel",
]

S = TypeVar("S")
RenderMode = Literal["ansi"]
Observation = dict[str, npt.NDArray[Any]]


def action_vocabulary(game: Game[Any], *, seed: int = 0) -> tuple[str, ...]:
    """Every action ``game`` may ever allow, in a fixed order (see the module docstring)."""
    all_actions: Callable[[], Sequence[str]] | None = getattr(game, "all_actions", None)
    if all_actions is not None:
        found = tuple(all_actions())
    else:
        state = game.reset(seed)
        found = tuple(dict.fromkeys(a for p in game.players for a in game.legal_actions(state, p)))
    if not found:
        raise ValueError(
            f"{game.name}: no actions in the initial state; give the game an "
            "all_actions() method or pass actions="
        )
    return found


class _GameEnv(Generic[S]):
    """What both env kinds share: the game, its spaces, seeds, encoding, rendering."""

    extra_metadata: ClassVar[dict[str, Any]] = {}
    game_state: S
    """The game's current state."""

    def __init__(
        self,
        game: Game[S],
        actions: Sequence[str],
        *,
        seed: int,
        render_mode: RenderMode | None,
        observation_bytes: int,
        max_turns: int | None,
    ) -> None:
        super().__init__()
        self.game = game
        self.metadata = {"render_modes": ["ansi"], "name": game.name, **self.extra_metadata}
        self.action_names = tuple(actions)
        self._index = {action: i for i, action in enumerate(self.action_names)}
        if len(self._index) != len(self.action_names):
            raise ValueError(f"{game.name}: the action vocabulary has duplicates")
        self.render_mode = render_mode
        self.observation_bytes = observation_bytes
        self.max_turns = max_turns
        self.possible_agents = list(game.players)
        self.agents: list[str] = []
        n = len(self.action_names)
        self.observation_spaces = {
            p: spaces.Dict(
                {
                    "observation": spaces.Box(0, 255, (observation_bytes,), np.uint8),
                    "action_mask": spaces.Box(0, 1, (n,), np.int8),
                }
            )
            for p in game.players
        }
        self.action_spaces = {p: spaces.Discrete(n) for p in game.players}
        self._next_seed = seed
        self._turn = 0

    def observation_space(self, agent: str) -> spaces.Dict:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self.action_spaces[agent]

    def _start(self, seed: int | None) -> S:
        episode = self._next_seed if seed is None else seed
        self._next_seed = episode + 1
        self._turn = 0
        self.game_state = self.game.reset(episode)
        return self.game_state

    def _encode(self, player: str, *, may_act: bool) -> Observation:
        text = self.game.observe(self.game_state, player).encode()
        if len(text) > self.observation_bytes:
            raise ValueError(
                f"{self.game.name}: {player}'s observation is {len(text)} bytes; "
                f"pass observation_bytes >= {len(text)}"
            )
        observation = np.zeros(self.observation_bytes, np.uint8)
        observation[: len(text)] = np.frombuffer(text, np.uint8)
        mask = np.zeros(len(self.action_names), np.int8)
        if may_act:
            legal = self.game.legal_actions(self.game_state, player)
            mask[[self._index_of(a) for a in legal]] = 1
        return {"observation": observation, "action_mask": mask}

    def _decode(self, player: str, action: Any) -> str:
        """The action index ``action`` names; ``ValueError`` if it is not legal."""
        i = int(action)
        name = self.action_names[i] if 0 <= i < len(self.action_names) else None
        if name is None or name not in self.game.legal_actions(self.game_state, player):
            raise ValueError(f"{self.game.name}: action {i} ({name}) is not legal for {player}")
        return name

    def _index_of(self, action: str) -> int:
        i = self._index.get(action)
        if i is None:
            raise ValueError(
                f"{self.game.name}: legal action {action!r} is not in the action vocabulary; "
                "give the game an all_actions() method or pass actions="
            )
        return i

    def _count_turn(self) -> bool:
        """Count one game step; True once ``max_turns`` have been played."""
        self._turn += 1
        return self.max_turns is not None and self._turn >= self.max_turns

    def render(self) -> str | None:
        if self.render_mode is None:
            gym_logger.warn("render() needs render_mode='ansi' (pass it to to_aec/to_parallel)")
            return None
        return self.game.render(self.game_state)

    def close(self) -> None:
        """Nothing to release: the game is plain Python."""


class GameAECEnv(_GameEnv[S], AECEnv):  # type: ignore[misc]  # PettingZoo is untyped
    """A :class:`~rafa_async.Game` as a PettingZoo AEC env (made by :func:`to_aec`).

    Every player is an agent until the game ends.  ``agent_selection`` walks
    through the players who must move (``to_move``); the game steps once the
    last of them has acted, so a simultaneous-move game works too, and nobody
    observes another's pending action.  Only the selected agent's mask is
    non-zero.  ``infos[player]["feedback"]`` holds the last transition's
    feedback text.  The game ends (all agents terminate) when ``step`` says
    done or nobody is to move; after ``max_turns`` game steps, agents are
    truncated.  ``reset()`` without a seed plays the next seed (the first
    episode plays ``seed``).
    """

    extra_metadata: ClassVar[dict[str, Any]] = {"is_parallelizable": False}
    _pending: dict[str, str]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        state = self._start(seed)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos: dict[str, dict[str, Any]] = {a: {} for a in self.agents}
        self._pending = {}
        movers = self.game.to_move(state)
        if not movers:
            self.terminations = dict.fromkeys(self.agents, True)
        self.agent_selection = movers[0] if movers else self.agents[0]

    def observe(self, agent: str) -> Observation:
        dead = self.terminations.get(agent) or self.truncations.get(agent)
        return self._encode(agent, may_act=agent == self.agent_selection and not dead)

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._pending[agent] = self._decode(agent, action)
        self._cumulative_rewards[agent] = 0.0
        self._clear_rewards()
        waiting = [p for p in self.game.to_move(self.game_state) if p not in self._pending]
        if waiting:
            self.agent_selection = waiting[0]
            return
        step = self.game.step(self.game_state, self._pending)
        self.game_state = step.state
        self._pending = {}
        self.rewards = {a: float(step.rewards.get(a, 0.0)) for a in self.agents}
        self.infos = {a: _info(step, a) for a in self.agents}
        movers = () if step.done else self.game.to_move(step.state)
        if not movers:
            self.terminations = dict.fromkeys(self.agents, True)
        elif self._count_turn():
            self.truncations = dict.fromkeys(self.agents, True)
            movers = ()
        self._accumulate_rewards()
        self.agent_selection = movers[0] if movers else self.agents[0]


class GameParallelEnv(_GameEnv[S], ParallelEnv):  # type: ignore[misc]  # PettingZoo is untyped
    """A simultaneous-move :class:`~rafa_async.Game` as a PettingZoo parallel env
    (made by :func:`to_parallel`).

    The live agents are the players to move; a player who stops being asked
    to move is terminated, and one cannot come back (``ValueError``: such a
    game is turn-based, use :func:`to_aec`).  ``step`` needs one action per
    live agent and raises ``ValueError`` for a missing or illegal one.
    """

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Observation], dict[str, dict[str, Any]]]:
        state = self._start(seed)
        movers = self.game.to_move(state)
        if set(movers) != set(self.possible_agents):
            raise ValueError(
                f"{self.game.name}: only {', '.join(movers) or 'nobody'} moves first; a "
                "parallel env needs a simultaneous-move game (use to_aec)"
            )
        self.agents = self._movers(movers, self.possible_agents)
        return self._observations(self.agents), {a: {} for a in self.agents}

    def step(
        self, actions: Mapping[str, Any]
    ) -> tuple[
        dict[str, Observation],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        live = list(self.agents)
        missing = [a for a in live if a not in actions]
        if missing:
            raise ValueError(f"{self.game.name}: no action for {', '.join(missing)}")
        step = self.game.step(self.game_state, {a: self._decode(a, actions[a]) for a in live})
        self.game_state = step.state
        movers = [] if step.done else self._movers(self.game.to_move(step.state), live)
        truncated = bool(movers) and self._count_turn()
        self.agents = [] if truncated else movers
        return (
            self._observations(live),
            {a: float(step.rewards.get(a, 0.0)) for a in live},
            {a: a not in movers for a in live},
            dict.fromkeys(live, truncated),
            {a: _info(step, a) for a in live},
        )

    def _movers(self, movers: Sequence[str], live: Sequence[str]) -> list[str]:
        returning = sorted(set(movers) - set(live))
        if returning:
            raise ValueError(
                f"{self.game.name}: {', '.join(returning)} must move again after sitting out; "
                "a parallel env needs every live player to move every turn (use to_aec)"
            )
        return [p for p in self.possible_agents if p in movers]

    def _observations(self, agents: Sequence[str]) -> dict[str, Observation]:
        return {a: self._encode(a, may_act=a in self.agents) for a in agents}


def _info(step: Step[Any], player: str) -> dict[str, Any]:
    return {"feedback": step.feedback[player]} if player in step.feedback else {}


def to_aec(
    game: Game[Any],
    *,
    seed: int = 0,
    render_mode: RenderMode | None = None,
    actions: Sequence[str] | None = None,
    observation_bytes: int = 1024,
    max_turns: int | None = None,
    illegal_reward: float = -1.0,
) -> AECEnv:
    """``game`` as a PettingZoo AEC env, wrapped as PettingZoo's classic games are:
    an illegal action ends the game with ``illegal_reward`` for the agent who
    played it, an out-of-range action fails an assertion, and calls out of
    order (``step`` before ``reset``) raise.  ``env.unwrapped`` is the
    :class:`GameAECEnv`."""
    vocabulary = tuple(actions) if actions is not None else action_vocabulary(game, seed=seed)
    env = GameAECEnv(
        game,
        vocabulary,
        seed=seed,
        render_mode=_checked_mode(render_mode),
        observation_bytes=observation_bytes,
        max_turns=max_turns,
    )
    illegal = wrappers.TerminateIllegalWrapper(env, illegal_reward=illegal_reward)
    return wrappers.OrderEnforcingWrapper(wrappers.AssertOutOfBoundsWrapper(illegal))


def to_parallel(
    game: Game[Any],
    *,
    seed: int = 0,
    render_mode: RenderMode | None = None,
    actions: Sequence[str] | None = None,
    observation_bytes: int = 1024,
    max_turns: int | None = None,
) -> GameParallelEnv[Any]:
    """A simultaneous-move ``game`` (every live player moves every turn) as a
    PettingZoo parallel env; see :class:`GameParallelEnv`."""
    vocabulary = tuple(actions) if actions is not None else action_vocabulary(game, seed=seed)
    return GameParallelEnv(
        game,
        vocabulary,
        seed=seed,
        render_mode=_checked_mode(render_mode),
        observation_bytes=observation_bytes,
        max_turns=max_turns,
    )


def _checked_mode(render_mode: str | None) -> RenderMode | None:
    if render_mode not in (None, "ansi"):
        raise ValueError(f"render_mode {render_mode!r} is not supported (use 'ansi' or None)")
    return "ansi" if render_mode else None


def observation_text(observation: Observation) -> str:
    """The game's text a :class:`GameAECEnv` observation encodes."""
    return bytes(observation["observation"]).rstrip(b"\0").decode()
