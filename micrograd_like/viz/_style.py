"""Colours, border styles and group letters shared by every drawing."""

from __future__ import annotations

__all__ = [
    "FONT",
    "NONFINITE_COLOR",
    "PALETTE",
    "RANKDIRS",
    "ZERO_COLOR",
    "border_note",
    "look",
    "tag",
]

#: Paul Tol's "light" qualitative scheme (https://personal.sron.nl/~pault/), in
#: his recommended order, without its pale grey which is reserved for zero.
PALETTE: tuple[str, ...] = (
    "#77AADD",  # light blue
    "#EE8866",  # orange
    "#EEDD88",  # light yellow
    "#FFAABB",  # pink
    "#99DDFF",  # light cyan
    "#44BB99",  # mint
    "#BBCC33",  # pear
    "#AAAA00",  # olive
)
#: Fill of every node whose gradient is exactly 0 (Tol's "pale grey").
ZERO_COLOR = "#DDDDDD"
#: Border of nodes with a NaN or infinite gradient (Tol's "vibrant red").
NONFINITE_COLOR = "#CC3311"
# Border styles that tell apart groups sharing a palette colour.
_BORDER_STYLES: tuple[str, ...] = ("", "dashed", "bold")
FONT = "Helvetica"
RANKDIRS = ("LR", "RL", "TB", "BT")


def tag(k: int) -> str:
    """Group letters A, B, ..., Z, AA, AB, ... (spreadsheet-column style) for k = 0, 1, ..."""
    letters = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        letters = chr(ord("A") + r) + letters
    return letters


def look(k: int) -> tuple[str, str]:
    """Fill colour and border style of the k-th group (0-based)."""
    return PALETTE[k % len(PALETTE)], _BORDER_STYLES[
        (k // len(PALETTE)) % len(_BORDER_STYLES)
    ]


def border_note(style: str) -> str:
    """What the legend adds after a group whose colour repeats: " (dashed border)"."""
    return f" ({style} border)" if style else ""
