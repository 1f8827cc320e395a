"""An episode's LLM-call budget: the calls it may start, then it ends.

A study states how many LLM calls each episode may spend (its cost bound on
a real provider).  :class:`CallBudget` is the LLM an episode's agent calls
through: it counts the calls the agent starts and refuses the first one
past the budget with :class:`CallBudgetSpent`, which is not an
:class:`~rafa_async.LLMError` -- a planner that shrugs off a failed sample
does not shrug it off -- so it ends the agent's run, and the episode is
scored as it stands (solved or not).  The count is the wrapper's own, taken
before the call starts, so concurrent samples cannot overshoot it.
"""

from __future__ import annotations

from rafa_async._errors import RafaError
from rafa_async.llm import LLM, ChatRequest, ChatResponse


class CallBudgetSpent(RafaError):
    """An episode asked for more LLM calls than its budget: it ends here."""


class CallBudget:
    """``inner``, for at most ``budget`` calls (then :class:`CallBudgetSpent`)."""

    def __init__(self, inner: LLM, budget: int) -> None:
        if budget < 1:
            raise ValueError(f"an LLM-call budget must be >= 1, got {budget}")
        self.inner = inner
        self.budget = budget
        self.started = 0

    @property
    def spent(self) -> bool:
        """Whether a call was refused: the episode was ended by its budget."""
        return self.started > self.budget

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """The inner LLM's answer (cancelled with it), unless the budget is spent."""
        self.started += 1
        if self.started > self.budget:
            raise CallBudgetSpent(f"the episode spent its budget of {self.budget} LLM calls")
        return await self.inner.complete(request)
