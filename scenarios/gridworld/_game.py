"""Real-time foraging on a shared grid: a simultaneous-move :class:`~rafa_async.Game`
built to hold thousands of agents.

Rules (one tick = one ``step``; every agent acts every tick):

* Actions are ``N`` (y-1), ``S`` (y+1), ``E`` (x+1), ``W`` (x-1) and ``stay``;
  all are always legal.  :data:`~rafa_async.NOOP` (a player who missed the
  tick) stays.  The map border is a wall: a move into it stays.
* Collisions: agents never share a cell.  Two or more agents moving into the
  same cell all stay (bounce); so do two agents swapping cells, and an agent
  moving into a cell whose occupant stays or bounces (which can cascade down
  a queue).  Rotations of three or more agents all succeed: each cell is
  vacated as it is entered.
* Food: an agent that moves onto food eats it (reward 1).  At most one agent
  can arrive in a cell (collision rule), so food is never shared.
* Respawn (default ``respawn=True``): each eaten food reappears at once at a
  random free cell (no agent, no food), so the food count stays ``n_food``
  and a long real-time benchmark never runs dry.  With ``respawn=False`` food
  only disappears and the match ends when the last is eaten.
* The match ends after ``max_ticks`` ticks (or when food runs out without
  respawn).  ``scores`` are food eaten divided by the best forager's count
  (the best scores 1; everyone 0 if nobody ate).

Randomness: the layout and respawns come from ``(seed, reset seed)``: the
game's seed fixes a scenario, the host's match seed varies the episode.  A
respawn draw depends only on the state and tick, so replays are exact.

Costs: ``step`` is O(agents + food) with dicts for collisions (no
per-agent objects); ``observe``/``local_view`` read per-state bucket indexes
built lazily once per tick, so each costs O(vision^2), and ``nearest_food``
searches buckets outward.  ``render`` lists everything for small matches
(``agents + food <= 100``), else a digest: ``t=<tick> agents=<n> food=<n>
eaten=<total> sha1=<hex of positions, food and counts>``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import NoReturn

from rafa_async import NOOP, ConfigError, Step

from ._facts import ate_fact, border_fact, collision_fact
from ._mechanics import bucket_ring, collide, free_cells
from ._state import DELTAS, MOVES, ForagingState, _Cache, pack, unpack, unpack_one
from ._view import LocalView, Point

FULL_RENDER_LIMIT = 100
"""``render`` lists every agent and food when there are at most this many of them."""


class Foraging:
    """A ``width`` x ``height`` map, ``n_agents`` players ``a0``..``a<n-1>``,
    ``n_food`` food; see the module docstring for the rules.

    ``vision`` is the half-side of the square window an agent sees (Chebyshev
    distance); distances to food are Manhattan steps.  ``bucket_size`` is the
    side of the index buckets (``2 * vision + 1``, at least 4), so a window
    overlaps at most four buckets.
    """

    name = "gridworld"

    def __init__(
        self,
        width: int,
        height: int,
        n_agents: int,
        n_food: int,
        seed: int = 0,
        max_ticks: int = 100,
        *,
        vision: int = 3,
        respawn: bool = True,
    ) -> None:
        if width < 1 or height < 1 or width * height >= 2**32:
            raise ConfigError(
                f"gridworld map must be at least 1x1 (and < 2**32 cells), got {width}x{height}"
            )
        if n_agents < 1 or n_food < 0:
            raise ConfigError(
                f"gridworld needs n_agents >= 1 and n_food >= 0, got {n_agents}, {n_food}"
            )
        if n_agents + n_food > width * height:
            raise ConfigError(
                f"gridworld: {n_agents} agents and {n_food} food do not fit on "
                f"{width}x{height} = {width * height} cells"
            )
        if max_ticks < 0 or vision < 0:
            raise ConfigError(
                f"gridworld needs max_ticks >= 0 and vision >= 0, got {max_ticks}, {vision}"
            )
        self.width = width
        self.height = height
        self.n_agents = n_agents
        self.n_food = n_food
        self.seed = seed
        self.max_ticks = max_ticks
        self.vision = vision
        self.respawn = respawn
        self.players: tuple[str, ...] = tuple(f"a{i}" for i in range(n_agents))
        self._index = {p: i for i, p in enumerate(self.players)}
        self.bucket_size = max(4, 2 * vision + 1)

    def __repr__(self) -> str:
        return (
            f"Foraging({self.width}, {self.height}, n_agents={self.n_agents}, "
            f"n_food={self.n_food}, seed={self.seed}, max_ticks={self.max_ticks}, "
            f"vision={self.vision}, respawn={self.respawn})"
        )

    # -- Game protocol ---------------------------------------------------------------

    def reset(self, seed: int) -> ForagingState:
        rng = random.Random(f"gridworld:{self.seed}:{seed}")
        cells = rng.sample(range(self.width * self.height), self.n_agents + self.n_food)
        agents = cells[: self.n_agents]
        return ForagingState(
            tick=0,
            positions=pack(agents),
            food=frozenset(cells[self.n_agents :]),
            eaten=bytes(4 * self.n_agents),
            width=self.width,
            height=self.height,
            seed=rng.getrandbits(64),
            _cache=_Cache(agents),
        )

    def place(
        self,
        agents: Sequence[Point],
        food: Iterable[Point] = (),
        *,
        tick: int = 0,
        eaten: Sequence[int] | None = None,
        seed: int = 0,
    ) -> ForagingState:
        """A state with agent ``a<i>`` at ``agents[i]`` and the given food (set
        pieces for tests and hand-made scenarios).  ``ValueError`` for a wrong
        agent count, a cell off the map, two agents on one cell or food under
        an agent.  The food count need not be ``n_food``."""
        if len(agents) != self.n_agents:
            raise ValueError(
                f"gridworld: expected {self.n_agents} agent positions, got {len(agents)}"
            )
        cells = [self._cell(p) for p in agents]
        food_cells = frozenset(self._cell(p) for p in food)
        if len(set(cells)) != len(cells) or food_cells & set(cells):
            raise ValueError("gridworld: agents must stand on distinct cells without food")
        counts = [0] * self.n_agents if eaten is None else list(eaten)
        if len(counts) != self.n_agents or min(counts) < 0:
            raise ValueError(f"gridworld: expected {self.n_agents} eaten counts >= 0")
        return ForagingState(
            tick=tick,
            positions=pack(cells),
            food=food_cells,
            eaten=pack(counts),
            width=self.width,
            height=self.height,
            seed=seed,
            _cache=_Cache(cells),
        )

    def _cell(self, point: Point) -> int:
        x, y = point
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise ValueError(f"gridworld: ({x}, {y}) is off the {self.width}x{self.height} map")
        return y * self.width + x

    def is_over(self, state: ForagingState) -> bool:
        return state.tick >= self.max_ticks or (not self.respawn and not state.food)

    def to_move(self, state: ForagingState) -> tuple[str, ...]:
        """Every player, every tick, until the match is over."""
        return () if self.is_over(state) else self.players

    def legal_actions(self, state: ForagingState, player: str) -> tuple[str, ...]:
        self.index_of(player)
        return MOVES

    def step(self, state: ForagingState, actions: Mapping[str, str]) -> Step[ForagingState]:
        """Apply one action per player (see the rules).  Strict: a missing or
        unknown player, or an unknown action, raises ``ValueError``.

        Rewards and feedback are sparse: only players who ate have a reward
        (1.0; absent means 0), only eating, border bumps and collisions give
        feedback.
        """
        if self.is_over(state):
            raise ValueError(f"gridworld: the match is over at tick {state.tick}; no more moves")
        if len(actions) != self.n_agents:
            self._reject_players(actions)
        cells = state.cells()
        moves = self._moves(actions)
        targets, movers, bumps = self._aims(cells, moves)
        blocked = collide(cells, targets, movers, state.occupant())
        food = state.food
        moved = [i for i in movers if not blocked[i]]
        ate = [i for i in moved if targets[i] in food]
        for i in movers:
            if blocked[i]:
                targets[i] = cells[i]
        eaten = state.eaten
        if ate:
            food = self._eat_and_respawn(state, targets, [targets[i] for i in ate])
            counts = unpack(eaten)
            for i in ate:
                counts[i] += 1
            eaten = pack(counts)
        nxt = ForagingState(
            tick=state.tick + 1,
            positions=pack(targets) if moved else state.positions,
            food=food,
            eaten=eaten,
            width=self.width,
            height=self.height,
            seed=state.seed,
            _cache=_Cache(targets),
        )
        players = self.players
        bounced = [i for i in movers if blocked[i]]
        return Step(
            nxt,
            rewards={players[i]: 1.0 for i in ate},
            feedback=self._feedback(state, nxt, moves, ate, bumps, bounced),
            done=self.is_over(nxt),
        )

    def observe(self, state: ForagingState, player: str) -> str:
        """``player``'s local view as text (see :meth:`local_view`)."""
        return self.local_view(state, player).describe()

    def draw(self, text: str) -> list[str] | None:
        """The map a :meth:`render` text shows, as rows (north first) of
        cells: ``.`` empty, ``*`` food, the agent's index (``0``-``9``, then
        ``+`` for a higher one).  ``None`` for a text too big to draw (it
        holds a digest, not the positions) or not a render of this map."""
        fields = dict(part.partition("=")[::2] for part in text.split(" "))
        try:
            agents = _points(fields["agents"])
            food = _points(fields["food"])
        except (KeyError, ValueError):
            return None
        rows = [["."] * self.width for _ in range(self.height)]
        for cells, marks in ((food, ["*"] * len(food)), (agents, _agent_marks(len(agents)))):
            for (x, y), mark in zip(cells, marks, strict=True):
                if not (0 <= x < self.width and 0 <= y < self.height):
                    return None
                rows[y][x] = mark
        return ["".join(row) for row in rows]

    def render(self, state: ForagingState) -> str:
        """Canonical text of the whole state (cached per state; see the module docstring)."""
        cache = state._cache
        if cache.render is None:
            cache.render = self._render(state)
        return cache.render

    def scores(self, state: ForagingState) -> dict[str, float]:
        """Food eaten over the best forager's count, in [0, 1]."""
        counts = unpack(state.eaten)
        best = max(counts, default=0)
        if not best:
            return dict.fromkeys(self.players, 0.0)
        return {p: n / best for p, n in zip(self.players, counts, strict=True)}

    # -- cheap accessors for agents, policies and planners ---------------------------

    def index_of(self, player: str) -> int:
        try:
            return self._index[player]
        except KeyError:
            raise ValueError(
                f"gridworld: unknown player {player!r} (players are a0..a{self.n_agents - 1})"
            ) from None

    def position(self, state: ForagingState, player: str) -> Point:
        return state.xy(state.cell_of(self.index_of(player)))

    def eaten(self, state: ForagingState, player: str) -> int:
        return unpack_one(state.eaten, self.index_of(player))

    def agent_at(self, state: ForagingState, x: int, y: int) -> str | None:
        """The player standing on ``(x, y)``, if any."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        i = state.occupant().get(y * self.width + x)
        return None if i is None else self.players[i]

    def local_view(self, state: ForagingState, player: str) -> LocalView:
        """What ``player`` sees: the food and other agents within ``vision``
        (Chebyshev), from the state's bucket index -- O(vision^2), not O(map)."""
        me = self.index_of(player)
        x, y = state.xy(state.cell_of(me))
        v = self.vision
        food_buckets, agent_buckets = state.buckets(self.bucket_size)
        food: list[tuple[int, int]] = []
        agents: list[tuple[int, int]] = []
        width = self.width
        cells = state.cells()
        for bucket in self._buckets_around(x, y, v):
            for cell in food_buckets.get(bucket, ()):
                fy, fx = divmod(cell, width)
                if abs(fx - x) <= v and abs(fy - y) <= v:
                    food.append((fy, fx))
            for i in agent_buckets.get(bucket, ()):
                ay, ax = divmod(cells[i], width)
                if i != me and abs(ax - x) <= v and abs(ay - y) <= v:
                    agents.append((ay, ax))
        food.sort()
        agents.sort()
        return LocalView(
            player=player,
            x=x,
            y=y,
            tick=state.tick,
            max_ticks=self.max_ticks,
            width=width,
            height=self.height,
            vision=v,
            food=tuple((fx, fy) for fy, fx in food),
            agents=tuple((ax, ay) for ay, ax in agents),
            eaten=unpack_one(state.eaten, me),
            done=self.is_over(state),
        )

    def nearest_food(self, state: ForagingState, player: str) -> Point | None:
        """The food nearest to ``player`` in Manhattan steps (ties: reading
        order), anywhere on the map; None if there is none.  Searches the
        state's buckets in rings outward, stopping once no farther ring can
        hold anything nearer."""
        if not state.food:
            return None
        x, y = self.position(state, player)
        size = self.bucket_size
        food_buckets, _ = state.buckets(size)
        columns, rows = -(-self.width // size), -(-self.height // size)
        bx, by = x // size, y // size
        last = max(bx, columns - 1 - bx, by, rows - 1 - by)
        width = self.width
        best: tuple[int, int, int] | None = None
        for ring in range(last + 1):
            for cx, cy in bucket_ring(bx, by, ring, columns, rows):
                for cell in food_buckets.get(cy * columns + cx, ()):
                    fy, fx = divmod(cell, width)
                    found = (abs(fx - x) + abs(fy - y), fy, fx)
                    if best is None or found < best:
                        best = found
            # Every cell of the next ring is at least ring * size + 1 steps away.
            if best is not None and best[0] < ring * size + 1:
                break
        assert best is not None
        return best[2], best[1]

    # -- internals -------------------------------------------------------------------

    def _reject_players(self, actions: Mapping[str, str]) -> NoReturn:
        unknown = sorted(p for p in actions if p not in self._index)
        missing = [p for p in self.players if p not in actions]
        raise ValueError(
            "gridworld: every player acts every tick; "
            f"missing {_few(missing) or 'none'}, unknown {_few(unknown) or 'none'}"
        )

    def _moves(self, actions: Mapping[str, str]) -> list[str]:
        """Each agent's action by index; ``ValueError`` for a missing player or
        an unknown action."""
        moves = []
        for player in self.players:
            move = actions.get(player)
            if move is None:
                self._reject_players(actions)
            if move not in DELTAS and move != NOOP:
                raise ValueError(
                    f"gridworld: unknown action {move!r} for {player} "
                    f"(actions: {', '.join(MOVES)}, or {NOOP!r})"
                )
            moves.append(move)
        return moves

    def _aims(self, cells: list[int], moves: list[str]) -> tuple[list[int], list[int], list[int]]:
        """Target cell per agent (its own cell if it does not move), the movers,
        and the agents whose move runs into the border (they stay)."""
        width = self.width
        last_row = (self.height - 1) * width
        targets = cells.copy()
        movers: list[int] = []
        bumps: list[int] = []
        for i, move in enumerate(moves):
            cell = cells[i]
            if move == "N":
                target = cell - width if cell >= width else -1
            elif move == "S":
                target = cell + width if cell < last_row else -1
            elif move == "E":
                target = cell + 1 if (cell + 1) % width else -1
            elif move == "W":
                target = cell - 1 if cell % width else -1
            else:
                continue  # stay or NOOP
            if target < 0:
                bumps.append(i)
            else:
                targets[i] = target
                movers.append(i)
        return targets, movers, bumps

    def _feedback(
        self,
        state: ForagingState,
        nxt: ForagingState,
        moves: list[str],
        ate: list[int],
        bumps: list[int],
        bounced: list[int],
    ) -> dict[str, str]:
        players, xy, tick = self.players, state.xy, nxt.tick
        out: dict[str, str] = {}
        for i in ate:
            here = xy(state.cell_of(i))
            out[players[i]] = ate_fact(players[i], moves[i], here, xy(nxt.cell_of(i)), tick)
        for fact, agents in ((border_fact, bumps), (collision_fact, bounced)):
            for i in agents:
                here = xy(state.cell_of(i))
                out[players[i]] = fact(players[i], moves[i], here, _aim(here, moves[i]), tick)
        return out

    def _buckets_around(self, x: int, y: int, v: int) -> list[int]:
        size = self.bucket_size
        columns = -(-self.width // size)
        x0, x1 = max(0, x - v) // size, min(self.width - 1, x + v) // size
        y0, y1 = max(0, y - v) // size, min(self.height - 1, y + v) // size
        return [by * columns + bx for by in range(y0, y1 + 1) for bx in range(x0, x1 + 1)]

    def _eat_and_respawn(
        self, state: ForagingState, targets: list[int], eaten: list[int]
    ) -> frozenset[int]:
        food = set(state.food)
        food.difference_update(eaten)
        if self.respawn:
            rng = random.Random(f"{state.seed}:{state.tick}")
            taken = set(targets)
            taken.update(food)
            food.update(free_cells(rng, len(eaten), taken, self.width * self.height))
        return frozenset(food)

    def _render(self, state: ForagingState) -> str:
        food = sorted(state.food)
        counts = unpack(state.eaten)
        head = f"t={state.tick}"
        if state.n_agents + len(food) <= FULL_RENDER_LIMIT:
            xy = state.xy
            agents = ";".join("{},{}".format(*xy(c)) for c in state.cells())
            cells = ";".join("{},{}".format(*xy(c)) for c in food)
            return f"{head} agents={agents} food={cells} eaten={','.join(map(str, counts))}"
        digest = hashlib.sha1(state.positions, usedforsecurity=False)
        digest.update(b"|")
        digest.update(pack(food))
        digest.update(b"|")
        digest.update(state.eaten)
        return (
            f"{head} agents={state.n_agents} food={len(food)} eaten={sum(counts)} "
            f"sha1={digest.hexdigest()}"
        )


def _points(text: str) -> list[tuple[int, int]]:
    """``"1,2;3,4"`` as points; ``ValueError`` for anything else."""
    if not text:
        return []
    pairs = [cell.split(",") for cell in text.split(";")]
    return [(int(x), int(y)) for x, y in pairs]


def _agent_marks(count: int) -> list[str]:
    return [str(i) if i < 10 else "+" for i in range(count)]


def _aim(start: Point, move: str) -> Point:
    dx, dy = DELTAS[move]
    return start[0] + dx, start[1] + dy


def _few(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (f", ... ({len(names)} in all)" if len(names) > 5 else "")
