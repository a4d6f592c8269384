"""The package keeps its layers (README, Development): read from the
source, every import of every module, including those inside functions
(digest imports heavy modules late, so most arrows are there); only
imports under `if TYPE_CHECKING:` are left out, since they never run.

- core (config, errors, files, imagesizes, locations, models, report, schema, store, text, urls,
  values) imports only core;
- a stage package (sources, stories, output, delivery) imports core and
  itself, never another stage, the app or the CLI;
- the app (app.py, feeds.py) imports core and stages, never the CLI;
- only the command line (digest/cli/) imports click;
- no module imports another that imports it back, directly or round a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "digest"
CORE = {"config", "errors", "files", "imagesizes", "locations", "models", "report", "sandbox", "schema", "store", "text",
        "urls",
        "values"}
STAGES = ("sources", "stories", "output", "delivery")
APP = {"app", "feeds"}
DYNAMIC = "<an import by a computed name>"


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If, typing_flag: bool) -> bool:
    """`if TYPE_CHECKING:` with typing's own flag (never true at run time);
    a module's own TYPE_CHECKING = True would make those imports real."""
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" and typing_flag) or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        and isinstance(test.value, ast.Name) and test.value.id == "typing")


def _typing_flag(tree: ast.AST) -> bool:
    """The module takes TYPE_CHECKING from typing and never sets it itself."""
    imported = any(isinstance(node, ast.ImportFrom) and node.module == "typing"
                   and any(alias.name == "TYPE_CHECKING" and alias.asname is None for alias in node.names)
                   for node in ast.walk(tree))
    assigned = any(isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                   and any(isinstance(t, ast.Name) and t.id == "TYPE_CHECKING"
                           for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))
                   for node in ast.walk(tree))
    return imported and not assigned


def _front_door(package: Path) -> dict[str, str]:
    """The names digest/__init__.py hands out lazily -> the module each
    comes from (`from digest import open` imports digest.app)."""
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets):
            table = ast.literal_eval(node.value)
            return {name: f"{package.name}.{module}" for name, (module, _) in table.items()}
    return {}


def _imports(tree: ast.AST, module: str, is_package: bool, front: dict[str, str] | None = None) -> set[str]:
    """The absolute names of the modules (and packages) this one imports:
    import statements, importlib.import_module("...") and __import__("...")
    with a literal name, and the front door's lazy names as their modules."""
    found: set[str] = set()
    here = module.split(".") if is_package else module.split(".")[:-1]
    front = front or {}
    typing_flag = _typing_flag(tree)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node, typing_flag):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            if any(alias.name == "digest" for alias in node.names):
                found.add("digest.app")  # `import digest; digest.open(...)`: the front door, the app's
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            for alias in node.names:  # `from . import parse` imports the module digest.sources.parse
                found.add(f"{target}.{alias.name}")
                if target == "digest" and alias.name in front:
                    found.add(front[alias.name])
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and (
                    (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")):
            name = node.args[0].value
            found.add(name if not name.startswith(".") else ".".join(here + [name.lstrip(".")]))
        elif isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")):
            found.add(DYNAMIC)  # a name made at run time: no rule can see where it goes
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _wanted(package: Path) -> dict[str, set[str]]:
    sources = {_module_name(path, package): path for path in package.rglob("*.py")}
    front = _front_door(package) if (package / "__init__.py").exists() else {}
    return {name: _imports(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py",
                           None if name == package.name else front)
            for name, path in sources.items()}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the digest modules it imports (packages count as their __init__)."""
    wanted_by = _wanted(package)
    sources = set(wanted_by)
    graph = {}
    for name, wanted in wanted_by.items():
        graph[name] = {w for w in wanted if w in sources and w != name}
        graph[name] |= {w for w in wanted if not w.startswith("digest") and w.split(".")[0] == "click"}
        graph[name] |= {DYNAMIC} & wanted
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    if module == "digest":
        return "front"
    if parts[1] in STAGES:
        return parts[1]
    if parts[1] in CORE:
        return "core"
    if parts[1] in APP:
        return "app"
    if parts[1] in ("cli", "__main__"):  # the digest.cli package and `python -m digest`
        return "cli"
    return "unknown"


GRAPH = import_graph()


def test_the_stage_packages_are_there():
    """The folder listing reads as the data flow."""
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage
    assert not [m for m in GRAPH if layer(m) == "unknown"], "a module outside the known layers"


def test_every_import_of_digest_names_a_module_or_a_name_in_one():
    """A late import of a module that moved away fails only when its
    function runs: every `from .x import y` must find x (and a module or a
    top-level name y in it)."""
    import importlib

    missing = []
    for module, wanted in _wanted(PACKAGE).items():
        for target in sorted(w for w in wanted if w.startswith("digest")):
            if target in GRAPH:
                continue
            parent, _, name = target.rpartition(".")
            if parent in GRAPH and hasattr(importlib.import_module(parent), name):
                continue
            missing.append(f"{module}: {target}")
    assert not missing


def test_only_the_front_door_imports_by_a_computed_name():
    """digest/__init__.py loads its public names lazily; anywhere else a
    computed import would hide an arrow from these rules."""
    assert sorted(m for m, targets in GRAPH.items() if DYNAMIC in targets) == ["digest"]


def test_only_the_cli_imports_click():
    importers = sorted(m for m, targets in GRAPH.items() if "click" in targets)
    assert importers and all(m == "digest.cli" or m.startswith("digest.cli.") for m in importers), importers


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if layer(m) == "core"))
def test_core_imports_only_core(module):
    wrong = sorted(t for t in GRAPH[module] if t != "click" and layer(t) not in ("core", "front"))
    assert not wrong, f"{module} imports {wrong}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if layer(m) in STAGES))
def test_a_stage_imports_core_and_itself_only(module):
    """Never another stage (sideways or upward), the app or the CLI: what
    two stages share lives in the models, or the app passes it in."""
    wrong = sorted(t for t in GRAPH[module] if t != "click" and layer(t) not in ("core", "front", layer(module)))
    assert not wrong, f"{module} imports {wrong}"


def test_the_app_never_imports_the_cli():
    wrong = sorted((m, t) for m in GRAPH if layer(m) == "app" for t in GRAPH[m] if layer(t) == "cli")
    assert not wrong


def test_no_import_cycles():
    cycles = _cycles({m: {t for t in ts if t in GRAPH} for m, ts in GRAPH.items()})
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_rules_catch_what_they_are_for(tmp_path):
    """The checker itself: a cycle and a sideways import in a made-up tree
    are found (so a passing run means the real tree has none)."""
    made = tmp_path / "digest"
    (made / "sources").mkdir(parents=True)
    (made / "output").mkdir()
    for init in (made / "__init__.py", made / "sources" / "__init__.py", made / "output" / "__init__.py"):
        init.write_text("")
    (made / "config.py").write_text("def f():\n    from .sources.fetch import x\n")
    (made / "sources" / "fetch.py").write_text("from ..config import f\nfrom ..output.render import y\n")
    (made / "output" / "render.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                               "    from ..sources import fetch\n")
    (made / "__init__.py").write_text('_LAZY = {"open": ("app", "open_digester")}\n')
    (made / "app.py").write_text("")
    (made / "stories").mkdir()
    (made / "stories" / "__init__.py").write_text("")
    (made / "stories" / "rank.py").write_text(
        "import importlib\ndef f():\n    from .. import open\n    importlib.import_module('digest.output.render')\n"
        "    __import__('click')\n")
    graph = import_graph(made)
    assert graph["digest.sources.fetch"] == {"digest.config", "digest.output.render"}
    assert graph["digest.output.render"] == set()  # TYPE_CHECKING only
    assert _cycles({m: {t for t in ts if t in graph} for m, ts in graph.items()}) == [
        ["digest.config", "digest.sources.fetch"]]
    # the front door's lazy names, importlib and __import__ are imports too
    assert graph["digest.stories.rank"] == {"digest", "digest.app", "digest.output.render", "click"}
    (made / "stories" / "select.py").write_text(
        "import importlib\nTYPE_CHECKING = True\nif TYPE_CHECKING:\n    from ..output import render\n"
        "def f(stage):\n    importlib.import_module(f'digest.{stage}.mail')\n    import digest\n")
    graph = import_graph(made)
    assert {"digest.output", "digest.output.render", DYNAMIC, "digest.app"} <= graph["digest.stories.select"]
