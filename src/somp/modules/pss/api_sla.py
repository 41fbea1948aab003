"""REST routes of the stored SLA attainment under ``/api/v1/pss`` (framework nodes 2.1.6, 2.1.2):
compute a month (all live contracts or one), list the stored records, a contract's trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.modules.pss import sla_records
from somp.modules.pss.schemas_sla import SlaComputeIn, SlaComputeRead, SlaRecordRead, SlaTrendRead

router = APIRouter(tags=["pss"])
Read = Annotated[RequestContext, Depends(requires("pss:read"))]
Write = Annotated[RequestContext, Depends(requires("pss:write"))]
PeriodQ = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


@router.post("/pss/sla-attainment", response_model=SlaComputeRead, status_code=status.HTTP_201_CREATED)
def compute_sla_attainment(data: SlaComputeIn, c: Write):
    """Measure and store the month's SLA attainment (replacing what was stored); a running month is
    stored as provisional."""
    res = sla_records.compute(c.session, data.period, contract_id=data.contract_id)
    records = [SlaRecordRead.model_validate(r) for r in res.records]
    out = SlaComputeRead(
        period=res.period, final=res.final, contracts=len(records),
        attained=sum(r.attained is True for r in records), not_attained=sum(r.attained is False for r in records),
        not_measured=sum(r.attained is None for r in records), records=records,
    )  # fmt: skip
    c.commit()
    return out


@router.get("/pss/sla-attainment", response_model=Page[SlaRecordRead])
def list_sla_attainment(
    c: Read, params: Listing, period: PeriodQ = None, contract_id: int | None = None, attained: bool | None = None
):
    return page(
        sla_records.list_records(c.session, period=period, contract_id=contract_id, attained=attained, **params.kw()),
        params,
    )


@router.get("/pss/contracts/{contract_id}/sla-attainment", response_model=SlaTrendRead)
def contract_sla_trend(contract_id: int, c: Read, months: Annotated[int, Query(ge=1, le=120)] = 24):
    contract, rows = sla_records.trend(c.session, contract_id, months)
    return SlaTrendRead(contract_id=contract.id, contract_number=contract.number,
                        months=[SlaRecordRead.model_validate(r) for r in rows])  # fmt: skip
