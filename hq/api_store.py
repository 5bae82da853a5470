"""Routes a store's registers read its figures and sales through: the store summary for
the manager's reports, and a sale by receipt number for a return at another register.

A register reads only its own store (the summary answers 403 for another; the sale
look-up answers 404, so a receipt number of another store says nothing). An admin token
may read any store's summary.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime

from hq.auth import ForbiddenError, RegisterIdentity
from hq.deps import REFUSALS, CurrentRegister, RegisterOrAdmin, engine_of
from hq.store_reads import sale_by_receipt, store_summary
from sync.protocol import ErrorBody, SaleLookup, StoreSummary

router = APIRouter(prefix="/v1", tags=["stores"])

StoreId = Annotated[str, Path(min_length=1, max_length=64)]
ReceiptNo = Annotated[str, Path(min_length=1, max_length=64, description="as printed: R01-000123")]
From = Annotated[AwareDatetime, Query(alias="from", description="start, included (ISO 8601 with offset)")]
To = Annotated[AwareDatetime, Query(alias="to", description="end, excluded (ISO 8601 with offset)")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {**REFUSALS, **{code: {"model": ErrorBody} for code in codes}}


@router.get("/stores/{store_id}/summary", response_model=StoreSummary, responses=_errors(404, 422))
def get_store_summary(store_id: StoreId, start: From, end: To, who: RegisterOrAdmin,
                      request: Request) -> StoreSummary:  # fmt: skip
    """The store's figures over [from, to) by the registers' clocks, from HQ's ledger."""
    if isinstance(who, RegisterIdentity) and who.store_id != store_id:
        raise ForbiddenError(f"register {who.device_id} belongs to store {who.store_id!r} and may "
                             f"read only its own store's figures, not {store_id!r}")  # fmt: skip
    return store_summary(engine_of(request), store_id, start, end, now=request.app.state.clock())


@router.get("/sales/by-receipt/{receipt_no}", response_model=SaleLookup, responses=_errors(404, 409))
def get_sale_by_receipt(receipt_no: ReceiptNo, register: CurrentRegister,
                        request: Request) -> SaleLookup:  # fmt: skip
    """A sale of this register's store, for a return: HQ's figures and what was returned."""
    return sale_by_receipt(engine_of(request), request.app.state.programs, register, receipt_no)
