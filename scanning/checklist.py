"""The checklist a visitor works through: the items a letter asks for, ticked as documents come.

Immutable: every change returns a new ``Checklist``, so a controller can keep the old one for
undo and a screen can compare before and after. Rules:

* a handed-in document ticks the first open item of its type (one item may ask for several
  documents, "Kontoauszüge der letzten drei Monate": one statement ticks it);
* items of type ``other`` are never ticked automatically, only by hand;
* the visitor (or staff) may tick or untick any item by hand; a hand tick is never undone
  by forgetting a document;
* when a document is removed again (retaken, deleted), ``forget_document`` unticks what it
  ticked.

No Kivy, no I/O: ``kiosk/controllers`` may use it as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from scanning.letter import LetterFacts
from scanning.letter_items import RequestedItem

MANUAL = "manual"


@dataclass(frozen=True)
class ChecklistItem:
    """One requested item and who ticked it: a document id, ``MANUAL`` or nobody (None)."""

    document_type: str
    text: str
    ticked_by: str | None = None

    @property
    def ticked(self) -> bool:
        """True when a document or a hand ticked the item."""
        return self.ticked_by is not None


@dataclass(frozen=True)
class Checklist:
    """The requested items of one letter, in the order printed."""

    items: tuple[ChecklistItem, ...] = ()

    @classmethod
    def from_items(cls, requested: Iterable[RequestedItem]) -> Checklist:
        """A checklist with every item open."""
        return cls(tuple(ChecklistItem(i.document_type, i.text) for i in requested))

    @classmethod
    def from_letter(cls, facts: LetterFacts) -> Checklist:
        """A checklist of the items ``facts`` asks for (empty when the letter has no list)."""
        return cls.from_items(facts.requested)

    def tick_document(self, document_type: str, document_id: str) -> tuple[Checklist, int | None]:
        """Tick the first open item of ``document_type``; returns the list and its index."""
        if document_type == "other":
            return self, None
        for index, item in enumerate(self.items):
            if item.document_type == document_type and not item.ticked:
                return self._set(index, document_id), index
        return self, None

    def forget_document(self, document_id: str) -> Checklist:
        """Untick what ``document_id`` ticked (the document was deleted or retaken)."""
        items = tuple(replace(i, ticked_by=None) if i.ticked_by == document_id else i
                      for i in self.items)
        return Checklist(items)

    def tick(self, index: int) -> Checklist:
        """Tick item ``index`` by hand."""
        return self._set(index, MANUAL)

    def untick(self, index: int) -> Checklist:
        """Open item ``index`` again."""
        return self._set(index, None)

    @property
    def missing(self) -> tuple[ChecklistItem, ...]:
        """The items still open."""
        return tuple(i for i in self.items if not i.ticked)

    @property
    def complete(self) -> bool:
        """True when every item is ticked (an empty list is complete)."""
        return not self.missing

    def _set(self, index: int, ticked_by: str | None) -> Checklist:
        if not 0 <= index < len(self.items):
            raise IndexError(f"no checklist item {index}")
        items = list(self.items)
        items[index] = replace(items[index], ticked_by=ticked_by)
        return Checklist(tuple(items))
