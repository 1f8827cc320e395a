"""The report's ratings sections (filled in once the ratings land)."""

from __future__ import annotations

from rafa_async.tournament._report_data import ReportData
from rafa_async.tournament._report_render import Section


def rating_sections(data: ReportData, plots: dict[str, bytes] | None) -> list[Section]:
    return []
