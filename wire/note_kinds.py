"""The data schemas of the transfer-note extension kinds this project defines (version 1 each).

* ``letter_checklist`` v1 -- what the visitor's request letter asks for, its deadline, and
  which of the requested items this document answers.
* ``helper_audit`` v1 -- which staff member helped at the kiosk, when, with what, and whether
  the visitor confirmed it.
* ``call_request`` v1 -- a document a counsellor asked for during a video call.

Each schema is a frozen, strict pydantic model that forbids unknown fields; it only
*validates* ``data`` (the note keeps the kiosk's JSON verbatim). Identifiers of staff and
calls are opaque ids, never names. A later version of a kind gets a new model here and a new
entry in ``wire.transfer_note.KNOWN_KINDS``; version 1 stays readable.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from wire.codec import parse_time

OPAQUE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
ACTION_CODE = r"^[a-z][a-z0-9_]{0,39}$"
MAX_LABEL = 300
MAX_NOTE = 1000
MAX_ITEMS = 50
MAX_ACTIONS = 100


def _is_date(value: str) -> str:
    if len(value) != 10:
        raise ValueError("a date is YYYY-MM-DD")
    date.fromisoformat(value)
    return value


def _is_time(value: str) -> str:
    problem = "a time is ISO-8601 with a zone, e.g. 2026-03-01T09:15:02Z"
    if len(value) > 40 or "T" not in value:
        raise ValueError(problem)
    if datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is None:
        raise ValueError(problem)
    return value


IsoDate = Annotated[str, AfterValidator(_is_date)]
IsoTime = Annotated[str, AfterValidator(_is_time)]
Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChecklistItem(_Schema):
    """One item the request letter asks for."""

    id: str = Field(pattern=OPAQUE_ID)
    label: Label


class LetterChecklistV1(_Schema):
    """``letter_checklist`` v1: the letter's checklist and the items this document answers."""

    letter_date: IsoDate | None = None
    deadline: IsoDate | None = None
    items: list[ChecklistItem] = Field(min_length=1, max_length=MAX_ITEMS)
    answers: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _answers_name_items(self) -> LetterChecklistV1:
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("item ids must be unique")
        if not set(self.answers) <= set(ids):
            raise ValueError("answers must name ids from items")
        if len(set(self.answers)) != len(self.answers):
            raise ValueError("answers must not repeat")
        return self


class HelperAction(_Schema):
    """One step a staff member helped with (``action`` is a code such as ``scanned_pages``)."""

    at: IsoTime
    action: str = Field(pattern=ACTION_CODE)
    detail: str | None = Field(default=None, max_length=MAX_LABEL)


class HelperAuditV1(_Schema):
    """``helper_audit`` v1: who helped (staff id), when, what, and the visitor's confirmation."""

    staff_id: str = Field(pattern=OPAQUE_ID)
    started_at: IsoTime
    ended_at: IsoTime | None = None
    actions: list[HelperAction] = Field(default_factory=list, max_length=MAX_ACTIONS)
    visitor_confirmed: bool
    confirmed_at: IsoTime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> HelperAuditV1:
        if self.visitor_confirmed != (self.confirmed_at is not None):
            raise ValueError("confirmed_at is given exactly when visitor_confirmed is true")
        if self.ended_at is not None and parse_time(self.ended_at) < parse_time(self.started_at):
            raise ValueError("ended_at is before started_at")
        return self


class CallRequestV1(_Schema):
    """``call_request`` v1: a document a counsellor requested during a video call."""

    call_id: str = Field(pattern=OPAQUE_ID)
    counsellor_id: str = Field(pattern=OPAQUE_ID)
    requested_at: IsoTime
    requested_item: Label
    note: str | None = Field(default=None, max_length=MAX_NOTE)
