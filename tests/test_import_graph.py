"""The package import graph of src/schemawright has no cycles, and step packages stay below the wiring.

Every `import` of every module counts, at any depth: inside functions (a function-level import
still ties the packages together, it only hides the tie) and inside `if TYPE_CHECKING:` blocks
(a type named in a signature is a dependency on its package's design; hiding it from the
interpreter does not remove it).  A node is a first-level package (`indexing`) or a top-level
module (`pipeline`, `model`).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "schemawright"
PACKAGE = "schemawright"
# Only these wire several steps together; no step package may import them.
WIRING = {"cli", "commands", "pipeline"}


def _node(module: str) -> str | None:
    """`schemawright.indexing.select` -> `indexing`; None outside the package or for the package root."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    return (ROOT / name).is_dir() or (ROOT / f"{name}.py").is_file()


def _imported_modules(path: Path) -> list[tuple[str, int, str]]:
    """(imported module, line, source line) for every import in the file, at any depth."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from schemawright import model` imports the module schemawright.model (not so `__version__`)
            names = [f"{prefix}.{alias.name}" if prefix == PACKAGE and _is_module(alias.name) else prefix
                     for alias in node.names]
        else:
            continue
        found.extend((name, node.lineno, lines[node.lineno - 1].strip()) for name in names)
    return found


def import_graph() -> dict[str, dict[str, list[str]]]:
    """{package: {imported package: ["file:line: import ...", ...]}} for first-party imports between packages."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(ROOT.rglob("*.py")):
        source_node = _node(_module_name(path))
        if source_node is None:
            continue
        graph[source_node]  # every package is a node, even one that imports nothing first-party
        for module, line, text in _imported_modules(path):
            target = _node(module)
            where = f"{path.relative_to(ROOT)}:{line}: {text}"
            if target is not None and target != source_node and where not in graph[source_node][target]:
                graph[source_node][target].append(where)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Tarjan's components with more than one package (the cycles), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, {})):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def _describe(graph: dict[str, dict[str, list[str]]], component: list[str]) -> str:
    members = set(component)
    lines = [f"cycle through {len(component)} packages: {', '.join(component)}"]
    for source in component:
        for target in sorted(set(graph[source]) & members):
            lines.append(f"  {source} -> {target}")
            lines.extend(f"      {where}" for where in graph[source][target])
    return "\n".join(lines)


def test_the_package_graph_has_no_cycles() -> None:
    graph = import_graph()
    cycles = strongly_connected(graph)
    assert not cycles, "\n\n".join(_describe(graph, component) for component in cycles)


def test_step_packages_do_not_import_the_wiring() -> None:
    graph = import_graph()
    offending = [f"{source} -> {target}: {where}"
                 for source, targets in sorted(graph.items()) if source not in WIRING
                 for target in sorted(set(targets) & WIRING)
                 for where in targets[target]]
    assert not offending, "only cli, commands/ and pipeline wire steps together:\n" + "\n".join(offending)


def test_the_graph_reader_sees_imports_inside_functions() -> None:
    """Guards the test itself: a function-level import is an edge."""
    graph = import_graph()
    assert "pipeline" in graph["cli"] or "commands" in graph["cli"]
    assert graph["model"] is not None


def test_no_first_party_import_is_guarded() -> None:
    """`except ImportError` around our own modules hides which path runs; only third-party
    imports (optional extras, platform binaries) may be guarded."""
    guarded = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try) or not any(_catches_import_error(h) for h in node.handlers):
                continue
            own = [n for n in ast.walk(ast.Module(body=node.body, type_ignores=[]))
                   if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").split(".")[0] == PACKAGE)
                   or isinstance(n, ast.Import) and any(a.name.split(".")[0] == PACKAGE for a in n.names)]
            guarded.extend(f"{path.relative_to(ROOT)}:{n.lineno}" for n in own)
    assert not guarded, "first-party imports guarded by except ImportError:\n" + "\n".join(guarded)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names)
