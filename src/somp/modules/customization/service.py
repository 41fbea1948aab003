"""Configurator service (framework nodes 3.2 customised services / C2M and 2.1.2 product-service
combination design): configuration models and queries. No HTTP here: functions take a scoped
session. C2M orders: :mod:`.orders`.

* Configuration models are versioned: defining or editing a model validates its document
  (:mod:`.document`: every path with its problem; the model must admit a configuration; dead
  options and requires-cycles are warnings) and stores it as the next version; a version row never
  changes.
* Queries (:func:`configure`) run on the compiled CP-SAT model of a version, cached per process by
  (version id, content hash, offering names): a query reads two columns of the version and never
  recompiles.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.errors import Conflict as ConflictError
from somp.core.errors import FieldError, NotFound, ValidationFailed
from somp.core.pagination import Order
from somp.core.service import apply_changes, check_version, ensure_unique, get_or_404, list_page, require_ref
from somp.core.tenancy import current_scope
from somp.modules.catalog.models import Offering, OfferingStatus, Product
from somp.modules.customization import document as docs
from somp.modules.customization.configurator import Configurator, Conflict, Objective, Status
from somp.modules.customization.models import (
    ConfigurableOffering,
    ConfigurableStatus,
    ConfigurationModel,
)
from somp.modules.customization.offering import OfferingInvalid
from somp.modules.customization.schemas import (
    CompletionRead,
    ConfigurableCreate,
    ConfigurableUpdate,
    ConfigureRequest,
    ConfigureResult,
    ConflictItemRead,
    ConflictRead,
    ModelImport,
    ModelVersionCreate,
    OptionStateRead,
    PriceLineRead,
    Requirements,
)

REASON_LIMIT = 40  # impossible options explained per query (each explanation is a few solves) ...
REASON_BUDGET_S = 1.0  # ... within this time; the rest are left without a reason (choosing one shows why)


def _refused(exc: docs.DocumentInvalid, prefix: str = "model") -> ValidationFailed:
    return ValidationFailed(
        "invalid configuration model",
        [FieldError(f"{prefix}.{p.path}" if prefix else p.path, p.message, p.code) for p in exc.problems],
    )


# ---- models ----------------------------------------------------------------------------------------


def _check_products(session: Session, doc: docs.ModelDoc, prefix: str) -> None:
    codes = {(gi, oi): o.product for gi, g in enumerate(doc.groups) for oi, o in enumerate(g.options) if o.product}
    if not codes:
        return
    known = set(session.scalars(select(Product.code).where(Product.code.in_(set(codes.values())))))
    errors = [
        FieldError(f"{prefix}groups.{gi}.options.{oi}.product", f"no product with code {c!r}", "not_found")
        for (gi, oi), c in codes.items()
        if c not in known
    ]
    if errors:
        raise ValidationFailed("invalid configuration model", errors)


def _validated(
    session: Session, doc: docs.ModelDoc, code: str, name_zh: str, name_en: str, prefix: str = "model."
) -> tuple[dict[str, Any], list[docs.Problem]]:
    try:
        off = docs.to_offering(doc, code, name_zh, name_en)
        warnings = docs.check(doc, off)
    except docs.DocumentInvalid as exc:
        raise _refused(exc, prefix.rstrip(".")) from None
    _check_products(session, doc, prefix)
    return docs.canonical(doc), warnings


def _add_version(
    session: Session, conf: ConfigurableOffering, data: dict[str, Any], note: str | None, user_id: int | None
) -> ConfigurationModel:
    conf.current_version += 1
    row = ConfigurationModel(
        tenant_id=conf.tenant_id,
        configurable_id=conf.id,
        number=conf.current_version,
        content_hash=docs.content_hash(data),
        document=data,
        option_count=sum(len(g["options"]) for g in data["groups"]),
        rule_count=len(data["rules"]),
        note=note,
        created_by=user_id,
    )
    session.add(row)
    session.flush()
    return row


def check_offering(session: Session, offering_id: int, field: str = "offering_id") -> Offering:
    offering = require_ref(session, Offering, offering_id, field, "offering")
    if offering.status == OfferingStatus.retired:
        raise ValidationFailed("invalid reference", [FieldError(field, "offering is retired", "retired")])
    return offering


def create_configurable(
    session: Session, data: ConfigurableCreate, user_id: int | None
) -> tuple[ConfigurableOffering, ConfigurationModel, list[docs.Problem]]:
    offering = check_offering(session, data.offering_id)
    ensure_unique(session, ConfigurableOffering, "code", data.code)
    canonical, warnings = _validated(session, data.model, data.code, data.name_zh, data.name_en)
    tenant_id = current_scope(session).tenant_id or offering.tenant_id
    conf = ConfigurableOffering(
        tenant_id=tenant_id, code=data.code, name_zh=data.name_zh, name_en=data.name_en, offering_id=offering.id
    )
    session.add(conf)
    session.flush()
    return conf, _add_version(session, conf, canonical, data.note, user_id), warnings


def add_model_version(
    session: Session, configurable_id: int, data: ModelVersionCreate, user_id: int | None
) -> tuple[ConfigurableOffering, ConfigurationModel, list[docs.Problem]]:
    conf = get_configurable(session, configurable_id)
    if data.based_on is not None and data.based_on != conf.current_version:
        raise ConflictError(
            f"the model was edited meanwhile (now version {conf.current_version}, you edited {data.based_on});"
            " reload and apply your change again",
            [FieldError("based_on", "stale model version", "stale")],
        )
    canonical, warnings = _validated(session, data.model, conf.code, conf.name_zh, conf.name_en)
    return conf, _add_version(session, conf, canonical, data.note, user_id), warnings


def import_model(
    session: Session, data: ModelImport, user_id: int | None
) -> tuple[ConfigurableOffering, ConfigurationModel, list[docs.Problem], bool]:
    """Store a model file (YAML/JSON, with its header): a new configurable offering, or the next
    version of the one with the file's code. The same content as the current version adds nothing
    (last value: False)."""
    try:
        doc = docs.from_data(docs.parse_text(data.document), docs.FileDoc)
    except docs.DocumentInvalid as exc:
        raise _refused(exc, "document") from None
    offering = session.scalar(select(Offering).where(Offering.code == doc.offering))
    if offering is None:
        raise ValidationFailed(
            "invalid reference",
            [FieldError("document.offering", "no catalog offering has this code", "not_found")],
        )
    conf = session.scalar(select(ConfigurableOffering).where(ConfigurableOffering.code == doc.code))
    if conf is None:
        create = ConfigurableCreate(
            code=doc.code, name_zh=doc.name_zh, name_en=doc.name_en, offering_id=offering.id, model=doc, note=data.note
        )
        try:
            return (*create_configurable(session, create, user_id), True)
        except ValidationFailed as exc:
            raise _as_document(exc) from None
    if conf.offering_id != offering.id:
        raise ValidationFailed(
            "invalid reference",
            [FieldError("document.offering", f"{doc.code} configures another offering", "other_offering")],
        )
    canonical, warnings = _validated(session, doc, conf.code, conf.name_zh, conf.name_en, "document.")
    current = current_model(session, conf)
    if current is not None and current.content_hash == docs.content_hash(canonical):
        return conf, current, warnings, False
    conf.name_zh, conf.name_en = doc.name_zh, doc.name_en
    return conf, _add_version(session, conf, canonical, data.note, user_id), warnings, True


def _as_document(exc: ValidationFailed) -> ValidationFailed:
    exc.errors = [
        FieldError("document." + e.field.removeprefix("model."), e.message, e.code)
        if e.field.startswith("model")
        else e
        for e in exc.errors
    ]
    return exc


def export_model(session: Session, configurable_id: int, number: int | None = None, fmt: str = "yaml") -> str:
    conf = get_configurable(session, configurable_id)
    row = get_model_version(session, conf, number)
    offering = session.get(Offering, conf.offering_id)
    header = {"code": conf.code, "name_zh": conf.name_zh, "name_en": conf.name_en, "offering": offering.code}
    return docs.dump_text({**header, **row.document}, fmt)


def get_configurable(session: Session, configurable_id: int) -> ConfigurableOffering:
    return get_or_404(session, ConfigurableOffering, configurable_id, "configurable offering")


def update_configurable(session: Session, configurable_id: int, data: ConfigurableUpdate) -> ConfigurableOffering:
    conf = get_configurable(session, configurable_id)
    check_version(conf, data.version)
    apply_changes(conf, data.model_dump(exclude_unset=True))
    session.flush()
    return conf


def list_configurables(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    offering_id: int | None = None,
    status: ConfigurableStatus | None = None,
    q: str | None = None,
) -> tuple[list[ConfigurableOffering], str | None]:
    stmt = select(ConfigurableOffering)
    if offering_id:
        stmt = stmt.where(ConfigurableOffering.offering_id == offering_id)
    if status:
        stmt = stmt.where(ConfigurableOffering.status == status)
    if q:
        stmt = stmt.where(
            ConfigurableOffering.code.icontains(q, autoescape=True)
            | ConfigurableOffering.name_zh.icontains(q, autoescape=True)
            | ConfigurableOffering.name_en.icontains(q, autoescape=True)
        )
    return list_page(session, stmt, ConfigurableOffering, limit=limit, cursor=cursor, order=order)


def current_model(session: Session, conf: ConfigurableOffering) -> ConfigurationModel | None:
    return session.scalar(
        select(ConfigurationModel).where(
            ConfigurationModel.configurable_id == conf.id, ConfigurationModel.number == conf.current_version
        )
    )


def get_model_version(session: Session, conf: ConfigurableOffering, number: int | None = None) -> ConfigurationModel:
    row = session.scalar(
        select(ConfigurationModel).where(
            ConfigurationModel.configurable_id == conf.id,
            ConfigurationModel.number == (number or conf.current_version),
        )
    )
    if row is None:
        raise NotFound(f"configurable offering {conf.id} has no model version {number}")
    return row


def list_model_versions(session: Session, configurable_id: int) -> list[ConfigurationModel]:
    conf = get_configurable(session, configurable_id)
    return list(
        session.scalars(
            select(ConfigurationModel)
            .where(ConfigurationModel.configurable_id == conf.id)
            .order_by(ConfigurationModel.number)
        )
    )


# ---- compiled models (process cache) -------------------------------------------------------------


class _Compiled:
    def __init__(self, cfg: Configurator, doc: docs.ModelDoc):
        self.cfg = cfg
        self.group_of = {o.code: g.code for g in doc.groups for o in g.options}
        self.kind_of = {g.code: g.kind for g in doc.groups}
        self.product_of = {o.code: o.product for g in doc.groups for o in g.options}


_CACHE: OrderedDict[tuple[int, str, str, str, str], _Compiled] = OrderedDict()
_CACHE_SIZE = 32
_LOCK = threading.Lock()


def compiled(session: Session, conf: ConfigurableOffering, number: int | None = None) -> tuple[int, int, _Compiled]:
    """(model row id, version number, compiled model) of a version, from the process cache when
    it holds it (only the row's id and hash are read then). A version never changes, so the cache
    needs no invalidation; renaming the offering (its names head the price lines) compiles anew."""
    number = number or conf.current_version
    head = session.execute(
        select(ConfigurationModel.id, ConfigurationModel.content_hash).where(
            ConfigurationModel.configurable_id == conf.id, ConfigurationModel.number == number
        )
    ).first()
    if head is None:
        raise NotFound(f"configurable offering {conf.id} has no model version {number}")
    key = (head.id, head.content_hash, conf.code, conf.name_zh, conf.name_en)  # names: the base price line
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return head.id, number, hit
    data = session.scalar(select(ConfigurationModel.document).where(ConfigurationModel.id == head.id))
    doc = docs.ModelDoc.model_validate(data)
    entry = _Compiled(Configurator(docs.to_offering(doc, conf.code, conf.name_zh, conf.name_en)), doc)
    with _LOCK:
        _CACHE[key] = entry
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return head.id, number, entry


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


# ---- queries ---------------------------------------------------------------------------------------


def conflict_read(c: Conflict | None, drop_choice: str | None = None) -> ConflictRead | None:
    if c is None:
        return None
    items = [i for i in c.items if not (i.kind.value == "choice" and i.code == drop_choice)]
    sep = {"zh": "；", "en": "; "}
    return ConflictRead(
        items=[ConflictItemRead(kind=i.kind.value, code=i.code, message_zh=i.message_zh, message_en=i.message_en,
                                selected=i.selected) for i in items],
        message_zh=sep["zh"].join(i.message_zh for i in items),
        message_en=sep["en"].join(i.message_en for i in items),
    )  # fmt: skip


def requirement_bounds(requirements: Requirements) -> dict[str, tuple]:
    return {k: (v.low, v.high) for k, v in requirements.items()}


def engine_call(fn, *args, **kw):  # noqa: ANN001, ANN202
    try:
        return fn(*args, **kw)
    except OfferingInvalid as exc:  # the engine's refusal of an unknown option or attribute
        raise ValidationFailed("invalid configuration", [FieldError("choices", str(exc), "unknown")]) from None


def _unsolved(choice: bool | None) -> str:
    """An option's state when the choices conflict (nothing is solved): as the customer set it."""
    return "unknown" if choice is None else ("chosen" if choice else "ruled_out")


def configure(session: Session, configurable_id: int, req: ConfigureRequest) -> ConfigureResult:
    """Valid choices per option (with why an option is impossible), the cheapest completion and its
    price, or the minimal conflicting set of rules when the choices cannot all hold."""
    started = time.perf_counter()
    conf = get_configurable(session, configurable_id)
    _, number, c = compiled(session, conf, req.model_version)
    return answer(c, req, conf.id, number, started)


def compile_document(doc: docs.ModelDoc, code: str, name_zh: str = "", name_en: str = "") -> _Compiled:
    """A compiled model straight from a document (no database: the CLI's offline queries)."""
    return _Compiled(Configurator(docs.to_offering(doc, code, name_zh or code, name_en or code)), doc)


def answer(c: _Compiled, req: ConfigureRequest, configurable_id: int, number: int, started: float) -> ConfigureResult:
    """The answer of :func:`configure` on a compiled model."""
    cfg, reqs = c.cfg, requirement_bounds(req.requirements)
    bad_req = [k for k in reqs if k not in {a.code for a in cfg.offering.attributes}]
    if bad_req:
        raise ValidationFailed(
            "invalid configuration",
            [FieldError(f"requirements.{k}", f"unknown attribute {k!r}", "unknown") for k in bad_req],
        )
    vc = engine_call(cfg.valid_choices, req.choices, requirements=reqs)
    options = []
    explained = 0
    deadline = time.perf_counter() + REASON_BUDGET_S
    for code, opt in cfg.offering.options.items():
        state = vc.states.get(code)
        reason = None
        if (
            state is not None
            and state.value == "impossible"
            and req.reasons
            and explained < REASON_LIMIT
            and time.perf_counter() < deadline
        ):
            explained += 1
            reason = conflict_read(cfg.explain({**req.choices, code: True}, reqs), drop_choice=code)
        options.append(
            OptionStateRead(
                code=code,
                group=c.group_of[code],
                name_zh=opt.name_zh,
                name_en=opt.name_en,
                price=opt.price,
                state=state.value if state is not None else _unsolved(req.choices.get(code)),
                reason=reason,
            )
        )
    completion = None
    if vc.status is Status.ok and req.completion:
        comp = cfg.complete(req.choices, Objective.cheapest, requirements=reqs)
        completion = CompletionRead(
            selected=list(comp.selected),
            price_lines=[PriceLineRead(code=ln.code, name_zh=ln.name_zh, name_en=ln.name_en, amount=ln.amount)
                         for ln in comp.price.lines],
            total=comp.price.total,
            currency=comp.price.currency,
            attributes=comp.attributes or {},
        )  # fmt: skip
    return ConfigureResult(
        status=vc.status.value,
        configurable_id=configurable_id,
        model_version=number,
        options=options,
        completion=completion,
        conflict=conflict_read(vc.conflict),
        solves=vc.solves,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )
