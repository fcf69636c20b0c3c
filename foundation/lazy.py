"""Lazy re-exports for package ``__init__`` modules (PEP 562), so importing a package is cheap.

A package that offers a flat API (``from scanning import check_page``) used to import every
submodule eagerly; one command then paid for all of them (the receipt printer's capability
YAML alone takes ~0.4 s). With ``lazy_exports`` a name's module is imported on first use::

    __getattr__, __dir__ = lazy_exports(__name__, {"check_page": "scanning.pipeline"})

Type checkers still see the names through an ``if TYPE_CHECKING:`` block of plain imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import ``name -> module`` on use."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(importlib.import_module(package), name, value)  # next access skips this hook
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(importlib.import_module(package)), *exports})

    return __getattr__, __dir__
