"""A small HQ client for a manager's member look-ups: the member as HQ knows them now, and
their ledger history page by page.

Separate from the sync client so a slow look-up never delays a push or a pull, with a
short timeout: the look-up screen falls back to this register's own records when HQ does
not answer in time. Calls block; run them off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import ValidationError

from sync.client import check_hq_url, tls_context
from sync.protocol import HistoryPage, MemberLookup

DEFAULT_TIMEOUT_S = 3.0


class HqLookupError(Exception):
    """A look-up HQ did not answer. `offline`: HQ could not be reached (fall back to the
    register's records); otherwise HQ refused (unknown member, revoked token)."""

    def __init__(self, message: str, *, offline: bool) -> None:
        super().__init__(message)
        self.offline = offline


class HqLookup:
    def __init__(self, base_url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT_S,
                 transport: httpx.BaseTransport | None = None,
                 ca_file: Path | str | None = None) -> None:
        self._http = httpx.Client(base_url=check_hq_url(base_url),
                                  headers={"Authorization": f"Bearer {token}"},
                                  timeout=timeout, transport=transport,
                                  verify=tls_context(base_url, ca_file))

    def _get(self, path: str, params: dict[str, int] | None = None) -> bytes:
        try:
            resp = self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise HqLookupError("本部の応答がありません", offline=True) from exc
        except httpx.HTTPError as exc:
            raise HqLookupError("本部に接続できません", offline=True) from exc
        if resp.status_code == 404:
            raise HqLookupError("本部にこの会員の記録がありません", offline=False)
        if resp.status_code in (401, 403):
            raise HqLookupError("本部がこのレジの問い合わせを拒否しました", offline=False)
        if resp.status_code != 200:
            raise HqLookupError(f"本部がエラーを返しました（{resp.status_code}）",
                                offline=resp.status_code >= 500)
        return resp.content

    def member(self, member_no: str) -> MemberLookup:
        body = self._get(f"/v1/members/{member_no}")
        try:
            return MemberLookup.model_validate_json(body)
        except ValidationError as exc:
            raise HqLookupError("本部の応答を読めません", offline=True) from exc

    def history(self, member_no: str, *, limit: int = 20,
                before: int | None = None) -> HistoryPage:
        """One page, newest first; pass the page's `next_before` for the older one."""
        params = {"limit": limit} | ({"before": before} if before is not None else {})
        body = self._get(f"/v1/members/{member_no}/history", params)
        try:
            return HistoryPage.model_validate_json(body)
        except ValidationError as exc:
            raise HqLookupError("本部の応答を読めません", offline=True) from exc

    def close(self) -> None:
        self._http.close()
