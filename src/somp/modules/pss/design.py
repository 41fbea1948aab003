"""PSS design service (framework node 2.1.2 产品服务组合设计): versioned service blueprints per
offering, the component list of each product, and product-service interfaces (which service item
of an offering touches which component of its product). No HTTP here: functions take a scoped
session.

* A blueprint is validated by :func:`.blueprint.check` (every reason, in Chinese and English) and
  stored as the next version of the offering's blueprint; a version never changes. An edit sent
  with ``based_on`` that is no longer current is refused (409); storing the same content as the
  current version adds nothing.
* A component list and an interface set are each stored whole or refused whole with every reason.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from somp.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from somp.core.service import get_or_404
from somp.modules.catalog.models import Offering, Product
from somp.modules.pss import blueprint as bpe
from somp.modules.pss.design_models import BlueprintVersion, ProductComponent, ServiceInterface
from somp.modules.pss.design_schemas import BlueprintVersionCreate, ComponentsIn, InterfacesIn

# ---- blueprints -------------------------------------------------------------------------------------


def _parse(data: BlueprintVersionCreate) -> dict[str, Any]:
    if data.blueprint is not None:
        return data.blueprint
    text = data.document or ""
    try:
        raw = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        msg = f"not valid YAML/JSON: {exc}".splitlines()[0]
        raise ValidationFailed("invalid blueprint", [FieldError("document", msg, "syntax")]) from None
    if not isinstance(raw, dict):
        raise ValidationFailed("invalid blueprint", [FieldError("document", "expected a mapping at the top", "type")])
    return raw


def _shape_problems(raw: dict[str, Any], prefix: str) -> list[FieldError]:
    out = []
    for key in ("steps", "flows"):
        items = raw.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            out.append(FieldError(f"{prefix}{key}", "expected a list", "type"))
            continue
        out += [
            FieldError(f"{prefix}{key}.{n}", "expected a mapping", "type") for n, x in enumerate(items)
            if not isinstance(x, dict)
        ]  # fmt: skip
    for n, s in enumerate(raw.get("steps") or []):
        if isinstance(s, dict):
            for k in ("evidence", "touches"):
                if s.get(k) is not None and not isinstance(s[k], list):
                    out.append(FieldError(f"{prefix}steps.{n}.{k}", "expected a list", "type"))
    return out


def validate_blueprint(raw: dict[str, Any], prefix: str = "blueprint.") -> tuple[bpe.Blueprint, list[bpe.Finding]]:
    """The engine's blueprint from plain data, or a 422 with every reason (Chinese in ``params``)."""
    problems = _shape_problems(raw, prefix)
    if problems:
        raise ValidationFailed("invalid blueprint", problems)
    try:
        bp = bpe.from_dict(raw)
        return bp, bpe.check(bp)
    except bpe.BlueprintError as exc:
        raise ValidationFailed(
            "invalid blueprint",
            [FieldError(prefix.rstrip("."), en, "blueprint", params={"zh": zh}) for zh, en in exc.problems],
        ) from None


def content_hash(doc: dict[str, Any]) -> str:
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def current_number(session: Session, offering_id: int) -> int:
    return (
        session.scalar(select(func.max(BlueprintVersion.number)).where(BlueprintVersion.offering_id == offering_id))
        or 0
    )


def add_blueprint_version(
    session: Session, offering_id: int, data: BlueprintVersionCreate, user_id: int | None
) -> tuple[BlueprintVersion, bool]:
    """Store the blueprint as the offering's next version; (row, False) when it equals the current one."""
    offering = get_or_404(session, Offering, offering_id, "offering")
    current = current_number(session, offering.id)
    if data.based_on is not None and data.based_on != current:
        raise Conflict(
            f"the blueprint was edited meanwhile (now version {current}, you edited {data.based_on});"
            " reload and apply your change again",
            [FieldError("based_on", "stale blueprint version", "stale")],
        )
    prefix = "blueprint." if data.blueprint is not None else "document."
    bp, _ = validate_blueprint(_parse(data), prefix)
    doc = bpe.to_dict(bp)
    digest = content_hash(doc)
    if current:
        row = get_blueprint_version(session, offering.id, current)
        if row.content_hash == digest:
            return row, False
    row = BlueprintVersion(
        tenant_id=offering.tenant_id, offering_id=offering.id, number=current + 1, name=bp.name, name_en=bp.name_en,
        document=doc, content_hash=digest, step_count=len(bp.steps), fail_points=sum(s.fail_point for s in bp.steps),
        note=data.note, created_by=user_id,
    )  # fmt: skip
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            "another version of this blueprint was stored at the same time; reload and apply your change again",
            [FieldError("based_on", "stale blueprint version", "stale")],
        ) from None
    return row, True


def get_blueprint_version(session: Session, offering_id: int, number: int | None = None) -> BlueprintVersion:
    get_or_404(session, Offering, offering_id, "offering")
    number = number or current_number(session, offering_id)
    row = session.scalar(
        select(BlueprintVersion).where(BlueprintVersion.offering_id == offering_id, BlueprintVersion.number == number)
    )
    if row is None:
        raise NotFound(f"offering {offering_id} has no blueprint" + (f" version {number}" if number else ""))
    return row


def list_blueprint_versions(session: Session, offering_id: int) -> list[BlueprintVersion]:
    get_or_404(session, Offering, offering_id, "offering")
    stmt = select(BlueprintVersion).where(BlueprintVersion.offering_id == offering_id)
    return list(session.scalars(stmt.order_by(BlueprintVersion.number.desc())))


def engine_blueprint(row: BlueprintVersion) -> bpe.Blueprint:
    return bpe.from_dict(row.document)


def blueprint_view(session: Session, row: BlueprintVersion) -> dict[str, Any]:
    """A stored version with its summary, findings and interfaces (for the API and the page)."""
    bp = engine_blueprint(row)
    s = bpe.summary(bp)
    known = set(_component_codes(session, row.offering_id))
    findings = list(s.findings)
    if known:
        findings += [
            bpe.Finding(c, f"产品没有部件 {c}", f"the product has no component {c}")
            for c in bpe.interfaces(bp) if c not in known
        ]  # fmt: skip
    summary = {k: v for k, v in vars(s).items() if k != "findings"}
    return {
        **{k: getattr(row, k) for k in ("id", "offering_id", "number", "name", "name_en", "content_hash", "step_count",
                                        "fail_points", "note", "created_by", "created_at", "document")},
        "current": current_number(session, row.offering_id),
        "summary": summary,
        "findings": [vars(f) for f in findings],
        "interfaces": bpe.interfaces(bp),
    }  # fmt: skip


def export_blueprint(session: Session, offering_id: int, number: int | None = None) -> str:
    row = get_blueprint_version(session, offering_id, number)
    return yaml.safe_dump(row.document, allow_unicode=True, sort_keys=False, width=120)


def engine_svg(row: BlueprintVersion, lang: str) -> str:
    return bpe.render_svg(engine_blueprint(row), lang)


def render_blueprint(session: Session, offering_id: int, number: int | None, lang: str) -> str:
    return bpe.render_svg(engine_blueprint(get_blueprint_version(session, offering_id, number)), lang)


# ---- components --------------------------------------------------------------------------------------


def _component_codes(session: Session, offering_id: int) -> list[str]:
    product_id = session.scalar(select(Offering.product_id).where(Offering.id == offering_id))
    stmt = select(ProductComponent.code).where(ProductComponent.product_id == product_id)
    return list(session.scalars(stmt))


def list_components(session: Session, product_id: int) -> list[ProductComponent]:
    get_or_404(session, Product, product_id, "product")
    stmt = select(ProductComponent).where(ProductComponent.product_id == product_id)
    return list(session.scalars(stmt.order_by(ProductComponent.position)))


def set_components(session: Session, product_id: int, data: ComponentsIn) -> list[ProductComponent]:
    """Replace the product's component list: kept codes are updated in place, new ones added, the
    rest removed; a component still named by a product-service interface cannot be removed."""
    product = get_or_404(session, Product, product_id, "product")
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for n, c in enumerate(data.components):
        if c.code in seen:
            errors.append(
                FieldError(f"components.{n}.code", f"{c.code!r} is also component {seen[c.code]}", "duplicate")
            )
        seen.setdefault(c.code, n)
    parts = {b.part_number for b in product.bom}
    for n, c in enumerate(data.components):
        if c.part_number is not None and c.part_number not in parts:
            errors.append(FieldError(f"components.{n}.part_number", f"the product's BOM has no {c.part_number!r}",
                                     "not_found"))  # fmt: skip
    existing = {c.code: c for c in list_components(session, product_id)}
    removed = [c for code, c in existing.items() if code not in seen]
    if removed:
        used = session.execute(
            select(ProductComponent.code, func.count())
            .join(ServiceInterface, ServiceInterface.component_id == ProductComponent.id)
            .where(ProductComponent.id.in_([c.id for c in removed]))
            .group_by(ProductComponent.code)
        ).all()
        errors += [
            FieldError("components", f"component {code} is used by {k} product-service interface(s)", "in_use")
            for code, k in used
        ]  # fmt: skip
    if errors:
        raise ValidationFailed("invalid component list", errors)
    for c in removed:
        session.delete(c)
    session.flush()
    for n, c in enumerate(data.components):
        row = existing.get(c.code)
        if row is None:
            row = ProductComponent(tenant_id=product.tenant_id, product_id=product.id, code=c.code)
            session.add(row)
        row.position, row.name, row.name_en, row.part_number = n + 1, c.name, c.name_en, c.part_number
    session.flush()
    return list_components(session, product_id)


# ---- interfaces ----------------------------------------------------------------------------------------


def interface_matrix(session: Session, offering_id: int) -> dict[str, Any]:
    """Service items x product components: the stored interfaces and, per component, the steps of
    the current blueprint that touch it."""
    offering = get_or_404(session, Offering, offering_id, "offering")
    components = list_components(session, offering.product_id)
    by_id = {c.id: c.code for c in components}
    rows = session.scalars(
        select(ServiceInterface)
        .where(ServiceInterface.offering_id == offering.id)
        .order_by(ServiceInterface.service_line_no, ServiceInterface.component_id)
    )
    cells = [
        {"service_line_no": r.service_line_no, "component": by_id[r.component_id], "kind": r.kind, "note": r.note}
        for r in rows
    ]
    number = current_number(session, offering.id)
    touches: dict[str, list[str]] = {}
    if number:
        touches = bpe.interfaces(engine_blueprint(get_blueprint_version(session, offering.id, number)))
    codes = [c.code for c in components]
    used = {c["component"] for c in cells} | set(touches)
    return {
        "offering_id": offering.id,
        "product_id": offering.product_id,
        "services": [
            {"line_no": s.line_no, "kind": s.kind.value, "name": s.name, "name_en": s.name_en}
            for s in offering.service_items
        ],
        "components": components,
        "cells": cells,
        "blueprint_version": number or None,
        "blueprint_touches": touches,
        "untouched_components": [c for c in codes if c not in used],
        "unknown_in_blueprint": sorted(set(touches) - set(codes)),
    }


def set_interfaces(session: Session, offering_id: int, data: InterfacesIn) -> dict[str, Any]:
    """Replace the offering's product-service interfaces (stored whole or refused whole)."""
    offering = get_or_404(session, Offering, offering_id, "offering")
    lines = {s.line_no for s in offering.service_items}
    comps = {c.code: c.id for c in list_components(session, offering.product_id)}
    errors: list[FieldError] = []
    seen: set[tuple[int, str]] = set()
    for n, i in enumerate(data.interfaces):
        if i.service_line_no not in lines:
            errors.append(FieldError(f"interfaces.{n}.service_line_no", f"the offering has no service item "
                                     f"{i.service_line_no}", "not_found"))  # fmt: skip
        if i.component not in comps:
            errors.append(FieldError(f"interfaces.{n}.component", f"the product has no component {i.component!r}",
                                     "not_found"))  # fmt: skip
        if (i.service_line_no, i.component) in seen:
            errors.append(FieldError(f"interfaces.{n}", "this service and component are paired twice", "duplicate"))
        seen.add((i.service_line_no, i.component))
    if errors:
        raise ValidationFailed("invalid product-service interfaces", errors)
    for r in session.scalars(select(ServiceInterface).where(ServiceInterface.offering_id == offering.id)):
        session.delete(r)
    session.flush()
    session.add_all(
        ServiceInterface(tenant_id=offering.tenant_id, offering_id=offering.id, service_line_no=i.service_line_no,
                         component_id=comps[i.component], kind=i.kind, note=i.note)
        for i in data.interfaces
    )  # fmt: skip
    session.flush()
    return interface_matrix(session, offering.id)
