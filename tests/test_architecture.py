"""Architecture rules a newcomer cannot break by accident.

Kivy stays at the edge (kiosk/app.py, kiosk/screens/, kiosk/widgets/); the job-centre
service never imports Kivy or the kiosk; every module says what it is for; files stay small.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "scanning", "accessibility", "device_drivers", "config", "jobcentre")
UI_LAYER = ("kiosk/app.py", "kiosk/screens/", "kiosk/widgets/")
MAX_LINES = 450


def python_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_kivy_only_in_the_ui_layer() -> None:
    offenders = []
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(UI_LAYER):
            continue
        if any(m == "kivy" or m.startswith("kivy.") for m in imported_modules(path)):
            offenders.append(rel)
    assert offenders == []


def test_jobcentre_never_imports_kiosk_or_kivy() -> None:
    for path in (ROOT / "jobcentre").rglob("*.py"):
        for module in imported_modules(path):
            assert not module.startswith(("kivy", "kiosk")), f"{path}: imports {module}"


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
        "accessibility.i18n, device_drivers.printer, jobcentre.protocol\n"
        "assert 'kivy' not in sys.modules, 'kivy was imported'\n"
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
