"""Graphviz ERD: one HTML-like table per SQL table, crow's-foot edges from FK to parent.

The DOT text is written here rather than through the `graphviz` Python package: it is a
few dozen lines, needs no extra dependency, and the escaping rules (HTML entities inside
labels, synthetic ids for odd names) are the part that matters and are kept explicit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Collection, Mapping

from schemawright.documentation.links import Link, drawing
from schemawright.model import Design, Table

FONT = "Helvetica"
_HEADER = {"entity": "#1f4e79", "junction": "#5a7d2a", "list": "#7a4e8c"}
_FOCUS = "#b45309"  # the table a neighbourhood diagram is about
_PK_ROW = "#fff4cc"
_GRID = "#9aa7b4"
_MUTED = "#6b7785"
# Edges take their parent's colour, so in a dense schema one can follow them to their table.
_EDGE_COLOURS = ("#1f5fa6", "#b03a2e", "#2e7d32", "#7b3fa0", "#b26a00", "#00838f", "#6d4c41", "#ad1457",
                 "#455a64", "#827717")
_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # \Z: `$` would let a trailing newline through
# Arrow shapes list the glyph nearest the node first: "crowodot" = crow at the table, circle beyond.
_PARENT_END = {0: "teeodot", 1: "teetee"}
_CHILD_END = {(0, True): "crowodot", (1, True): "crowtee", (0, False): "teeodot", (1, False): "teetee"}


def to_dot(design: Design, tables: Collection[str] | None = None, *, stubs: bool | Collection[str] = False,
           focus: str | None = None, brief: Collection[str] = (), title: str | None = None,
           captions: Mapping[str, str] | None = None, hrefs: Mapping[str, str] | None = None) -> str:
    """The ERD of the whole schema, or of a subset (see `links.drawing`).  `title` replaces
    the project name, `captions` add a grey line under a bare box's name (e.g. its domain),
    `hrefs` make tables clickable in the SVG; the `focus` table is highlighted."""
    draw = drawing(design, tables, stubs=stubs, focus=focus, brief=brief)
    names = draw.names
    ids = _node_ids(names)
    label = html(design.project if title is None else title)
    label = f"<<B>{label}</B>>" if label.strip() else '""'  # Graphviz rejects an empty <B></B>
    lines = [
        "digraph erd {",
        f'  graph [rankdir=LR, fontname="{FONT}", fontsize=16, labelloc=t, labeljust=l, '
        f'label={label}, nodesep=0.5, ranksep=1.2, pad=0.3, bgcolor="white", concentrate=false];',
        f'  node [shape=plain, fontname="{FONT}", fontsize=11];',
        f'  edge [fontname="{FONT}", fontsize=9, penwidth=1.2, arrowsize=0.9, dir=both];',
    ]
    hrefs = hrefs or {}
    captions = captions or {}
    for table in draw.tables:
        tooltip = _dot_string(table.description or table.name)
        link = f', URL="{_dot_string(hrefs[table.name])}"' if table.name in hrefs else ""
        shown = draw.shown_columns(table) if draw.partial else None
        lines.append(f'  "{ids[table.name]}" [label=<{_label(table, shown, table.name == draw.focus)}>, '
                     f'tooltip="{tooltip}"{link}];')
    for name in draw.bare:  # referenced but not drawn in full: a bare box, not a DOT ellipse
        caption = (f'<BR/><FONT POINT-SIZE="9" COLOR="{_MUTED}">{html(captions[name])}</FONT>'
                   if name in captions else "")
        link = f', URL="{_dot_string(hrefs[name])}"' if name in hrefs else ""
        lines.append(f'  "{ids[name]}" [shape=box, style=dashed, label=<{html(name)}{caption}>{link}];')
    tables = {t.name: t for t in draw.tables}
    colour = {name: _EDGE_COLOURS[i % len(_EDGE_COLOURS)] for i, name in enumerate(names)}
    minlen = _stagger(draw.links) if draw.partial else {}
    for link in draw.links:
        lines.append("  " + _edge(link, ids, tables.get(link.parent), colour[link.parent], minlen.get(id(link))))
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_source: str) -> str | None:
    """SVG from DOT via the `dot` program; None when Graphviz is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8")


def render_svgs(sources: list[str], jobs: int | None = None) -> list[str]:
    """Many SVGs at once: a few `dot` processes, each fed a batch of graphs (one process per
    graph would spend most of its time starting up).  Same order as `sources`."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    if not sources:
        return []
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("Graphviz's `dot` program is not installed")
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(sources), 8))
    # Interleave the batches so big and small graphs spread evenly over the processes.
    batches = [list(range(i, len(sources), jobs)) for i in range(jobs)]

    def run(batch: list[int]) -> list[str]:
        done = subprocess.run([exe, "-Tsvg"], input="".join(sources[i] for i in batch).encode("utf-8"),
                              capture_output=True, timeout=600)
        parts = _split_svgs(done.stdout.decode("utf-8"))
        if done.returncode != 0 or len(parts) != len(batch):  # find the culprit one graph at a time
            return [render_svg(sources[i]) or "" for i in batch]
        return parts

    out: list[str] = [""] * len(sources)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for batch, images in zip(batches, pool.map(run, batches)):
            for i, image in zip(batch, images):
                out[i] = image
    return out


def _split_svgs(text: str) -> list[str]:
    # Every SVG starts with its XML declaration; labels are escaped, so none contains one.
    # Graphviz ids the graph of every SVG after the first in a stream as `page0,1_graph0`:
    # give it the id it has when drawn alone, so batching never changes the bytes.
    return ["<?xml" + part.replace('<g id="page0,1_graph0" class="graph"', '<g id="graph0" class="graph"', 1)
            for part in text.split("<?xml")[1:]]


def html(text: str) -> str:
    """Escape for a Graphviz HTML-like label (entities; control characters dropped)."""
    text = "".join(ch if ch >= " " else " " for ch in text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("[", "&#91;").replace("]", "&#93;"))  # Graphviz 2.43 chokes on a bare ]


def _dot_string(text: str) -> str:
    """Body of a quoted DOT string (escString): backslashes and quotes escaped, one line,
    control characters dropped (Graphviz stops reading at a NUL)."""
    text = "".join(ch if ch >= " " else " " for ch in text)
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def _label(table: Table, shown: tuple[int, ...] | None = None, focus: bool = False) -> str:
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk = {c for f in table.foreign_keys for c in f.columns}
    # UK marks a column unique on its own; composite keys are listed under the columns,
    # since marking each member would wrongly suggest it is unique by itself.
    uk = {u.columns[0] for u in table.uniques if len(u.columns) == 1}
    composite = [u for u in table.uniques if len(u.columns) > 1]
    head = _FOCUS if focus else _HEADER.get(table.kind, _HEADER["entity"])
    kind = "" if table.kind == "entity" else f' <FONT POINT-SIZE="9">({table.kind})</FONT>'
    border, grid = ("2", _FOCUS) if focus else ("1", _GRID)
    show = set(range(len(table.columns)) if shown is None else shown)
    rows = [
        f'<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="{grid}">',
        f'<TR><TD COLSPAN="3" BGCOLOR="{head}" CELLPADDING="6"><FONT COLOR="white" POINT-SIZE="13">'
        f"<B>{html(table.name)}</B>{kind}</FONT></TD></TR>",
    ]
    for i, column in enumerate(table.columns):
        if i not in show:
            continue
        marks = [m for m, s in (("PK", pk), ("FK", fk), ("UK", uk)) if column.name in s]
        name = html(column.name)
        name = f"<B><U>{name}</U></B>" if column.name in pk else name
        sql_type = html(column.sql_type or column.semantic)
        null = "" if not column.nullable else f' <FONT COLOR="{_MUTED}">null</FONT>'
        bg = f' BGCOLOR="{_PK_ROW}"' if column.name in pk else ""
        rows.append(
            f'<TR><TD ALIGN="LEFT" PORT="c{i}w"{bg}>{name}</TD>'
            f'<TD ALIGN="LEFT"{bg}><FONT COLOR="{_MUTED}">{sql_type}</FONT>{null}</TD>'
            f'<TD ALIGN="RIGHT" PORT="c{i}e"{bg}>{_marks(marks)}</TD></TR>'
        )
    if not table.columns:
        rows.append('<TR><TD COLSPAN="3"><I>no columns</I></TD></TR>')
    elif len(show) < len(table.columns):
        hidden = len(table.columns) - len(show)
        rows.append(f'<TR><TD COLSPAN="3" ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="{_MUTED}"><I>'
                    f'+ {hidden} more column{"s" if hidden != 1 else ""}</I></FONT></TD></TR>')
    for u in composite:
        rows.append(f'<TR><TD COLSPAN="3" ALIGN="LEFT" BGCOLOR="#f3f5f7"><FONT POINT-SIZE="9" COLOR="{_MUTED}">'
                    f'UNIQUE ({html(", ".join(u.columns))})</FONT></TD></TR>')
    rows.append("</TABLE>")
    return "\n    ".join(rows)  # one row per line keeps erd.dot readable and diffable


def _marks(marks: list[str]) -> str:
    # Graphviz rejects empty <B></B>, so an unmarked column gets an empty cell.
    return f'<FONT POINT-SIZE="9"><B>{" ".join(marks)}</B></FONT>' if marks else ""


def _stagger(links: tuple[Link, ...], per_column: int = 6, max_columns: int = 4, leaf_degree: int = 2) -> dict[int, int]:
    """Edge lengths that spread a fan of leaf tables over a few columns (what Graphviz's
    `unflatten` does): twenty children of one table then stand in four columns of five
    instead of one column twenty tables tall.  Returns minlen by id(link)."""
    degree: dict[str, int] = {}
    for lk in links:
        if lk.parent != lk.child.name:
            degree[lk.child.name] = degree.get(lk.child.name, 0) + 1
            degree[lk.parent] = degree.get(lk.parent, 0) + 1
    fans: dict[str, list[Link]] = {}
    for lk in links:
        if lk.parent == lk.child.name:
            continue
        if degree[lk.child.name] <= leaf_degree and degree[lk.parent] > 1:
            fans.setdefault(lk.parent, []).append(lk)
        elif degree[lk.parent] <= leaf_degree and degree[lk.child.name] > 1:
            fans.setdefault("\0" + lk.child.name, []).append(lk)
    out: dict[int, int] = {}
    for fan in fans.values():
        columns = min(max_columns, -(-len(fan) // per_column))
        if columns > 1:
            for k, lk in enumerate(fan):
                out[id(lk)] = 1 + k % columns
    return out


def _edge(link: Link, ids: dict[str, str], parent: Table | None, colour: str, minlen: int | None = None) -> str:
    # With rankdir=LR children sit left of their parents: leave the child from the FK
    # row's east side and enter the parent's key row from the west (a self-reference
    # loops on the east side), so edges never cut across a table.
    child_col = link.fk.columns[0] if link.fk.columns else None
    ref_col = link.fk.ref_columns[0] if link.fk.ref_columns else None
    self_ref = link.parent == link.child.name
    tail = f'"{ids[link.child.name]}"' + _port(link.child, child_col, "e")
    head = f'"{ids[link.parent]}"' + (_port(parent, ref_col, "e" if self_ref else "w") if parent else "")
    attrs = {
        "arrowhead": _PARENT_END[link.parent_min],
        "arrowtail": _CHILD_END[(link.child_min, link.child_many)],
        "color": colour,
        "tooltip": f"{link.fk.name}: {link.child.name}({', '.join(link.fk.columns)}) -> "
                   f"{link.parent}({', '.join(link.fk.ref_columns)})",
    }
    if link.identifying:  # FK inside the child's key (junction, list tables): a heavier line
        attrs["penwidth"] = "2"
    if minlen and minlen > 1:
        attrs["minlen"] = str(minlen)
    return f"{tail} -> {head} [" + ", ".join(f'{k}="{_dot_string(v)}"' for k, v in attrs.items()) + "];"


def _port(table: Table, column: str | None, side: str) -> str:
    index = next((i for i, c in enumerate(table.columns) if c.name == column), None)
    return "" if index is None else f":c{index}{side}:{side}"


def _node_ids(names: list[str]) -> dict[str, str]:
    """Plain names stay readable; anything else gets a synthetic id (DOT ids are not escaped
    uniformly, so an odd name is never used as one) and shows its real name in the label."""
    out: dict[str, str] = {}
    taken = {n for n in names if _PLAIN_ID.match(n)}
    n = 0
    for name in names:
        if name in out:
            continue
        if _PLAIN_ID.match(name):
            out[name] = name
            continue
        while f"table_{n}" in taken:
            n += 1
        out[name] = f"table_{n}"
        taken.add(out[name])
    return out
