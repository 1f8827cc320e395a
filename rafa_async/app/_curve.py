"""Sample-efficiency curves: success rate against environment interactions.

The paper plots, for each agent, the share of tasks solved within k
environment interactions, k = 1..20.  :func:`curve_points` reads that from
the records of finished episodes (each holds its per-interaction LLM calls
and verdicts, :attr:`~rafa_async.scenarios.TaskRecord.step_calls`):

- ``success(k)``: the share of episodes solved within k interactions.  A
  cumulative count over a fixed set of episodes, so it never decreases in
  k, and only k = 1..cap are reported;
- ``ci_low``, ``ci_high``: a 95% Wilson score interval for that share, over
  the pooled episodes (tasks x seeds).  Wilson, rather than a bootstrap over
  seeds: it is exact enough at 0% and 100%, needs no resampling and works
  with one seed.  It treats every episode as an independent trial, so it is
  the uncertainty of the success rate of these episodes; the same puzzles
  repeated over seeds are correlated, and the interval is narrower than
  one over fresh puzzles would be;
- ``llm_calls``: the mean LLM calls spent by interaction k (an episode that
  ended earlier counts all its calls).

Two ways to count interactions (:data:`Counting`):

- ``ours``: one interaction per executed step or attempt (what ``rafa run``
  reports as ``env_steps``, and what the interaction cap limits);
- ``official``: the paper's code (RAFA_code, ``Game24/get_data.py``): one
  ``env.step`` submits a whole multi-line plan, which its environment checks
  line by line up to the first bad line, and an episode solved on its n-th
  ``env.step`` is plotted at n + 3 (:data:`OFFICIAL_OFFSET`); points past the
  cap are left out, as there.  Here a submission ends at each rejected
  interaction and at the solving one, so n is the rejections before the
  solution plus one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.scenarios import TaskRecord

Counting = Literal["ours", "official"]
"""How interactions are counted (see the module docstring)."""

COUNTINGS: dict[Counting, str] = {
    "ours": "one environment interaction per executed step or attempt",
    "official": (
        "the paper's code: one interaction per submitted plan (a submission ends at a "
        "rejected step or the solution), plotted at submissions + 3"
    ),
}
"""Each counting convention, described as the output says it."""

OFFICIAL_OFFSET = 3
"""What RAFA_code's ``get_data.py`` adds to an episode's ``env.step`` count."""

Z95 = 1.959963984540054
"""The standard normal's 97.5% quantile: a two-sided 95% interval."""


class CurvePoint(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a curve (the CSV's columns, in order)."""

    interactions: int
    success: float
    ci_low: float
    ci_high: float
    llm_calls: float


CURVE_COLUMNS = tuple(CurvePoint.__struct_fields__)
"""``interactions, success, ci_low, ci_high, llm_calls``."""


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``trials`` (``(0, 1)``
    when there are none); exactly 0 below no successes and 1 above all of them,
    where the formula's rounding would leave a hair's breadth."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def _steps(record: TaskRecord) -> tuple[list[int], list[bool]]:
    if record.step_calls is None or record.step_accepted is None:
        raise ConfigError(
            f"the record of task {record.task_id} has no per-interaction LLM calls "
            "(written before step_calls existed): run it again"
        )
    return record.step_calls, record.step_accepted


def _submission_ends(accepted: Sequence[bool]) -> list[int]:
    """The indices of the interactions that end a submission (``official``):
    each rejected one, and the last."""
    last = len(accepted) - 1
    return [i for i, ok in enumerate(accepted) if not ok or i == last]


def solved_at(record: TaskRecord, counting: Counting) -> int | None:
    """The interaction count (in ``counting``) at which ``record``'s episode
    was solved; ``None`` if it was not."""
    if not record.solved:
        return None
    if counting == "ours":
        return record.env_steps
    _, accepted = _steps(record)
    return len(_submission_ends(accepted)) + OFFICIAL_OFFSET


def calls_by(record: TaskRecord, k: int, counting: Counting) -> int:
    """The LLM calls ``record``'s episode had spent by its ``k``-th
    interaction (in ``counting``): all of them if it ended before."""
    calls, accepted = _steps(record)
    if counting == "ours":
        return calls[k - 1] if k <= len(calls) else record.llm_calls
    submissions = k - OFFICIAL_OFFSET
    if submissions <= 0:
        return 0
    ends = _submission_ends(accepted)
    return calls[ends[submissions - 1]] if submissions <= len(ends) else record.llm_calls


def curve_points(
    records: Sequence[TaskRecord], cap: int, counting: Counting = "ours"
) -> list[CurvePoint]:
    """The curve of ``records`` (every episode of an agent, all seeds), k = 1..``cap``."""
    if cap < 1:
        raise ConfigError("cap must be >= 1", fields=("cap",))
    if not records:
        raise ConfigError("a curve needs at least one episode")
    n = len(records)
    solved = [solved_at(r, counting) for r in records]
    points = []
    for k in range(1, cap + 1):
        wins = sum(1 for at in solved if at is not None and at <= k)
        low, high = wilson(wins, n)
        points.append(
            CurvePoint(
                interactions=k,
                success=wins / n,
                ci_low=low,
                ci_high=high,
                llm_calls=sum(calls_by(r, k, counting) for r in records) / n,
            )
        )
    return points
