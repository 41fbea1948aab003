"""REST routes of the pss module under ``/api/v1/pss`` (framework node 2.1.2): a contract's price
plan and SLA terms, billing runs (run a month, list runs, a run and its per-contract outcomes) and
the sell-vs-serve comparison."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.modules.pss import billing, service
from somp.modules.pss.models import BillingOutcome
from somp.modules.pss.schemas import (
    BillingRunIn,
    BillingRunItemRead,
    BillingRunRead,
    PricePlanIn,
    PricePlanRead,
    SellVsServeIn,
    SellVsServeRead,
    SlaTermsIn,
    SlaTermsRead,
)

router = APIRouter(tags=["pss"])
Read = Annotated[RequestContext, Depends(requires("pss:read"))]
Write = Annotated[RequestContext, Depends(requires("pss:write"))]


@router.get("/pss/contracts/{contract_id}/price-plan", response_model=PricePlanRead)
def get_price_plan(contract_id: int, c: Read):
    return service.get_price_plan(c.session, contract_id)


@router.put("/pss/contracts/{contract_id}/price-plan", response_model=PricePlanRead)
def put_price_plan(contract_id: int, data: PricePlanIn, c: Write):
    """Agree (or replace) the contract's price model; validated so a billing run can always price it."""
    out = PricePlanRead.model_validate(service.set_price_plan(c.session, contract_id, data))
    c.commit()
    return out


@router.get("/pss/contracts/{contract_id}/sla", response_model=SlaTermsRead)
def get_sla_terms(contract_id: int, c: Read):
    return service.get_sla_terms(c.session, contract_id)


@router.put("/pss/contracts/{contract_id}/sla", response_model=SlaTermsRead)
def put_sla_terms(contract_id: int, data: SlaTermsIn, c: Write):
    out = SlaTermsRead.model_validate(service.set_sla_terms(c.session, contract_id, data))
    c.commit()
    return out


@router.post("/pss/billing-runs", response_model=BillingRunRead, status_code=status.HTTP_201_CREATED)
def run_billing(data: BillingRunIn, c: Write):
    """Bill every contract of the tenant for one month; idempotent (a contract billed for the month
    is skipped), atomic, and reports per contract what it billed or why it skipped."""
    run = billing.run(c.session, data.period, issued_on=data.issued_on, by_user_id=c.principal.user_id)
    out = BillingRunRead.model_validate(run)
    c.commit()
    return out


@router.get("/pss/billing-runs", response_model=Page[BillingRunRead])
def list_billing_runs(c: Read, params: Listing, period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None):
    return page(service.list_runs(c.session, period=period, **params.kw()), params)


@router.get("/pss/billing-runs/{run_id}", response_model=BillingRunRead)
def get_billing_run(run_id: int, c: Read):
    return service.get_run(c.session, run_id)


@router.get("/pss/billing-runs/{run_id}/items", response_model=Page[BillingRunItemRead])
def list_billing_run_items(run_id: int, c: Read, params: Listing, outcome: BillingOutcome | None = None):
    return page(service.list_run_items(c.session, run_id, outcome=outcome, **params.kw()), params)


@router.post("/pss/sell-vs-serve", response_model=SellVsServeRead)
def sell_vs_serve(data: SellVsServeIn, c: Read):
    """Lifecycle cost and NPV of selling vs serving, for both parties; inputs left out are measured
    from the product and its work orders."""
    return service.sell_vs_serve(c.session, data)


from somp.modules.pss.api_requirements import router as _requirements_router  # noqa: E402

router.include_router(_requirements_router)  # requirements, Kano, QFD (2.1.1)
from somp.modules.pss import api_design  # noqa: E402  (blueprints, interfaces, delivery: 2.1.2 / 2.1.5)

router.include_router(api_design.router)
# stored SLA attainment per contract and month (issue 5): api_sla.py
from somp.modules.pss.api_sla import router as _sla_router  # noqa: E402

router.include_router(_sla_router)
