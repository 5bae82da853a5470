"""Admin routes for jobs and reports, under `/v1/admin/` like the rest of the admin API.

Jobs (`POST /v1/admin/jobs/expire`, `/ranks`) take an as-of date and are idempotent for
it. Reports answer JSON, or CSV at the same path with `.csv` appended.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hq.audit import Actor
from hq.deps import REFUSALS, CurrentAdmin, engine_of
from hq.jobs import evaluate_ranks, expire_points
from hq.reports import campaign_effect, new_members, settlement, to_csv
from sync.protocol import ErrorBody

router = APIRouter(prefix="/v1/admin", tags=["admin"])
From = Annotated[date, Query(alias="from", description="first day, in the program's time zone")]
To = Annotated[date, Query(alias="to", description="last day (included)")]
CampaignId = Annotated[str, Query(min_length=1, max_length=48, pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")]
By = Annotated[Literal["store", "staff"], Query()]
def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {**REFUSALS, **{code: {"model": ErrorBody} for code in codes}}


_CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobRequest(_Body):
    as_of: date = Field(description="the job runs as of the start of this day (program time zone)")


class ExpireView(_Body):
    as_of: datetime
    members: int
    points: int


class RankChangeView(_Body):
    member_id: str
    member_no: str
    before: str
    after: str


class RanksView(_Body):
    as_of: datetime
    evaluated: int
    changes: list[RankChangeView]


class CompanySettlement(_Body):
    company_id: str
    issued: int
    reversed: int
    redeemed_at_home: int
    redeemed_at_partners: int
    partners_redeemed_here: int


class PairSettlement(_Body):
    payer: str
    payee: str
    points: int  # what the payer owes the payee, in yen (1 pt = ¥1)
    payer_points_redeemed_at_payee: int
    payee_points_redeemed_at_payer: int


class SettlementView(_Body):
    report: Literal["settlement"]
    from_: date = Field(alias="from")
    to: date
    companies: list[CompanySettlement]
    pairs: list[PairSettlement]


class GroupSpend(_Body):
    members: int
    spend_yen: int
    spend_per_member_yen: int
    spend_before_yen: int
    spend_before_per_member_yen: int


class ComparisonGroup(_Body):
    """How the comparison group (`non_participants`) was chosen, and its size."""

    rule: str
    stores: list[str]  # where the campaign granted points in the window
    ranks: list[str]  # the participants' ranks; empty when the program has none
    members: int


class CampaignEffectView(_Body):
    report: Literal["campaign_effect"]
    campaign_id: str
    from_: date = Field(alias="from")
    to: date
    points_granted: int
    grants: int
    members_reached: int
    participants: GroupSpend
    non_participants: GroupSpend
    comparison: ComparisonGroup
    lift_per_participant_yen: int


class NewMembersRow(_Body):
    date: date
    store_id: str
    staff_id: str | None = None
    new_members: int


class NewMembersView(_Body):
    report: Literal["new_members"]
    from_: date = Field(alias="from")
    to: date
    by: Literal["store", "staff"]
    rows: list[NewMembersRow]
    total: int


def _csv(report: dict[str, Any], name: str) -> Response:
    return Response(to_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.post("/jobs/expire", response_model=ExpireView, responses=_errors(422))
def post_expire(body: JobRequest, admin: CurrentAdmin, request: Request) -> ExpireView:
    """Expire points as of a date (idempotent: a second run expires nothing more)."""
    result = expire_points(engine_of(request), body.as_of, actor=Actor.of(admin),
                           now=request.app.state.clock())
    return ExpireView(as_of=result.as_of, members=result.members, points=result.points)


@router.post("/jobs/ranks", response_model=RanksView, responses=_errors(422))
def post_ranks(body: JobRequest, admin: CurrentAdmin, request: Request) -> RanksView:
    """Evaluate every member's rank as of a date; changes are written and published."""
    result = evaluate_ranks(engine_of(request), body.as_of, actor=Actor.of(admin),
                            now=request.app.state.clock())
    return RanksView(as_of=result.as_of, evaluated=result.evaluated,
                     changes=[RankChangeView(**vars(c)) for c in result.changes])  # fmt: skip


@router.get("/reports/settlement", response_model=SettlementView, response_model_by_alias=True,
            responses=_errors(422))  # fmt: skip
def get_settlement(start: From, end: To, admin: CurrentAdmin, request: Request) -> Any:
    """Partner settlement (原資精算) for the days from `from` to `to`."""
    return settlement(engine_of(request), start, end)


@router.get("/reports/settlement.csv", response_class=Response, responses={**_errors(422), **_CSV})
def get_settlement_csv(start: From, end: To, admin: CurrentAdmin, request: Request) -> Response:
    return _csv(settlement(engine_of(request), start, end), "settlement")


@router.get("/reports/campaign-effect", response_model=CampaignEffectView,
            response_model_by_alias=True, responses=_errors(422))  # fmt: skip
def get_campaign_effect(campaign_id: CampaignId, start: From, end: To, admin: CurrentAdmin,
                        request: Request) -> Any:  # fmt: skip
    return campaign_effect(engine_of(request), campaign_id, start, end)


@router.get("/reports/campaign-effect.csv", response_class=Response, responses={**_errors(422), **_CSV})
def get_campaign_effect_csv(campaign_id: CampaignId, start: From, end: To, admin: CurrentAdmin,
                            request: Request) -> Response:  # fmt: skip
    return _csv(campaign_effect(engine_of(request), campaign_id, start, end), "campaign-effect")


@router.get("/reports/new-members", response_model=NewMembersView, response_model_by_alias=True,
            responses=_errors(422))  # fmt: skip
def get_new_members(start: From, end: To, admin: CurrentAdmin, request: Request,
                    by: By = "store") -> Any:  # fmt: skip
    return new_members(engine_of(request), start, end, by)


@router.get("/reports/new-members.csv", response_class=Response, responses={**_errors(422), **_CSV})
def get_new_members_csv(start: From, end: To, admin: CurrentAdmin, request: Request,
                        by: By = "store") -> Response:  # fmt: skip
    return _csv(new_members(engine_of(request), start, end, by), "new-members")
