"""Undo what a keyboard-wedge scanner does to text on the way into the register.

A wedge scanner types the code as key presses in *its* keyboard layout. On a Japanese
(JIS) PC with a scanner set to US, ':' (Shift+; on US) arrives as '+', and a JIS scanner on
a US PC turns it into "'". Caps Lock flips letter case; a Japanese IME left on turns the
text full-width (ＴＭ１：…) or into kana. Codes here use one case only and put ':' right
after a known prefix, so these are all recoverable except kana, which is reported.
"""

from __future__ import annotations

import re
import unicodedata

# What ':' becomes under a layout mismatch, in either direction.
_COLON_MANGLED = "+'*;"
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")


def looks_like_ime(text: str) -> bool:
    """Hiragana or katakana in scanner input: the IME was on and converted the keys."""
    return bool(_KANA.search(text))


def normalize(text: str, prefixes: tuple[str, ...]) -> str:
    """Strip, fold full-width to ASCII, upper-case, and repair the ':' after a known prefix."""
    # Plain ASCII, the usual case, needs no Unicode folding.
    s = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip().upper()
    for prefix in prefixes:
        head = prefix[:-1]
        if (prefix.endswith(":") and s.startswith(head) and len(s) > len(head)
                and s[len(head)] in _COLON_MANGLED):
            return prefix + s[len(prefix):]
    return s
