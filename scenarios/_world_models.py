"""World models: how a scenario puts its states to an LLM and reads the answers back.

These are the protocols a scenario's world model implements and the
planners and agents call.  They live here, in the scenarios layer below
them, so the registries (``GameSpec.world``, ``Benchmark.world``) can name
them and mypy checks every scenario against them without a scenario
importing a planner or an agent.  :mod:`rafa_async.planners` and
:mod:`rafa_async.agents` re-export them under the same names.

Requests carry the memory lines so the model conditions on them (RAFA's
in-context posterior).  ``parse_*`` raise
:class:`~rafa_async.MalformedResponse` on text they cannot use; planners
drop such samples and count them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from rafa_async.llm import ChatRequest

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)
S_contra = TypeVar("S_contra", contravariant=True)


class Proposal(Protocol[S_co]):
    """A candidate action and the state the model predicts it leads to."""

    @property
    def action(self) -> str: ...

    @property
    def predicted(self) -> S_co: ...


class WorldModel(Protocol[S]):
    """A scenario's interface to an LLM used as actor (propose) and critic
    (evaluate): what beam search (``BeamPlanner``) and ``RafaAgent`` need."""

    def key(self, state: S) -> str: ...

    def is_terminal(self, state: S) -> bool: ...

    def propose_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_proposal(self, state: S, text: str) -> Proposal[S]: ...

    def evaluate_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_value(self, text: str) -> float: ...


class ActorModel(Protocol[S]):
    """The actor alone: one proposed move (``GreedyPlanner``, ``DirectPlayer``)."""

    def propose_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_move(self, state: S, text: str) -> Proposal[S]: ...


class GameModel(ActorModel[S], Protocol[S]):
    """What ``MPCPlanner`` needs from a game scenario: the actor, an opponent
    (or transition) model (predict), a critic (evaluate), and the rules'
    verdict on a finished game (outcome)."""

    def key(self, state: S) -> str: ...

    def is_terminal(self, state: S) -> bool: ...

    def outcome(self, state: S, player: str) -> float:
        """Value of a finished game to ``player`` by the rules (win 1, draw 0, loss -1)."""
        ...

    def predict_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_reply(self, state: S, text: str) -> Proposal[S]: ...

    def evaluate_request(
        self, state: S, memory: Sequence[str], sample: int, player: str | None = None
    ) -> ChatRequest: ...

    def parse_value(self, text: str) -> float: ...


class AttemptModel(Protocol[S_contra]):
    """A scenario's interface for agents that answer in one go and reflect
    (``ReflexionAgent``, ``DirectAgent``)."""

    def solve_request(self, state: S_contra, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_solution(self, text: str) -> str: ...

    def reflect_request(
        self, state: S_contra, attempt: str, feedback: str, sample: int
    ) -> ChatRequest: ...

    def parse_reflection(self, text: str) -> str: ...
