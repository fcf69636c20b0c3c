"""The checklist model: ticking by recognised type, by hand, and forgetting documents."""

from __future__ import annotations

import pytest

from config.model import DEFAULT_NUMBER_FORMATS
from scanning.checklist import MANUAL, Checklist
from scanning.letter import parse_letter_text
from scanning.letter_items import RequestedItem

ITEMS = (RequestedItem("bank_statement", "Kontoauszüge der letzten drei Monate"),
         RequestedItem("payslip", "Lohnabrechnung Oktober"),
         RequestedItem("payslip", "Lohnabrechnung November"),
         RequestedItem("other", "Bescheinigung der Kita"))


def test_a_document_ticks_the_first_open_item_of_its_type() -> None:
    checklist = Checklist.from_items(ITEMS)
    checklist, index = checklist.tick_document("payslip", "doc-1")
    assert index == 1
    checklist, index = checklist.tick_document("payslip", "doc-2")
    assert index == 2
    assert checklist.tick_document("payslip", "doc-3") == (checklist, None)
    assert [i.text for i in checklist.missing] == [ITEMS[0].text, ITEMS[3].text]


def test_other_is_only_ticked_by_hand_and_hand_ticks_survive() -> None:
    checklist = Checklist.from_items(ITEMS)
    assert checklist.tick_document("other", "doc-1")[1] is None
    checklist = checklist.tick(3).tick(0)
    assert checklist.items[3].ticked_by == MANUAL
    checklist, _ = checklist.tick_document("bank_statement", "doc-1")  # already ticked by hand
    assert checklist.forget_document("doc-1").items[0].ticked
    assert not checklist.untick(0).items[0].ticked
    with pytest.raises(IndexError):
        checklist.tick(9)


def test_forgetting_a_document_reopens_its_item() -> None:
    checklist, _ = Checklist.from_items(ITEMS).tick_document("bank_statement", "doc-7")
    assert checklist.items[0].ticked_by == "doc-7"
    assert not checklist.forget_document("doc-7").items[0].ticked
    assert not checklist.complete
    done = checklist.tick(1).tick(2).tick(3)
    assert done.complete and done.missing == ()


def test_from_letter() -> None:
    facts = parse_letter_text("benötigen wir:\n- Arbeitsvertrag\n- Fahrzeugschein\n",
                              DEFAULT_NUMBER_FORMATS)
    checklist = Checklist.from_letter(facts)
    assert [i.document_type for i in checklist.items] == ["employment_contract",
                                                          "vehicle_document"]
    assert Checklist.from_letter(parse_letter_text("Bescheid", DEFAULT_NUMBER_FORMATS)).complete
