"""A report's layout, rendered twice: Markdown and one self-contained HTML page.

Shared by the reports ``rafa`` writes (a tournament's, a study's):
:func:`write_document` writes ``report.md``, ``report.html`` and the PNGs.

A report is a title, a few lines under it, and :class:`Section` s, each
with notes, an optional table and an optional plot.  The Markdown links
each plot's PNG file (next to it in the output directory); the HTML page
embeds the same PNG bytes as ``data:`` URIs and carries its own CSS, so it
can be mailed or attached as one file: it refers to nothing outside itself.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.app._curve_files import PLOT_EXTRA

MARKDOWN_FILE = "report.md"
HTML_FILE = "report.html"
NO_PLOTS = f"No plots: they need matplotlib ({PLOT_EXTRA})."

Plots = dict[str, bytes] | None
"""The PNGs drawn so far by file name; ``None`` when matplotlib is missing."""


class Table(msgspec.Struct, frozen=True, kw_only=True):
    """A table: its header cells and rows of cells (already formatted)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


class Section(msgspec.Struct, frozen=True, kw_only=True):
    """A titled part of the report.  ``plot``: the PNG's file name (``None``: no plot)."""

    title: str
    notes: tuple[str, ...] = ()
    table: Table | None = None
    plot: str | None = None


def with_plot(section: Section, plots: Plots, name: str, draw: Callable[[], bytes]) -> Section:
    """``section`` with the plot ``name`` drawn by ``draw`` into ``plots``,
    or (``plots`` is ``None``) saying why it has none."""
    if plots is None:
        return msgspec.structs.replace(section, notes=(*section.notes, NO_PLOTS))
    plots[name] = draw()
    return msgspec.structs.replace(section, plot=name)


class Document(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    lead: tuple[str, ...]
    """Lines under the title (what was played, which LLM answered)."""
    sections: tuple[Section, ...]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(doc: Document) -> str:
    """``doc`` as Markdown (GitHub's pipe tables), plots linked by file name."""
    lines = [f"# {doc.title}", ""]
    for line in doc.lead:
        lines += [line, ""]
    for section in doc.sections:
        lines += [f"## {section.title}", ""]
        for note in section.notes:
            lines += [note, ""]
        if section.table is not None:
            table = section.table
            lines.append("| " + " | ".join(_md_cell(h) for h in table.headers) + " |")
            lines.append("|" + "---|" * len(table.headers))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            lines.append("")
        if section.plot is not None:
            lines += [f"![{section.title}]({section.plot})", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem;
       border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
img { max-width: 100%; }
p.note { color: #444; }
"""


def html_page(doc: Document, images: Mapping[str, bytes]) -> str:
    """``doc`` as one HTML page; ``images``: each plot's PNG bytes by file
    name (a section whose plot is missing from it shows no image)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(doc.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(doc.title)}</h1>",
    ]
    parts += [f"<p>{esc(line)}</p>" for line in doc.lead]
    for section in doc.sections:
        parts.append(f"<section><h2>{esc(section.title)}</h2>")
        parts += [f'<p class="note">{esc(note)}</p>' for note in section.notes]
        if section.table is not None:
            parts.append(_html_table(section.table))
        png = images.get(section.plot) if section.plot is not None else None
        if png is not None:
            data = base64.b64encode(png).decode("ascii")
            alt = esc(section.title)
            parts.append(f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"></figure>')
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _html_table(table: Table) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def number(value: float | None, digits: int = 1, scale: float = 1.0) -> str:
    """``value * scale`` to ``digits`` decimals; ``-`` for ``None``."""
    return "-" if value is None else f"{value * scale:,.{digits}f}"


def cells(values: Sequence[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def write_document(
    document: Document, plots: Plots, out_dir: str | os.PathLike[str]
) -> tuple[Path, ...]:
    """Write ``document`` into ``out_dir`` (created): :data:`MARKDOWN_FILE`,
    :data:`HTML_FILE` and each PNG of ``plots``; the PNGs' paths.

    :class:`ConfigError` naming ``out`` if the directory cannot be written.
    Blocking; an async caller runs it in a worker thread."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, png in (plots or {}).items():
            (out / name).write_bytes(png)
            written.append(out / name)
        (out / MARKDOWN_FILE).write_text(markdown(document), encoding="utf-8")
        (out / HTML_FILE).write_text(html_page(document, plots or {}), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"--out {out}: cannot write the report there ({exc.strerror or exc})",
            fields=("out",),
        ) from None
    return tuple(written)
