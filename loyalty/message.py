"""Sentences for people, kept translatable although the core knows no Qt.

A `Message` is a `str` (the Japanese sentence, as logs, exceptions and tests read it) that
also keeps its template and values, so a screen can look the template up in its
"core" translation context and fill in the same values in another language. Templates
are marked with `QT_TRANSLATE_NOOP`, an identity function under the name
`pyside6-lupdate` looks for, so the catalog in resources/translations/ collects them from
every package that shows a sentence (`make translations`).
"""

from __future__ import annotations

from typing import Any


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:  # noqa: N802 - the name lupdate reads
    """Mark `source` for the translation catalog; returns it unchanged."""
    return source


class Message(str):
    """A sentence: the Japanese text, its template and its values."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        obj = super().__new__(cls, template.format(**params) if params else template)
        obj.template = template
        obj.params = params
        return obj
