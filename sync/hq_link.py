"""How a register reaches HQ: its address and token, the TLS context that verifies HQ,
how HQ's refusals and failures are put into words for the store, and how long to wait
before trying again (`backoff_delay`).

Every client of HQ on the register (the sync thread, the counter's holds, member
look-ups, the phone key) is made from the same `HqAddress` and TLS context.
"""

from __future__ import annotations

import functools
import random
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from loyalty.message import QT_TRANSLATE_NOOP, Message


@dataclass(frozen=True)
class HqAddress:
    """Where HQ is and how this register proves itself: what every other client of the
    same HQ (member look-ups, the phone key) is made with. `repr` leaves the token out."""

    url: str
    token: str = field(repr=False)
    ca_file: Path | None = None


def check_hq_url(url: str) -> str:
    """Plain HTTP only to a loopback HQ: a register token must not cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return url.rstrip("/")
    raise ValueError(Message(HTTPS_ONLY, url=url))


def tls_context(url: str, ca_file: Path | str | None = None) -> ssl.SSLContext:
    """The verifying TLS context for HQ at `url`, made once per trust store and shared by
    every client: loading a CA bundle costs about a tenth of a second, which each new
    `httpx.Client` paid again at start-up.

    With `ca_file` (a chain's private CA) only that CA is trusted; otherwise the public
    bundle. A plain-HTTP HQ (loopback only, `check_hq_url`) gets a context that trusts
    nothing, so a redirect to HTTPS fails closed instead of loading a bundle for nothing.
    """
    if urlsplit(url).scheme == "http":
        return _trusting_nothing()
    return _verifying(str(ca_file) if ca_file else None)


@functools.cache
def _verifying(ca_file: str | None) -> ssl.SSLContext:
    if ca_file is not None:
        return ssl.create_default_context(cafile=ca_file)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@functools.cache
def _trusting_nothing() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, with no CA to trust


# What the store is told (translated on screen through the "core" context).
CERT_UNTRUSTED = QT_TRANSLATE_NOOP(
    "core", "HQ の証明書を確認できません。HQ のアドレスと、本部独自の証明書なら設定の hq.ca_file "
    "を確認してください")
UNREACHABLE = QT_TRANSLATE_NOOP("core", "HQ に接続できません（{error}）")
HTTPS_ONLY = QT_TRANSLATE_NOOP("core", "HQ の URL は https:// で指定してください（{url}）")


def unreachable(exc: BaseException) -> str:
    """What to tell the store when HQ could not be reached: a certificate HQ's address
    does not prove is said as such (someone must fix the CA setting or HQ's certificate),
    anything else names only the exception's type (its text may carry the URL)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CERT_UNTRUSTED
        cause = cause.__cause__ or cause.__context__
    return Message(UNREACHABLE, error=type(exc).__name__)


def detail_of(resp: httpx.Response) -> str:
    """HQ's `detail` sentence, or a short, readable form of whatever else it sent.

    A request HQ's schema refuses comes back as FastAPI's list of errors; each is given
    as `where: what` with the op's position in the batch left out (the client retries
    ops in other batches, so the position means nothing to whoever reads the reason).
    """
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(data, dict):
        detail = data.get("detail")
        if isinstance(detail, str):
            return detail[:500]
        if isinstance(detail, list) and detail and all(isinstance(d, dict) for d in detail):
            return "; ".join(_validation_error(d) for d in detail[:3])[:500]
    return str(data)[:200]


def _validation_error(err: dict[str, object]) -> str:
    loc = err.get("loc")
    parts = [str(p) for p in loc if p not in ("body", "ops") and not isinstance(p, int)] \
        if isinstance(loc, list) else []
    where = ".".join(parts)
    msg = str(err.get("msg", "invalid"))
    return f"{where}: {msg}" if where else msg


class SyncError(Exception):
    """A sync round that failed, and what the client should do about it.

    `retry`: whether trying again can help without someone acting. False stops the sync
    thread until `sync_now()` or new credentials (a revoked token, HQ's feed gone back).
    `wait_s`: the least time to wait before trying again, for refusals of the whole
    request that will not change within seconds (HQ wants another protocol version, a
    proxy refuses the request): retrying them at the backoff's pace only makes noise.
    `status`: HQ's HTTP status when it answered.
    """

    def __init__(self, message: str, *, retry: bool, wait_s: float = 0.0,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.wait_s = wait_s
        self.status = status


MAX_BACKOFF_S = 300.0


def backoff_delay(failures: int, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": a uniform draw from the upper half of a
    ceiling that doubles per failure (2 s, 4 s, … capped at MAX_BACKOFF_S).

    Not full jitter (a draw from 0 to the ceiling): a store's registers share one
    uplink, and full jitter sends a sizeable share of retries within a second of the
    failure however long the outage has lasted. The lower half is never drawn, so every
    register really waits, and the draws still spread a fleet coming back from one
    outage over half the ceiling.
    """
    ceiling = min(MAX_BACKOFF_S, 2.0 ** min(max(failures, 1), 10))
    return rng.uniform(ceiling / 2, ceiling)
