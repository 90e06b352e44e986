"""Split a schema into domains, so that no diagram is a hairball.

A domain is a group of at most `max_tables` tables drawn together.  The grouping uses
what the schema says about itself first, and its foreign keys otherwise:

1. PostgreSQL schemas, when tables are named `schema.table` in more than one schema;
2. shared table-name prefixes, when nearly every table carries one (`auth_user`,
   `auth_group`, `blog_post` ... as Django, Magento or WordPress plugins write them);
3. otherwise clusters of the foreign-key graph: communities found by the Louvain method
   (greedy modularity optimisation, written here: it is ~60 lines and keeps the tool free
   of a graph library).  Modularity weighs every link against the degrees of its two ends,
   so a hub such as `users`, referenced from everywhere, joins one community instead of
   gluing every table into one component, as connected components would.

Any group larger than the cap is split again by the same method on its own foreign keys,
and if it has no community structure (a star around one hub), into connected runs of a
breadth-first walk.  Tables with no foreign key at all are listed together as unrelated
tables.  Everything iterates in design order with explicit tie-breaks, so the same schema
always gives the same domains.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from schemawright.model import Design

MAX_TABLES = 25
MIN_PART = 5  # parts smaller than this join the part they are most linked with, when it has room
# Prefix groups are used only if they agree with the foreign keys at least this well
# (modularity; 0 = no better than chance, real module structure scores 0.3 to 0.8).
MIN_PREFIX_MODULARITY = 0.2
HUB_LINKS = 6
_SHARED, _OTHER = "\0shared", "\0other"
_SHARED_DETAIL = ("Hub tables referenced from many domains (such as users or currencies): kept apart so "
                  "that they do not glue every domain into one.")
_SCHEMA = re.compile(r"^([A-Za-z_][A-Za-z0-9_$]*)\.(.+)$")
_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9]*)_(.+)$")


@dataclass(frozen=True)
class Domain:
    name: str
    tables: tuple[str, ...]  # in design order
    basis: str  # "schema", "prefix", "foreign keys", "unrelated" or "whole schema"
    detail: str  # one sentence saying why these tables are together


Graph = dict[str, dict[str, float]]


def find_domains(design: Design, max_tables: int = MAX_TABLES) -> tuple[Domain, ...]:
    """The domains of a schema, sorted by name (tables without any link last)."""
    if max_tables < 2:
        raise ValueError("max_tables must be at least 2")
    names = list(dict.fromkeys(t.name for t in design.tables))
    if not names:
        return ()
    position = {n: i for i, n in enumerate(names)}
    graph = fk_graph(design, position)
    ctx = _Splitter(graph, position, max_tables)

    schemas = {n: m.group(1) if (m := _SCHEMA.match(n)) else "public" for n in names}
    if len(set(schemas.values())) > 1:
        groups = _group_by(names, schemas)
        domains = [d for key, members in groups.items()
                   for d in ctx.named_parts(members, key, "schema",
                                            f"Tables in the PostgreSQL schema `{key}`.")]
        return _finish(domains, position)
    if len(names) <= max_tables:
        return (Domain("all tables", tuple(names), "whole schema",
                       f"The whole schema ({len(names)} tables) fits in one diagram."),)
    prefixes = _module_prefixes(names, graph)
    if prefixes is not None:
        groups = _group_by(names, prefixes)
        domains = []
        for key, members in groups.items():
            if key == _SHARED:
                domains += ctx.named_parts(members, "shared tables", "shared", _SHARED_DETAIL)
            elif key == _OTHER:
                domains += ctx.named_parts(members, "other tables", "unrelated",
                                           "Tables without a shared name prefix or a foreign key to one.")
            else:
                domains += ctx.named_parts(members, key, "prefix", f"Tables whose names start with `{key}_`.")
        return _finish(domains, position)
    return _finish(ctx.clusters(names), position)


def fk_graph(design: Design, position: dict[str, int]) -> Graph:
    """Undirected foreign-key graph between described tables: weight = number of FKs."""
    graph: Graph = {n: {} for n in position}
    for t in design.tables:
        for fk in t.foreign_keys:
            a, b = t.name, fk.ref_table
            if a == b or b not in graph:
                continue
            graph[a][b] = graph[a].get(b, 0.0) + 1.0
            graph[b][a] = graph[b].get(a, 0.0) + 1.0
    return graph


# ------------------------------------------------------------------ schemas and prefixes


def _group_by(names: list[str], key: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(key[n], []).append(n)
    return dict(sorted(groups.items()))


def _module_prefixes(names: list[str], graph: Graph) -> dict[str, str] | None:
    """Prefix per table when nearly every table carries a shared module prefix, else None.

    A prefix counts when at least three tables share it.  It decides only when 80% of the
    tables are covered by at least two such prefixes, none covering nearly everything (a
    `wp_` on every table is stripped and the next word is tried), and the prefixes agree
    with the foreign keys (MIN_PREFIX_MODULARITY).  Entity families such as `orders`,
    `order_lines` rarely reach that coverage, so ordinary schemas fall through to
    foreign-key clusters.  A table without a prefix joins the prefix it has the most
    foreign keys with, unless it is a hub linked to many prefixes (then it is shared)."""
    rest = {n: n.lower() for n in names}
    for _ in range(2):
        token = {n: m.group(1) if (m := _PREFIX.match(r)) else None for n, r in rest.items()}
        counts = Counter(t for t in token.values() if t)
        shared = {t for t, c in counts.items() if c >= 3}
        covered = sum(1 for t in token.values() if t in shared)
        if len(shared) == 1 and covered >= 0.9 * len(names):  # one prefix everywhere: wp_posts ...
            rest = {n: (m.group(2) if (m := _PREFIX.match(r)) else r) for n, r in rest.items()}
            continue
        if len(shared) < 2 or covered < 0.8 * len(names) or max(counts[t] for t in shared) > 0.9 * len(names):
            return None
        out = {n: t for n, t in token.items() if t in shared}
        if modularity(graph, out) < MIN_PREFIX_MODULARITY:  # prefixes that cut across the foreign keys
            return None
        # Best-linked first, so a table linked only to a shared hub follows it there.
        for n in sorted((n for n in names if n not in out), key=lambda n: -sum(graph[n].values())):
            out[n] = _home(graph[n], out)
        return out
    return None


def _home(links: dict[str, float], group: dict[str, str]) -> str:
    """The group a table without one of its own belongs to, judged by its links."""
    votes: Counter[str] = Counter()
    for other, w in links.items():
        if other in group and group[other] != _OTHER:
            votes[group[other]] += w
    if not votes:
        return _OTHER
    best = min(votes, key=lambda g: (-votes[g], g))
    if _is_hub(Counter({g: w for g, w in votes.items() if g != _SHARED})):
        return _SHARED
    return best


def _is_hub(votes: Counter[str]) -> bool:
    """Linked to at least HUB_LINKS tables spread over three or more groups, none holding
    half of the links: such a table belongs to no group in particular."""
    total = sum(votes.values())
    return total >= HUB_LINKS and len(votes) >= 3 and max(votes.values()) < total / 2


def modularity(graph: Graph, group: dict[str, str]) -> float:
    """Newman's modularity of a partition (nodes missing from `group` count as alone);
    1.0 when the graph has no edges, so that prefixes alone can decide."""
    m2 = sum(sum(nb.values()) for nb in graph.values())
    if m2 == 0:
        return 1.0
    inside: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for n, nb in graph.items():
        g = group.get(n, "\0" + n)
        total[g] += sum(nb.values())
        inside[g] += sum(w for m, w in nb.items() if group.get(m, "\0" + m) == g)
    return sum(inside[g] / m2 - (total[g] / m2) ** 2 for g in total)


# ------------------------------------------------------------------ foreign-key clusters


class _Splitter:
    def __init__(self, graph: Graph, position: dict[str, int], cap: int) -> None:
        self.graph, self.position, self.cap = graph, position, cap

    def named_parts(self, members: list[str], key: str, basis: str, detail: str) -> list[Domain]:
        parts = self.split(members)
        if len(parts) == 1:
            return [Domain(key, tuple(parts[0]), basis, detail)]
        return [Domain(f"{key}: {_without(self.central(p), key)}", tuple(p), basis,
                       detail[:-1] + f", part {i} of {len(parts)} (split to keep diagrams small).")
                for i, p in enumerate(parts, 1)]

    def clusters(self, names: list[str]) -> list[Domain]:
        parts = self.split(names, whole=True)
        # Hubs (linked to many communities, belonging to none) make a domain of their own,
        # with the tables linked to nothing but hubs (countries of organizations ...); the
        # communities are then found again without them, so that a table with more links
        # to hubs than to its own module still joins its module.
        group = {n: str(i) for i, p in enumerate(parts) for n in p}
        hub_set = {n for n in names if _is_hub(self._votes(n, group))}
        if hub_set:
            hub_set |= {n for n in names if self.graph[n] and set(self.graph[n]) <= hub_set}
            parts = self.split([n for n in names if n not in hub_set], whole=True)
        hubs = [n for n in names if n in hub_set]
        # Tables with no link, and small groups linked only among themselves, share a few
        # domains instead of each making a diagram of one or two boxes.
        alone = [len(p) < MIN_PART and not self._links_out(p, hub_set) for p in parts]
        out = [Domain(self.central(p), tuple(p), "foreign keys",
                      "Tables more closely linked by foreign keys to each other than to the rest.")
               for p, lonely in zip(parts, alone) if not lonely]
        if hubs:
            out += self.named_parts(hubs, "shared tables", "shared", _SHARED_DETAIL)
        chunks = _pack([p for p, lonely in zip(parts, alone) if lonely], self.cap)
        for i, chunk in enumerate(chunks, 1):
            suffix = f" ({i} of {len(chunks)})" if len(chunks) > 1 else ""
            out.append(Domain("other tables" + suffix, tuple(chunk), "unrelated",
                              "Tables not linked by foreign keys to the rest of the schema "
                              "(alone or in small groups, or only to shared tables)."))
        return out

    def _votes(self, n: str, group: dict[str, str]) -> Counter[str]:
        votes: Counter[str] = Counter()
        for other, w in self.graph[n].items():
            votes[group[other]] += w
        return votes

    def _links_out(self, part: list[str], ignore: set[str]) -> bool:
        inside = set(part) | ignore
        return any(m not in inside for n in part for m in self.graph[n])

    def split(self, members: list[str], whole: bool = False) -> list[list[str]]:
        """Communities of the members' subgraph, each at most `cap` tables.  A group that
        fits stays whole, unless `whole` asks for the communities of the whole schema."""
        if len(members) <= self.cap and not whole:
            return [members]
        inside = set(members)
        sub = {n: {m: w for m, w in self.graph[n].items() if m in inside} for n in members}
        parts = louvain(members, sub)
        if len(parts) == 1 and len(members) > self.cap:
            return self._walk_chunks(members, sub)
        out: list[list[str]] = []
        for part in parts:
            out += self.split(part) if len(part) > self.cap else [part]
        return self._merge_small(out, sub, whole)

    def _merge_small(self, parts: list[list[str]], sub: Graph, whole: bool) -> list[list[str]]:
        """Fewer, fuller parts: smallest first, a part joins the part it shares most foreign
        keys with while the result stays within the cap.  For the communities of a whole
        schema only parts smaller than MIN_PART do (each community is a topic of its own);
        inside a group being split, every part does (the group is one topic already).
        Unlinked tables inside a group share a few parts."""
        parts = [list(p) for p in parts]
        owner = {n: i for i, p in enumerate(parts) for n in p}
        alive = set(range(len(parts)))
        limit = MIN_PART if whole else self.cap
        while True:
            small = sorted((i for i in alive if len(parts[i]) < limit),
                           key=lambda i: (len(parts[i]), self.position[parts[i][0]]))
            merged = False
            for i in small:
                weight: Counter[int] = Counter()
                for n in parts[i]:
                    for m, w in sub[n].items():
                        if owner[m] != i:
                            weight[owner[m]] += w
                fits = [j for j in weight if len(parts[i]) + len(parts[j]) <= self.cap]
                if not fits:
                    continue
                j = min(fits, key=lambda j: (-weight[j], len(parts[j]), self.position[parts[j][0]]))
                parts[j] += parts[i]
                for n in parts[i]:
                    owner[n] = j
                parts[i] = []
                alive.discard(i)
                merged = True
                break
            if not merged:
                break
        out = [sorted(parts[i], key=self.position.__getitem__) for i in sorted(alive)]
        if whole:
            return out
        # What is left small is linked only to full parts (or to nothing): parts of one
        # group share a topic, so they share a diagram rather than make several tiny ones.
        bins = [p for p in out if len(p) > self.cap // 2]
        for part in (p for p in out if len(p) <= self.cap // 2):
            home = next((b for b in bins if len(b) + len(part) <= self.cap), None)
            if home is None:
                bins.append(list(part))
            else:
                home += part
        return [sorted(b, key=self.position.__getitem__) for b in bins]

    def _walk_chunks(self, members: list[str], sub: Graph) -> list[list[str]]:
        """No community structure: cut a breadth-first walk (from the best-linked table,
        heaviest links first) into equal runs, so each run stays connected."""
        order: list[str] = []
        seen: set[str] = set()
        by_degree = sorted(members, key=lambda n: (-sum(sub[n].values()), self.position[n]))
        for start in by_degree:
            if start in seen:
                continue
            seen.add(start)
            queue = [start]
            while queue:
                node = queue.pop(0)
                order.append(node)
                for m in sorted(sub[node], key=lambda m: (-sub[node][m], self.position[m])):
                    if m not in seen:
                        seen.add(m)
                        queue.append(m)
        count = math.ceil(len(order) / self.cap)
        size = math.ceil(len(order) / count)
        return [sorted(order[i:i + size], key=self.position.__getitem__) for i in range(0, len(order), size)]

    def central(self, part: list[str]) -> str:
        """The table a part revolves around: most referenced from inside it."""
        inside = set(part)
        return min(part, key=lambda n: (-sum(w for m, w in self.graph[n].items() if m in inside),
                                        self.position[n]))


def _without(name: str, prefix: str) -> str:
    """`accounting_journal` in the domain `accounting` reads `journal`."""
    for sep in ("_", "."):
        if name.lower().startswith(prefix.lower() + sep) and len(name) > len(prefix) + 1:
            return name[len(prefix) + 1:]
    return name


def _pack(parts: list[list[str]], cap: int) -> list[list[str]]:
    """Small parts (kept whole) packed in order into as few bins of at most `cap` as fit."""
    bins: list[list[str]] = []
    for part in parts:
        if bins and len(bins[-1]) + len(part) <= cap:
            bins[-1] += part
        else:
            bins.append(list(part))
    return bins



def louvain(nodes: list[str], graph: Graph, resolution: float = 1.0) -> list[list[str]]:
    """Communities maximising modularity (Blondel et al. 2008), deterministic: nodes are
    visited in the given order and ties keep the current or the earliest community.
    Returns lists of nodes in the given order, ordered by their first node."""
    index = {n: i for i, n in enumerate(nodes)}
    # Current level: adjacency of super-nodes (i -> {j: w}), self-loop weights, membership.
    adj: list[dict[int, float]] = [{index[m]: w for m, w in graph[n].items() if m != n} for n in nodes]
    loops = [0.0] * len(nodes)
    member = list(range(len(nodes)))  # original node -> super-node
    while True:
        comm, moved = _one_level(adj, loops, resolution)
        if not moved:
            break
        renumber: dict[int, int] = {}
        for c in comm:
            renumber.setdefault(c, len(renumber))
        new_adj: list[dict[int, float]] = [{} for _ in renumber]
        new_loops = [0.0] * len(renumber)
        for i, neighbours in enumerate(adj):
            ci = renumber[comm[i]]
            new_loops[ci] += loops[i]
            for j, w in neighbours.items():
                cj = renumber[comm[j]]
                if ci == cj:
                    new_loops[ci] += w / 2  # each internal edge is seen from both ends
                else:
                    new_adj[ci][cj] = new_adj[ci].get(cj, 0.0) + w
        member = [renumber[comm[s]] for s in member]
        adj, loops = new_adj, new_loops
        if len(adj) == 1:
            break
    groups: dict[int, list[str]] = {}
    for n, s in zip(nodes, member):
        groups.setdefault(s, []).append(n)
    return sorted(groups.values(), key=lambda g: index[g[0]])


def _one_level(adj: list[dict[int, float]], loops: list[float], resolution: float) -> tuple[list[int], bool]:
    degree = [sum(nb.values()) + 2 * loops[i] for i, nb in enumerate(adj)]
    m2 = sum(degree)
    comm = list(range(len(adj)))
    if m2 == 0:
        return comm, False
    total = degree[:]
    moved_any = False
    for _ in range(100):  # passes; converges long before in practice
        moved = False
        for i, neighbours in enumerate(adj):
            ci = comm[i]
            weights: dict[int, float] = {}
            for j, w in neighbours.items():
                weights[comm[j]] = weights.get(comm[j], 0.0) + w
            total[ci] -= degree[i]
            scale = resolution * degree[i] / m2
            best, best_gain = ci, weights.get(ci, 0.0) - scale * total[ci]
            for c, w in weights.items():
                gain = w - scale * total[c]
                if gain > best_gain + 1e-9 or (abs(gain - best_gain) <= 1e-9 and c < best and best != ci):
                    best, best_gain = c, gain
            total[best] += degree[i]
            if best != ci:
                comm[i] = best
                moved = moved_any = True
        if not moved:
            break
    return comm, moved_any


# ------------------------------------------------------------------ naming and order


def _finish(domains: list[Domain], position: dict[str, int]) -> tuple[Domain, ...]:
    domains = [Domain(d.name, tuple(sorted(d.tables, key=position.__getitem__)), d.basis, d.detail)
               for d in domains if d.tables]
    domains.sort(key=lambda d: (d.basis == "unrelated", d.name.lower(), d.name, position[d.tables[0]]))
    used: set[str] = set()
    out = []
    for d in domains:
        name, n = d.name, 2
        while name.lower() in used:
            name, n = f"{d.name} ({n})", n + 1
        used.add(name.lower())
        out.append(Domain(name, d.tables, d.basis, d.detail))
    return tuple(out)


def domain_of(domains: tuple[Domain, ...]) -> dict[str, Domain]:
    """Table name -> its domain."""
    return {t: d for d in domains for t in d.tables}
