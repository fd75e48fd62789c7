"""Rules for text that crosses civicledger's edges: what recording refuses, what XML can hold.

Two rules live here so that the event checks and every renderer agree:

- recording refuses control characters (Unicode category Cc) in text fields,
  except the tab, and the line feed in fields declared multi-line;
- XML 1.0 (DOCX, XLSX) cannot hold most control characters, nor U+FFFE and
  U+FFFF, so renderers replace those with U+FFFD in text already stored.
"""

from __future__ import annotations

import re

__all__ = ["REPLACEMENT", "control_character_problem", "replace_controls", "xml_safe"]

REPLACEMENT = "\ufffd"
"""What a character XML cannot hold is shown as: the Unicode replacement character."""

# Category Cc is U+0000-U+001F and U+007F-U+009F.
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_RENDERED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def control_character_problem(text: str, *, multiline: bool) -> str | None:
    """Describe the first character recording refuses in a text, or None if there is none.

    Args:
        text: the text to check.
        multiline: whether the field holds several lines (then a line feed is allowed).

    Returns:
        A message such as ``"contains the control character U+0001 at position 4"``.
    """
    found = (_CONTROL_MULTILINE if multiline else _CONTROL_ONE_LINE).search(text)
    if found is None:
        return None
    char, position = found.group(), found.start() + 1
    if char == "\n":
        return (
            f"contains a line break at position {position}; this field holds one line "
            "(declare it field(multiline=True) to allow several)"
        )
    return f"contains the control character U+{ord(char):04X} at position {position}"


def xml_safe(text: str) -> str:
    """Replace every character XML 1.0 cannot hold with U+FFFD (tab, LF and CR are kept)."""
    return _NOT_XML.sub(REPLACEMENT, text)


def replace_controls(text: str) -> str:
    """Replace every control character but tab, line feed and carriage return with U+FFFD.

    For text renderers (Markdown, HTML), where such characters are not markup but
    garble a page or a terminal.
    """
    return _CONTROL_RENDERED.sub(REPLACEMENT, text)
