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


def look(k: int, loud: bool = True) -> tuple[str, str]:
    """Fill colour and border style of the k-th group (0-based).

    The first eight groups get the palette's colours with a plain border: full
    colours when ``loud``, else paler. Later groups get the paler colours with a
    dashed (groups 9-16) or bold (17-24) border. So the loud groups stand out at
    a glance, no two of the first 24 groups look alike, and the group letter
    tells any two apart.
    """
    tier = (k // len(PALETTE)) % len(_BORDER_STYLES)
    colour = PALETTE[k % len(PALETTE)]
    return (colour if loud and tier == 0 else tint(colour, 0.6)), _BORDER_STYLES[tier]


def tint(colour: str, amount: float) -> str:
    """``colour`` (``#RRGGBB``) mixed with white: 0 keeps it, 1 gives white."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in channels)


def border_note(style: str) -> str:
    """What the legend adds after a group whose colour repeats: " (dashed border)"."""
    return f" ({style} border)" if style else ""
