"""Byte sizes as people type them: ``8MiB``, ``512KiB``, ``1.5GiB``, ``1048576``.

Binary units (``KiB``/``MiB``/``GiB`` and the bare letters ``K``/``M``/``G``) are powers of 1024; SI units
(``kB``/``MB``/``GB``) are powers of 1000, so ``5MB`` is 5,000,000 bytes, just below S3's 5 MiB minimum part.
Units are case-insensitive.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "k": KiB,
    "kib": KiB,
    "kb": 1000,
    "m": MiB,
    "mib": MiB,
    "mb": 1000**2,
    "g": GiB,
    "gib": GiB,
    "gb": 1000**3,
    "t": 1024 * GiB,
    "tib": 1024 * GiB,
    "tb": 1000**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Return the number of bytes ``text`` names; raise ``ValueError`` on anything else."""
    if isinstance(text, bool):
        raise ValueError(f"not a size: {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"a size cannot be negative: {text}")
        return text
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (try 8MiB, 512KiB or a number of bytes)")
    number, unit = match.groups()
    multiplier = _UNITS.get(unit.lower())
    if multiplier is None:
        raise ValueError(f"unknown size unit {unit!r} in {text!r} (use B, KiB, MiB, GiB, kB, MB or GB)")
    try:
        value = Decimal(number) * multiplier
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimal numbers
        raise ValueError(f"not a size: {text!r}") from exc
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of bytes")
    return int(value)


def size_flag(size: int) -> str:
    """The shortest exact spelling ``parse_size`` reads back: ``8MiB``, ``512KiB``, ``1000``."""
    for unit, factor in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def format_size(size: float) -> str:
    """``8388608`` -> ``'8.0 MiB'``; small sizes stay in bytes."""
    if size < KiB:
        return f"{int(size)} B"
    for unit, factor in (("GiB", GiB), ("MiB", MiB)):
        if abs(size) >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size / KiB:.1f} KiB"
