"""Reading task ranges (``901-1000``, ``1-3,10``), shared by the benchmarks' task specs."""

from __future__ import annotations

from rafa_async._errors import ConfigError


def parse_ranges(spec: str, total: int, *, what: str, example: str) -> list[int]:
    """``"1-3,10,20-22"`` -> the sorted unique numbers, each in ``1..total``.

    :class:`ConfigError` ``bad <what> {spec!r}: ...`` names the bad part.
    """
    numbers: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            raise ConfigError(f"bad {what} {spec!r}: empty part")
        lo_text, sep, hi_text = part.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if sep else lo
        except ValueError:
            raise ConfigError(
                f"bad {what} {spec!r}: {part!r} is not N or N-M (e.g. {example})"
            ) from None
        if not 1 <= lo <= hi <= total:
            raise ConfigError(f"bad {what} {spec!r}: {part!r} must satisfy 1 <= N <= M <= {total}")
        numbers.update(range(lo, hi + 1))
    return sorted(numbers)
