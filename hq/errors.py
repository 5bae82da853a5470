"""Refusals HQ's operations raise, each with the HTTP status the API answers with.

The message is written for the person who will read it (an operator at a shell, or the
`detail` of an API answer), so it names what is wrong and, where it can, what to do.
"""

from __future__ import annotations


class DirectoryError(ValueError):
    """An operation HQ refuses; the message names what is wrong (HTTP 422)."""

    status_code = 422


class NotFoundError(DirectoryError):
    """The member, card, register or hold named does not exist (HTTP 404)."""

    status_code = 404


class ConflictError(DirectoryError):
    """The request is valid but the current state forbids it (HTTP 409)."""

    status_code = 409


class DeniedError(DirectoryError):
    """A valid caller asking for something that is not theirs (HTTP 403)."""

    status_code = 403


class UnavailableError(DirectoryError):
    """A part of HQ this request needs is not set up (HTTP 503)."""

    status_code = 503
