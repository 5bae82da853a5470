"""A small HQ client for what a register reads from HQ on demand: the member as HQ knows
them now and their ledger history page by page, the store's figures over every register
(the manager's reports), and a sale of the store found by receipt number (a return taken
at another register than the one that sold).

Separate from the sync client so a slow look-up never delays a push or a pull, with a
short timeout: the look-up screen falls back to this register's own records when HQ does
not answer in time. Calls block; run them off the GUI thread.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync.client import check_hq_url, tls_context
from sync.ops import normalize_receipt_no
from sync.protocol import HistoryPage, MemberLookup, SaleLookup, StoreSummary

DEFAULT_TIMEOUT_S = 3.0
NO_MEMBER = "本部にこの会員の記録がありません"
NO_SALE = "本部にこの取引の記録がありません（この店舗の取引でないか、まだ本部に届いていません）"
SALE_REFUSED = "この取引は本部で受け付けられなかったため、返品のポイント処理はできません"
BAD_PERIOD = "集計期間の指定が正しくありません"
HQ_LOOKUP_ERROR = QT_TRANSLATE_NOOP("core", "本部がエラーを返しました（{status}）")
_Model = TypeVar("_Model", bound=BaseModel)


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

    def _get(self, path: str, params: dict[str, int | str] | None = None, *,
             not_found: str = NO_MEMBER, conflict: str | None = None,
             invalid: str | None = None) -> bytes:
        try:
            resp = self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise HqLookupError("本部の応答がありません", offline=True) from exc
        except httpx.HTTPError as exc:
            raise HqLookupError("本部に接続できません", offline=True) from exc
        if resp.status_code == 404:
            raise HqLookupError(not_found, offline=False)
        if resp.status_code in (401, 403):
            raise HqLookupError("本部がこのレジの問い合わせを拒否しました", offline=False)
        if resp.status_code == 409 and conflict is not None:
            raise HqLookupError(conflict, offline=False)
        if resp.status_code == 422 and invalid is not None:
            raise HqLookupError(invalid, offline=False)
        if resp.status_code != 200:
            raise HqLookupError(Message(HQ_LOOKUP_ERROR, status=resp.status_code),
                                offline=resp.status_code >= 500)
        return resp.content

    @staticmethod
    def _read(model: type[_Model], body: bytes) -> _Model:
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            raise HqLookupError("本部の応答を読めません", offline=True) from exc

    def member(self, member_no: str) -> MemberLookup:
        return self._read(MemberLookup, self._get(f"/v1/members/{member_no}"))

    def history(self, member_no: str, *, limit: int = 20,
                before: int | None = None) -> HistoryPage:
        """One page, newest first; pass the page's `next_before` for the older one."""
        params: dict[str, int | str] = {"limit": limit}
        if before is not None:
            params["before"] = before
        return self._read(HistoryPage, self._get(f"/v1/members/{member_no}/history", params))

    def store_summary(self, store_id: str, start: datetime, end: datetime) -> StoreSummary:
        """The store's figures over [start, end) from HQ's ledger, every register included.
        `start` and `end` must be timezone-aware; hours are counted in `start`'s offset."""
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise HqLookupError(BAD_PERIOD, offline=False)
        body = self._get(f"/v1/stores/{quote(store_id, safe='')}/summary",
                         {"from": start.isoformat(), "to": end.isoformat()},
                         not_found="本部にこの店舗の記録がありません", invalid=BAD_PERIOD)
        return self._read(StoreSummary, body)

    def sale_by_receipt(self, receipt_no: str) -> SaleLookup:
        """A sale of this register's store, as HQ recorded it, by its receipt number (typed
        or scanned: normalized as the register's own search does)."""
        number = normalize_receipt_no(receipt_no)
        if not number or len(number) > 64:
            raise HqLookupError("レシート番号を読み取れませんでした", offline=False)
        body = self._get(f"/v1/sales/by-receipt/{quote(number, safe='')}",
                         not_found=NO_SALE, conflict=SALE_REFUSED,
                         invalid="レシート番号を読み取れませんでした")
        return self._read(SaleLookup, body)

    def close(self) -> None:
        self._http.close()
