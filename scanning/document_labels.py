"""The visitor-facing label of every document type code, once for the screens and the receipt.

Labels are message ids (English) of the kiosk's translation catalogue; the screens show
``DOCUMENT_TYPE_LABELS``, the printed receipt ``RECEIPT_LABELS``, which differ only where the
narrow receipt wants a shorter name (``RECEIPT_SHORTER``). Every code of
``scanning.doctype.DOCUMENT_TYPES`` has a label (``tests/accessibility/test_type_labels.py``).
"""

from __future__ import annotations

DOCUMENT_TYPE_LABELS: dict[str, str] = {
    "payslip": "Payslip",
    "bank_statement": "Bank statement",
    "rent": "Rental contract or rent certificate",
    "utility_bill": "Heating, electricity or service charges bill",
    "sick_note": "Sick note",
    "identity_document": "ID card, passport or residence permit",
    "jobcenter_letter": "Letter from the job centre",
    "application_form": "Application form",
    "benefit_notice": "Notice of another benefit or pension",
    "child_benefit": "Child benefit or child supplement",
    "school_certificate": "School, study or training certificate",
    "health_insurance": "Health insurance certificate",
    "employment_contract": "Employment or training contract",
    "vehicle_document": "Vehicle registration papers",
    "asset_evidence": "Savings, insurance or other assets",
    "other": "Other document",
}

#: shorter names on the 80 mm receipt
RECEIPT_SHORTER: dict[str, str] = {
    "utility_bill": "Heating or utility bill",
    "identity_document": "Identity document",
}

RECEIPT_LABELS: dict[str, str] = {**DOCUMENT_TYPE_LABELS, **RECEIPT_SHORTER}


def label_for(document_type: str) -> str:
    """The screen label of ``document_type`` (``other``'s for an unknown code)."""
    return DOCUMENT_TYPE_LABELS.get(document_type, DOCUMENT_TYPE_LABELS["other"])
