"""Prompt text every scenario shares."""

from __future__ import annotations

from collections.abc import Sequence

from rafa_async.llm import ChatRequest, Intent, IntentKind, Message


def memory_block(memory: Sequence[str], heading: str) -> str:
    """The memory lines under ``heading`` as a bullet list (nothing if empty):
    how an agent's memory enters its prompts."""
    if not memory:
        return ""
    lines = "\n".join(f"- {line}" for line in memory)
    return f"{heading}\n{lines}\n\n"


def ask(
    kind: IntentKind,
    scenario: str,
    prompt: str,
    state: str,
    memory: tuple[str, ...],
    sample: int,
    *,
    model: str,
    detail: str = "",
) -> ChatRequest:
    """One request: the prompt, and the intent the sim answers from (the
    state's text ``state``, the memory the prompt holds, the sample)."""
    intent = Intent(
        kind=kind, scenario=scenario, state=state, memory=memory, sample=sample, detail=detail
    )
    return ChatRequest(messages=(Message("user", prompt),), model=model, intent=intent)


def reflection_prompt(tried: str, attempt: str, feedback: str) -> str:
    """Reflexion's request: what was tried (``tried``: a sentence or more), the
    attempt, the environment's feedback, and the ask for a lesson."""
    return (
        "You are an advanced reasoning agent that improves by reflecting on its mistakes. "
        f"{tried}\n\nYour attempt:\n{attempt}\n\nFeedback: {feedback}\n\n"
        "In a few sentences, diagnose the mistake and say what to do differently. "
        "Begin with 'Reflection:'."
    )
