"""Logging for the register: rotating files under the data folder, with secrets and
personal data kept out.

Log lines are read by support staff and may leave the store in a diagnostics bundle. The
code does not log personal data (member numbers, phones, card UIDs, scanned codes, app
tokens; events are logged by their kind, card files by their length); as a second line,
anything that looks like a bearer token, an app QR token, a member number, a card UID or
a phone number is masked before it is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from loyalty.scan import MEMBER_PREFIXES
from loyalty.tokens import TOKEN_PREFIX

LOG_FILE = "tamaru.log"
MAX_BYTES = 2_000_000
BACKUPS = 5

_PATTERNS = (
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1***"),
    (re.compile(r"((?:token|code)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]{8,}", re.I), r"\1***"),
    # A member's app QR token (base32 after its prefix).
    (re.compile(re.escape(TOKEN_PREFIX) + r"[A-Z2-7=]{8,}"), TOKEN_PREFIX + "***"),
    # Member numbers: 13 digits with the chain's prefix.
    (re.compile(r"(?<!\d)(?:" + "|".join(map(re.escape, MEMBER_PREFIXES)) + r")\d{11}(?!\d)"),
     "[member no]"),
    # Card UIDs and FeliCa IDms: 4 to 10 bytes of hex, run together or byte by byte, with
    # letters and digits both (a plain number or word is left alone). The hyphen stays a
    # boundary so the parts of an op's UUID are not taken for one.
    (re.compile(r"(?<![\w-])(?=[0-9A-Fa-f :]*[A-Fa-f])(?=[0-9A-Fa-f :]*\d)"
                r"(?:[0-9A-Fa-f]{2}(?:[ :](?=[0-9A-Fa-f]{2}))?){4,10}(?![\w-])"), "[card]"),
)
# Japanese phone numbers: 10 or 11 digits starting with 0, hyphens anywhere
_PHONE = re.compile(r"(?<![\w-])0\d[\d-]{7,12}\d(?![\w-])")


def _mask_phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group())
    return "0**-****-****" if digits in (10, 11) else match.group()


def redact(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return _PHONE.sub(_mask_phone, text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(home: Path, *, level: int = logging.INFO, console: bool = True,
                  max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> Path:
    """Log to `<home>/logs/tamaru.log` (rotated at ``max_bytes``, ``backups`` old files
    kept: tamaru.log.1 is the newest) and optionally the console."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_tamaru", False):
            root.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                             encoding="utf-8")
    ]
    if console:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
        handler._tamaru = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # httpx logs every request line at INFO; the URL is fine, but keep it at WARNING so a
    # busy register does not rotate its logs away in an hour.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path
