"""One agent's local view: what it sees, what planners search over, what the sim reads.

A :class:`LocalView` is small (the agent, its square window of ``vision``
cells around it, the clock) whatever the map size, so prompts, intents and
the simulated LLM's answers cost O(view), not O(map).

Its *key* is the canonical one-line text of the view: the ``state`` of every
intent, and what :func:`view_from_key` parses back::

    p=a3 at=10,4 t=12/100 map=300x300 v=3 eaten=2 food=11,4;9,6 agents=10,5

followed, when set, by ``ate=1`` (the transition into this view ate food),
``move=N`` (a post-decision view: the agent chose ``N``, the world has not
answered yet) and ``over=1`` (the match is over).  Food and agents are listed
in reading order (by row, then column).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ._state import DELTAS, MOVES

Point = tuple[int, int]


@dataclass(frozen=True, slots=True)
class LocalView:
    """``player``'s view of the map at ``tick``; see the module docstring."""

    player: str
    x: int
    y: int
    tick: int
    max_ticks: int
    width: int
    height: int
    vision: int
    food: tuple[Point, ...] = ()
    agents: tuple[Point, ...] = ()
    eaten: int = 0
    ate: bool = False
    pending: str = ""
    done: bool = False

    @property
    def at(self) -> Point:
        return self.x, self.y

    @property
    def key(self) -> str:
        parts = [
            f"p={self.player}",
            f"at={self.x},{self.y}",
            f"t={self.tick}/{self.max_ticks}",
            f"map={self.width}x{self.height}",
            f"v={self.vision}",
            f"eaten={self.eaten}",
            f"food={_points(self.food)}",
            f"agents={_points(self.agents)}",
        ]
        if self.ate:
            parts.append("ate=1")
        if self.pending:
            parts.append(f"move={self.pending}")
        if self.done:
            parts.append("over=1")
        return " ".join(parts)

    def sees(self, x: int, y: int) -> bool:
        """Whether ``(x, y)`` is in the window (Chebyshev distance <= vision)."""
        return abs(x - self.x) <= self.vision and abs(y - self.y) <= self.vision

    def inside(self, x: int, y: int) -> bool:
        return 0 <= x < self.width and 0 <= y < self.height

    def nearest_food(self) -> tuple[int, Point] | None:
        """``(steps, cell)`` of the nearest visible food (Manhattan steps; ties by
        reading order), or None when no food is in view."""
        x, y = self.x, self.y
        best = min(((abs(fx - x) + abs(fy - y), fy, fx) for fx, fy in self.food), default=None)
        return None if best is None else (best[0], (best[2], best[1]))

    def target(self, move: str) -> Point:
        """The cell ``move`` aims at by the rules (ignoring other agents)."""
        dx, dy = DELTAS[move]
        return self.x + dx, self.y + dy

    def choose(self, move: str) -> LocalView:
        """The post-decision view: ``move`` chosen, the world yet to answer."""
        if move not in MOVES:
            raise ValueError(f"unknown move {move!r} (moves: {', '.join(MOVES)})")
        return replace(self, pending=move, ate=False)

    def arrive(self, x: int, y: int) -> LocalView:
        """The view one tick later with the agent at ``(x, y)``: what it saw and
        still sees stays (other agents assumed in place), food there is eaten."""
        ate = (x, y) in self.food
        v = self.vision
        food = tuple(
            (fx, fy)
            for fx, fy in self.food
            if (fx, fy) != (x, y) and max(abs(fx - x), abs(fy - y)) <= v
        )
        agents = tuple((ax, ay) for ax, ay in self.agents if max(abs(ax - x), abs(ay - y)) <= v)
        tick = self.tick + 1
        return replace(
            self,
            x=x,
            y=y,
            tick=tick,
            food=food,
            agents=agents,
            eaten=self.eaten + ate,
            ate=ate,
            pending="",
            done=self.done or tick >= self.max_ticks,
        )

    def describe(self) -> str:
        """The view as prompt text (also the game's ``observe``)."""
        side = 2 * self.vision + 1
        lines = [
            f"Foraging gridworld, tick {self.tick} of {self.max_ticks}. You are {self.player} "
            f"at ({self.x}, {self.y}) and have eaten {self.eaten} food.",
            f"The map is {self.width}x{self.height}: x runs 0-{self.width - 1} west to east, "
            f"y runs 0-{self.height - 1} north to south (N is y-1, S is y+1).",
            f"You see {self.vision} cells around you (a {side}x{side} square).",
            f"Food in view: {_listing(self.food)}",
            f"Other agents in view: {_listing(self.agents)}",
        ]
        if self.pending:
            lines.append(f"You have chosen the move {self.pending}.")
        if self.done:
            lines.append("The match is over.")
        return "\n".join(lines)


def _points(points: tuple[Point, ...]) -> str:
    return ";".join(f"{x},{y}" for x, y in points)


def _listing(points: tuple[Point, ...]) -> str:
    return ", ".join(f"({x}, {y})" for x, y in points) if points else "none"


def _pair(text: str, what: str, key: str) -> Point:
    x, sep, y = text.partition(",")
    if not sep or not x.isdigit() or not y.isdigit():
        raise ValueError(f"not a gridworld view key: {key!r} ({what} {text!r} is not 'x,y')")
    return int(x), int(y)


def _int(text: str, what: str, key: str) -> int:
    if not text.isdigit():
        raise ValueError(f"not a gridworld view key: {key!r} ({what} {text!r} is not a number)")
    return int(text)


_REQUIRED = ("p", "at", "t", "map", "v", "eaten", "food", "agents")
_FLAGS = ("ate", "over")


def view_from_key(key: str) -> LocalView:
    """The view a key names (see the module docstring).  ``ValueError`` naming
    the problem for anything else, including food or agents out of sight."""
    fields: dict[str, str] = {}
    for part in key.split():
        name, sep, value = part.partition("=")
        if not sep or name not in (*_REQUIRED, *_FLAGS, "move") or name in fields:
            raise ValueError(f"not a gridworld view key: {key!r} (unexpected {part!r})")
        fields[name] = value
    missing = [name for name in _REQUIRED if name not in fields]
    if missing:
        raise ValueError(f"not a gridworld view key: {key!r} (missing {', '.join(missing)})")
    x, y = _pair(fields["at"], "position", key)
    tick, sep, max_ticks = fields["t"].partition("/")
    width, sepx, height = fields["map"].partition("x")
    if not sep or not sepx:
        raise ValueError(f"not a gridworld view key: {key!r} (expected t=<tick>/<max>, map=WxH)")
    view = LocalView(
        player=fields["p"],
        x=x,
        y=y,
        tick=_int(tick, "tick", key),
        max_ticks=_int(max_ticks, "max ticks", key),
        width=_int(width, "width", key),
        height=_int(height, "height", key),
        vision=_int(fields["v"], "vision", key),
        food=_pair_list(fields["food"], "food", key),
        agents=_pair_list(fields["agents"], "agent", key),
        eaten=_int(fields["eaten"], "eaten", key),
        ate=_flag(fields.get("ate"), "ate", key),
        pending=fields.get("move", ""),
        done=_flag(fields.get("over"), "over", key),
    )
    if not view.player or not view.inside(x, y):
        raise ValueError(f"not a gridworld view key: {key!r} (no player, or outside the map)")
    if view.pending and view.pending not in MOVES:
        raise ValueError(f"not a gridworld view key: {key!r} (unknown move {view.pending!r})")
    for px, py in (*view.food, *view.agents):
        if not (view.inside(px, py) and view.sees(px, py)):
            raise ValueError(f"not a gridworld view key: {key!r} (({px}, {py}) is out of sight)")
    return view


def _pair_list(text: str, what: str, key: str) -> tuple[Point, ...]:
    return tuple(_pair(item, what, key) for item in text.split(";")) if text else ()


def _flag(text: str | None, what: str, key: str) -> bool:
    if text is None:
        return False
    if text not in ("0", "1"):
        raise ValueError(f"not a gridworld view key: {key!r} ({what}={text!r}, expected 0 or 1)")
    return text == "1"


def food_value(view: LocalView) -> float:
    """The critic's scale, in [0, 1]: 1 for a view reached by eating, else
    ``1 / (1 + steps)`` to the nearest visible food, 0 when none is in sight."""
    if view.ate:
        return 1.0
    nearest = view.nearest_food()
    return 0.0 if nearest is None else 1.0 / (1 + nearest[0])
