"""Colours, border styles and group letters shared by every drawing."""

from __future__ import annotations

__all__ = [
    "FONT",
    "NONFINITE_COLOR",
    "PALETTE",
    "RANKDIRS",
    "SATURATED_COLOR",
    "ZERO_COLOR",
    "EXTRA_LOUD",
    "border_note",
    "look",
    "looks",
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
#: Border of saturated neurons in the network view (Tol's "muted" wine): a colour no fill uses.
SATURATED_COLOR = "#882255"
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


#: Further full colours once the palette is used up (Tol's "medium-contrast" scheme,
#: its mid tones).
EXTRA_LOUD: tuple[str, ...] = ("#6699CC", "#EE99AA", "#EECC66", "#997700", "#994455", "#004488")
# How much white a quiet (pale) fill mixes into its palette colour, tier by tier.
_QUIET_TINTS: tuple[float, ...] = (0.55, 0.75, 0.88)


def looks(n: int, loud: bool = True) -> list[tuple[str, str]]:
    """Fill colour and border style of the first ``n`` loud, or quiet, groups.

    Loud groups (the ones that matter) get the palette's colours, then
    :data:`EXTRA_LOUD`, then mid tones, all with a plain border. Quiet groups get
    pale tints of the palette, a paler tier every eight groups with a plain,
    dashed, then bold border, then pale greys-and-tints. Every fill differs from
    every other fill of either list, from white and from :data:`ZERO_COLOR`.
    """
    out: list[tuple[str, str]] = []
    seen = {"#FFFFFF", ZERO_COLOR}
    k = 0
    while len(out) < n:
        fill, style = _candidate(k, loud)
        k += 1
        if fill not in seen:
            seen.add(fill)
            out.append((fill, style))
    return out


def look(k: int, loud: bool = True) -> tuple[str, str]:
    """The look of the k-th (0-based) loud or quiet group: ``looks(k + 1, loud)[k]``."""
    return looks(k + 1, loud)[k]


def _candidate(k: int, loud: bool) -> tuple[str, str]:
    if loud:
        fulls = PALETTE + EXTRA_LOUD
        # mid tones: every channel <= 0xAF, unlike any pale fill (some channel >= 0xC1)
        return (fulls[k], "") if k < len(fulls) else (_grid(k - len(fulls), 0x61, 0xAF), "")
    tier, slot = divmod(k, len(PALETTE))
    if tier < len(_QUIET_TINTS):
        return tint(PALETTE[slot], _QUIET_TINTS[tier]), _BORDER_STYLES[tier]
    # pale: every channel odd and >= 0xC1
    return _grid(k - len(PALETTE) * len(_QUIET_TINTS), 0xC1, 0xFF), "dotted"


def _grid(e: int, low: int, high: int) -> str:
    """The e-th colour whose channels are odd numbers from ``low`` to ``high`` (repeats are skipped by the caller)."""
    digits = (e % 64, e // 64 % 64, e // 4096 % 64)
    return "#" + "".join(f"{min(low + 2 * (d * 23 % 64), high):02X}" for d in digits)


def tint(colour: str, amount: float) -> str:
    """``colour`` (``#RRGGBB``) mixed with white: 0 keeps it, 1 gives white."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in channels)


def border_note(style: str) -> str:
    """What the legend adds after a group whose colour repeats: " (dashed border)"."""
    return f" ({style} border)" if style else ""
