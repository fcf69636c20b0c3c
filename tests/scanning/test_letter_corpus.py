"""The letter corpus: fixed seed, both parts varied, held-out wordings kept from the reader."""

from __future__ import annotations

import ast
import random
from collections import Counter
from pathlib import Path

from scanning.letter_vocab_heldout import VOCAB as HELDOUT
from scanning.letter_vocab_tuning import VOCAB as TUNING
from scanning.synthetic_letters import PARTS, compose_lines

ROOT = Path(__file__).resolve().parents[2]
CORPUS_MODULES = {"scanning.letter_vocab_heldout", "scanning.letter_vocab_tuning",
                  "scanning.synthetic_letters"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_product_code_imports_the_corpus_wordings() -> None:
    for package in ("scanning", "kiosk", "foundation", "config", "jobcentre"):
        for path in (ROOT / package).rglob("*.py"):
            if path.stem in {"synthetic_letters", "letter_vocab_heldout", "letter_vocab_tuning"}:
                continue
            assert not _imports(path) & CORPUS_MODULES, path


def test_the_parts_do_not_share_item_wordings_or_layouts() -> None:
    for doc_type, wordings in HELDOUT.items.items():
        assert not set(wordings) & set(TUNING.items.get(doc_type, ())), doc_type
    assert not set(HELDOUT.intros) & set(TUNING.intros)
    assert not set(HELDOUT.deadline_sentences) & set(TUNING.deadline_sentences)
    assert set(HELDOUT.markers) - set(TUNING.markers)
    assert set(HELDOUT.date_forms) - set(TUNING.date_forms)


def test_fixed_seed_and_variety() -> None:
    def letters(part: str) -> list[tuple[object, ...]]:
        out = []
        for i in range(60):
            kind = ("request", "request", "request", "reminder", "decision")[i % 5]
            lines, truth, code = compose_lines(random.Random(f"t-{part}-{i}"), PARTS[part], kind)
            out.append((tuple(lines), truth, code))
        return out

    assert letters("heldout") == letters("heldout")
    sample = letters("heldout")
    counts = Counter(len(truth.requested) for _, truth, _ in sample)  # type: ignore[attr-defined]
    assert {0, 1, 6} <= set(counts)
    assert any(code for *_, code in sample)
    assert any(("page", "") in lines for lines, *_ in sample)  # type: ignore[operator]
