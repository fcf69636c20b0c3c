"""Architecture rules a newcomer cannot break by accident.

Layers only point down (see docs/ARCHITECTURE.md)::

    kiosk/   jobcentre/          the two sides (kiosk/agent/embedded.py may start jobcentre)
    wire/                        the kiosk–job-centre contract
    scanning/
    accessibility/ device_drivers/
    config/
    foundation/                  errors, file-system helpers, masking

Kivy stays at the edge (kiosk/app.py, kiosk/screens/, kiosk/widgets/); there are no
module-level import cycles; the error tree is drawn completely in one docstring; screens
start no threads and write no session data; every module says what it is for; files stay small.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS: dict[str, int] = {
    "foundation": 0, "config": 1, "accessibility": 2, "device_drivers": 2, "scanning": 3,
    "wire": 4, "kiosk": 5, "jobcentre": 5,
}
PACKAGES = tuple(LAYERS)
UI_LAYER = ("kiosk/app.py", "kiosk/screens/", "kiosk/widgets/")
#: the one allowed sideways import: the embedded default starts the job-centre service
SIDEWAYS_ALLOWED = {("kiosk/agent/embedded.py", "jobcentre")}
MAX_LINES = 450


def python_files(packages: tuple[str, ...] = PACKAGES) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def imports_of(tree: ast.AST) -> set[str]:
    """Every absolute module name imported anywhere in ``tree`` (lazy imports too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imported_modules(path: Path) -> set[str]:
    return imports_of(ast.parse(path.read_text(encoding="utf-8")))


def upward_imports(path: Path, imported: set[str]) -> list[str]:
    """Imports of ``path`` that point to a higher layer or sideways to the other side."""
    rel = path.relative_to(ROOT).as_posix()
    own = rel.split("/")[0]
    bad = []
    for module in sorted(imported):
        top = module.split(".")[0]
        if top not in LAYERS or top == own:
            continue
        sideways = LAYERS[top] == LAYERS[own] and own in ("kiosk", "jobcentre")
        if (LAYERS[top] > LAYERS[own] or sideways) and (rel, top) not in SIDEWAYS_ALLOWED:
            bad.append(module)
    return bad


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_level_imports(tree: ast.Module, known: set[str]) -> set[str]:
    """Project modules imported when the module is loaded (not in functions or TYPE_CHECKING)."""
    found: set[str] = set()

    def visit(stmts: list[ast.stmt]) -> None:
        for node in stmts:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "finalbody", []))
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from pkg import submodule`` needs the submodule, not the package's names
                subs = {f"{node.module}.{a.name}" for a in node.names} & known
                found.update(subs)
                if len(subs) < len(node.names) and node.module in known:
                    found.add(node.module)

    visit(tree.body)
    return found


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
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
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def import_graph(files: list[Path]) -> dict[str, set[str]]:
    known = {module_name(p) for p in files}
    graph = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = module_name(path)
        graph[name] = {m for m in module_level_imports(tree, known) if m != name}
    return graph


# --- the rules -----------------------------------------------------------------------------


def test_kivy_only_in_the_ui_layer() -> None:
    offenders = []
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(UI_LAYER):
            continue
        if any(m == "kivy" or m.startswith("kivy.") for m in imported_modules(path)):
            offenders.append(rel)
    assert offenders == []


def test_layers_only_point_down() -> None:
    offenders = {}
    for path in python_files():
        bad = upward_imports(path, imported_modules(path))
        if bad:
            offenders[path.relative_to(ROOT).as_posix()] = bad
    assert offenders == {}


def test_no_module_level_import_cycles() -> None:
    assert find_cycles(import_graph(python_files())) == []


def test_the_rules_catch_what_they_should() -> None:
    """The checks above fail on an upward import, a lazy one, a cycle and Kivy."""
    lazy = ast.parse("def f():\n    from kiosk.session import session\n")
    assert upward_imports(ROOT / "scanning" / "x.py", imports_of(lazy)) == [
        "kiosk.session", "kiosk.session.session"]
    assert upward_imports(ROOT / "jobcentre" / "x.py", {"kiosk.errors"}) == ["kiosk.errors"]
    assert upward_imports(ROOT / "kiosk" / "agent" / "embedded.py", {"jobcentre.service"}) == []
    assert upward_imports(ROOT / "kiosk" / "x.py", {"scanning.ocr", "wire.protocol"}) == []
    a = ast.parse("import b\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import c\n")
    assert module_level_imports(a, {"b", "c"}) == {"b"}
    sub = ast.parse("from p import q\nfrom p import name\n")
    assert module_level_imports(sub, {"p", "p.q"}) == {"p", "p.q"}
    assert module_level_imports(ast.parse("from p import q\n"), {"p", "p.q"}) == {"p.q"}
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_jobcentre_never_imports_kiosk_or_kivy() -> None:
    for path in (ROOT / "jobcentre").rglob("*.py"):
        for module in imported_modules(path):
            assert not module.startswith(("kivy", "kiosk")), f"{path}: imports {module}"


def _drawn_tree(doc: str) -> dict[str, str]:
    """Child -> parent from the box drawing in ``foundation/errors.py``'s docstring."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        stripped = line.lstrip(" │├└─")
        if not stripped or not stripped[0].isupper() or " " in stripped.split()[0]:
            continue
        name = stripped.split()[0]
        if not name.isidentifier():
            continue
        depth = len(line) - len(stripped)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def test_the_error_tree_is_drawn_completely_in_one_place() -> None:
    import foundation.errors as errors

    drawn = _drawn_tree(errors.__doc__ or "")
    classes = {n: c for n, c in vars(errors).items() if isinstance(c, type)
               and issubclass(c, Exception) and c.__module__ == errors.__name__}
    for name, cls in classes.items():
        assert name in drawn, f"{name} is not drawn in foundation/errors.py"
        assert drawn[name] == cls.__mro__[1].__name__, f"{name} is drawn under {drawn[name]}"
    # No public exception class is defined anywhere else.
    for path in python_files():
        if path == ROOT / "foundation" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {ast.unparse(b).split(".")[-1] for b in node.bases}
                assert not bases & (set(classes) | {"Exception", "RuntimeError", "ValueError"}), (
                    f"{path}: exception {node.name} belongs in foundation/errors.py")


def test_no_helper_is_written_twice() -> None:
    for helper in ("fsync_dir", "mask_customer_number", "write_synced"):
        defined = [p for p in python_files()
                   if f"def {helper}(" in p.read_text(encoding="utf-8")]
        assert [p.relative_to(ROOT).as_posix() for p in defined] == [
            "foundation/masking.py" if "mask" in helper else "foundation/files.py"]
    for path in python_files():
        text = path.read_text(encoding="utf-8")
        if path.parent.name != "foundation":
            assert "O_DIRECTORY" not in text, f"{path} fsyncs a directory itself"


def test_every_module_has_a_docstring_and_stays_small() -> None:
    for path in python_files():
        source = path.read_text(encoding="utf-8")
        if path.name == "__init__.py" and not source.strip():
            continue
        assert ast.get_docstring(ast.parse(source)), f"{path} has no module docstring"
        assert source.count("\n") <= MAX_LINES, f"{path} has more than {MAX_LINES} lines"


def test_logic_packages_import_without_a_display() -> None:
    code = (
        "import sys\n"
        "import config.loader, kiosk.session.session, kiosk.cli, kiosk.doctor, scanning, "
        "accessibility.i18n, device_drivers.printer, wire.protocol, foundation.errors\n"
        "assert 'kivy' not in sys.modules, 'kivy was imported'\n"
        "import wire.protocol\n"
        "assert 'fastapi' not in sys.modules, 'the wire contract pulled in the server'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


@pytest.mark.slow
def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *PACKAGES, "tests"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean_on_the_logic_packages() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:]


# --- screens show; controllers act ---------------------------------------------------------

#: Calls that start concurrent work (by their last name, or the module-qualified name).
THREAD_STARTERS = {
    "Thread", "Timer", "ThreadPoolExecutor", "ProcessPoolExecutor", "Process",
    "start_new_thread", "create_task", "ensure_future", "run_in_executor", "to_thread",
    "submit", "start_thread",
}
#: Methods that change a list, dict or document in place.
MUTATORS = {
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "sort",
    "reverse", "add", "discard", "replace", "send_anyway", "move", "set_type",
}
#: Where a screen reaches the visitor's data; names bound from these count as that data.
SESSION_DATA = ("session.data", "session.current_document", "session.ready_documents")


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _mentions_session_data(node: ast.AST, tainted: set[str]) -> bool:
    text = ast.unparse(node)
    if any(marker in text for marker in SESSION_DATA):
        return True
    root = node
    while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    return isinstance(root, ast.Name) and root.id in tainted


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of ``function`` without those of functions nested in it (own scope)."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    body = getattr(function, "body", [])
    todo = [n for n in (body if isinstance(body, list) else [body]) if not isinstance(n, nested)]
    nodes: list[ast.AST] = []
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, nested)]
    return sorted(nodes, key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))


def screen_rule_violations(source: str) -> list[str]:
    """Threads started and session data written in one screen module's ``source``."""
    found: list[str] = []
    for function in [n for n in ast.walk(ast.parse(source))
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]:
        tainted: set[str] = set()
        for node in _own_nodes(function):
            if isinstance(node, (ast.Assign, ast.For, ast.NamedExpr)):
                value = node.iter if isinstance(node, ast.For) else node.value
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                flat = [e for t in targets for e in getattr(t, "elts", [t])]
                names = {t.id for t in flat if isinstance(t, ast.Name)}
                if _mentions_session_data(value, tainted):
                    tainted |= names
        for node in _own_nodes(function):
            if isinstance(node, ast.Call) and _called_name(node) in THREAD_STARTERS:
                found.append(f"line {node.lineno}: starts work: {ast.unparse(node.func)}")
            if isinstance(node, ast.Call) and _called_name(node) in MUTATORS \
                    and isinstance(node.func, ast.Attribute) \
                    and _mentions_session_data(node.func.value, tainted):
                found.append(f"line {node.lineno}: changes session data: {ast.unparse(node)}")
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = node.targets
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)) \
                        and _mentions_session_data(target, tainted):
                    found.append(f"line {node.lineno}: writes session data: {ast.unparse(target)}")
    return found


#: not a screen: the benchmarks' driver that presses the screens' buttons (``submit`` here is
#: the summary screen's "hand in" action, not a thread pool's)
NOT_SCREENS = {"frame_driver.py"}


def test_screens_start_no_threads_and_write_no_session_data() -> None:
    offenders = {}
    for path in sorted((ROOT / "kiosk" / "screens").rglob("*.py")):
        if path.name in NOT_SCREENS:
            continue
        found = screen_rule_violations(path.read_text(encoding="utf-8"))
        if found:
            offenders[path.relative_to(ROOT).as_posix()] = found
    assert offenders == {}, "screens forward actions to kiosk/controllers/; see its docstring"


def test_the_screen_rule_catches_a_bad_screen() -> None:
    bad = (
        "import threading\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "class Bad:\n"
        "    def submit(self):\n"
        "        threading.Thread(target=self.work).start()\n"
        "        ThreadPoolExecutor(1)\n"
        "        self.pool.submit(self.work)\n"
        "        asyncio.create_task(self.work())\n"
        "        asyncio.ensure_future(self.work())\n"
        "    def go_back(self):\n"
        "        self.session.data.retake_index = None\n"
        "        self.session.data.documents.pop()\n"
        "        self.session.data.current -= 1\n"
        "        del self.session.data.documents[0]\n"
        "    def toggle(self):\n"
        "        doc = self.session.current_document\n"
        "        doc.keep_identity_copy = True\n"
        "        doc.pages[0] = None\n"
        "        doc.send_anyway(0)\n"
        "        for d in self.session.ready_documents():\n"
        "            d.type_confidence = 0.5\n"
    )
    found = screen_rule_violations(bad)
    assert len([f for f in found if "starts work" in f]) == 5, found
    assert len([f for f in found if "session data" in f]) == 8, found
    good = (
        "class Good:\n"
        "    def submit(self):\n"
        "        problem = self.app.services.submit.start(self.session, self.ok, self.no)\n"
        "        self.busy = problem is None\n"
        "        doc = self.session.current_document\n"
        "        self.pages = len(doc.pages)\n"
        "        self.session.presentation.language = 'de'\n"
    )
    assert screen_rule_violations(good) == []
