"""Masking of personal numbers for receipts, screens and staff views (one rule everywhere)."""

from __future__ import annotations


def mask_customer_number(number: str) -> str:
    """Keep the first four and last two characters, e.g. ``123A****89``; spaces are dropped."""
    compact = "".join(number.split())
    if len(compact) <= 6:
        return "*" * len(compact)
    return compact[:4] + "*" * (len(compact) - 6) + compact[-2:]
