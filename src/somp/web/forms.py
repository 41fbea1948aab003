"""Forms driven by field specs: one renderer (``templates/_fields.html``) and one parser for
every entity.

A submitted form is parsed into (a) the raw ``values`` to re-render, so nothing the user typed is
lost, and (b) the ``data`` handed to the module's Pydantic input schema. Input names follow the
schema's paths (``bom.0.quantity``, ``sla.per_priority.high.response_hours``), so Pydantic's error
locations and the services' ``FieldError.field`` land next to the right input.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from somp.core.errors import DomainError
from somp.web.render import e_for, has_label, t_for

Options = Callable[[Any], list[tuple[str, str]]]  # (WebContext) -> [(value, text)]

SLA_COLUMNS = ("response_hours", "resolution_hours")
MAX_ID = 2**62  # core.schemas.Id


@dataclass(frozen=True)
class Field:
    """One input. ``kind``: text, textarea, int, decimal, date, email, password, enum, select,
    multiselect, checkboxes, checkbox, json, table (rows of ``columns``) or sla (availability and
    response/resolution hours for each member of ``enum``, the priorities)."""

    name: str
    kind: str = "text"
    label: str | None = None
    required: bool = False
    enum: type[enum.Enum] | None = None
    enum_prefix: str | None = None
    options: Options | None = None
    columns: tuple[Field, ...] = ()
    extra_rows: int = 2
    create: bool = True
    edit: bool = True
    omit_empty: bool = False  # edit: an empty input leaves the value unchanged (passwords)
    show: Callable[[Any], bool] | None = None  # (WebContext) -> visible?
    help: str | None = None
    default: Any = None  # checkbox columns: checked in new table rows

    @property
    def label_key(self) -> str:
        return self.label or f"field.{self.name}"

    def choices(self, w: Any, lang: str) -> list[tuple[str, str]]:
        if self.options is not None:
            return self.options(w)
        if self.enum is not None:
            from somp.web.render import e_for

            e = e_for(lang)
            return [(m.value, e(self.enum_prefix or "", m.value)) for m in self.enum]
        return []


def options_from(
    list_fn: Callable[..., tuple[list[Any], str | None]],
    text: Callable[[Any], str],
    limit: int = 500,
    **filters: Any,
) -> Options:
    """Select options from a module's list function, in the page's scope: ``[(id, text)]``."""

    def options(w: Any) -> list[tuple[str, str]]:
        items, _ = list_fn(w.session, limit=limit, cursor=None, order="asc", **filters)
        return [(str(o.id), text(o)) for o in items]

    return options


def sla_rows(f: Field) -> list[str]:
    return [m.value for m in (f.enum or ())]


def visible(fields: Iterable[Field], w: Any, mode: str) -> list[Field]:
    return [f for f in fields if (f.create if mode == "create" else f.edit) and (f.show is None or f.show(w))]


def _str(form: Mapping[str, Any], name: str) -> str:
    v = form.get(name)
    return v.strip() if isinstance(v, str) else ""


def _getlist(form: Any, name: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [v for v in form.getlist(name) if isinstance(v, str) and v]
    v = form.get(name)
    return list(v) if isinstance(v, list | tuple) else ([v] if v else [])


def _table(f: Field, form: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    prefix = f.name + "."
    indices = sorted(
        {
            int(k[len(prefix) :].split(".", 1)[0])
            for k in form
            if k.startswith(prefix) and k[len(prefix) :].split(".", 1)[0].isdigit()
        }
    )
    values, data = [], []
    for i in indices:
        row_v: dict[str, Any] = {}
        row_d: dict[str, Any] = {}
        filled = False
        for c in f.columns:
            key = f"{f.name}.{i}.{c.name}"
            if c.kind == "checkbox":
                row_v[c.name] = row_d[c.name] = key in form
                continue
            raw = _str(form, key)
            row_v[c.name] = raw
            if raw:
                filled = True
                row_d[c.name] = raw
        if filled:  # blank rows are dropped; the rest are renumbered so errors match the rows shown
            values.append(row_v)
            data.append(row_d)
    return values, data


def _sla(f: Field, form: Any) -> tuple[dict[str, str], dict[str, Any] | None]:
    values: dict[str, str] = {}
    avail_key = f"{f.name}.availability_target_pct"
    values[avail_key] = _str(form, avail_key)
    per: dict[str, dict[str, str]] = {}
    for p in sla_rows(f):
        row = {}
        for c in SLA_COLUMNS:
            key = f"{f.name}.per_priority.{p}.{c}"
            values[key] = _str(form, key)
            if values[key]:
                row[c] = values[key]
        if row:
            per[p] = row
    if not per and not values[avail_key]:
        return values, None
    out: dict[str, Any] = {"per_priority": per}
    if values[avail_key]:
        out["availability_target_pct"] = values[avail_key]
    return values, out


@dataclass
class Parsed:
    values: dict[str, Any]
    data: dict[str, Any]
    errors: list[tuple[str, str]]  # (path, message)


def parse(fields: list[Field], form: Any, mode: str, lang: str) -> Parsed:
    """Read the submitted ``form`` for ``fields``; ``mode`` is "create" or "edit"."""
    t = t_for(lang)
    values: dict[str, Any] = {}
    data: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for f in fields:
        if f.kind == "table":
            values[f.name], data[f.name] = _table(f, form)
            continue
        if f.kind == "sla":
            sla_values, data[f.name] = _sla(f, form)
            values.update(sla_values)
            continue
        if f.kind in ("multiselect", "checkboxes"):
            values[f.name] = data[f.name] = _getlist(form, f.name)
            if f.required and not values[f.name]:
                errors.append((f.name, t("error.missing")))
            continue
        if f.kind == "checkbox":
            values[f.name] = data[f.name] = f.name in form
            continue
        raw = _str(form, f.name) if f.kind != "password" else (form.get(f.name) or "")
        values[f.name] = raw if f.kind != "password" else ""  # never echo a password
        if not raw and f.kind == "json" and not f.required:
            data[f.name] = {}
            continue
        if not raw:
            if f.required:
                errors.append((f.name, t("error.missing")))
            elif mode == "edit" and not f.omit_empty:
                data[f.name] = None
            continue
        if f.kind == "json":
            try:
                data[f.name] = json.loads(raw)
            except ValueError:
                errors.append((f.name, t("error.invalid_json")))
            values[f.name] = raw
            continue
        if f.kind == "select" and raw.isdigit() and int(raw) > MAX_ID:
            errors.append((f.name, t("error.enum")))  # not one of the options (ids)
            continue
        data[f.name] = raw
    return Parsed(values, data, errors)


STATE_PARAMS = ("state", "from_state", "to_state")


def _labelled(ctx: Mapping[str, Any], lang: str) -> dict[str, str]:
    """Error parameters as text; state values are labelled when the error names their ``enum``."""
    enum = ctx.get("enum")
    e = e_for(lang)
    out = {}
    for k, v in ctx.items():
        if enum and k in STATE_PARAMS:
            out[k] = e(enum, v)
        elif enum and k == "allowed":
            names = [e(enum, x) for x in v] or [t_for(lang)("msg.none")]
            out[k] = ("、" if lang == "zh" else ", ").join(names)
        else:
            out[k] = str(v)
    return out


def translate(code: str | None, message: str, lang: str, ctx: Mapping[str, Any] | None = None) -> str:
    """``error.<code>`` from the labels when there is one (with the error's context), else the
    service's own English message."""
    if code and has_label(f"error.{code}"):
        return t_for(lang)(f"error.{code}", **_labelled(ctx or {}, lang))
    return message


def pydantic_errors(exc: ValidationError, lang: str) -> list[tuple[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "invalid")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        code = err.get("type")
        out.append((path, translate(None if code == "value_error" else code, msg, lang, err.get("ctx"))))
    return out


def domain_errors(exc: DomainError, lang: str) -> list[tuple[str, str]]:
    if not exc.errors:
        return [("", exc.detail)]
    return [(e.field, translate(e.code, e.message, lang, e.params)) for e in exc.errors]


def validate(schema: type[BaseModel], parsed: Parsed, lang: str) -> BaseModel | None:
    """The schema object, or None with the errors added to ``parsed.errors``."""
    try:
        model = schema.model_validate(parsed.data)
    except ValidationError as exc:
        parsed.errors.extend(e for e in pydantic_errors(exc, lang) if e not in parsed.errors)
        return None
    return None if parsed.errors else model


def input_names(fields: list[Field], values: Mapping[str, Any]) -> set[str]:
    names = set()
    for f in fields:
        names.add(f.name)
        if f.kind == "table":
            for i in range(len(values.get(f.name) or ()) + f.extra_rows):
                names.update(f"{f.name}.{i}.{c.name}" for c in f.columns)
        elif f.kind == "sla":
            names.add(f"{f.name}.availability_target_pct")
            names.update(f"{f.name}.per_priority.{p}.{c}" for p in sla_rows(f) for c in SLA_COLUMNS)
    return names


def place(
    errors: list[tuple[str, str]], names: set[str], aliases: Mapping[str, str] | None = None
) -> tuple[dict[str, list[str]], list[str]]:
    """Errors by input name (the nearest input for nested paths) and the rest for the form top."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for path, msg in errors:
        path = (aliases or {}).get(path, path)
        target = path
        while target and target not in names:
            target = target.rpartition(".")[0]
        if target:
            by_field.setdefault(target, []).append(msg)
        elif msg not in general:
            general.append(msg)
    return by_field, general


def initial_values(fields: list[Field], obj: Any) -> dict[str, Any]:
    """Form values from a stored row (an ORM object or a read model)."""
    values: dict[str, Any] = {}
    for f in fields:
        v = getattr(obj, f.name, None)
        if f.kind == "table":
            values[f.name] = [
                {
                    c.name: (getattr(row, c.name) if c.kind == "checkbox" else _text(getattr(row, c.name, None)))
                    for c in f.columns
                }
                for row in (v or [])
            ]
        elif f.kind == "sla":
            continue  # set by the entity's ``initial`` hook
        elif f.kind in ("multiselect", "checkboxes"):
            values[f.name] = [_text(x) for x in (v or [])]
        elif f.kind == "checkbox":
            values[f.name] = bool(v)
        elif f.kind == "password":
            values[f.name] = ""
        elif f.kind == "json":
            values[f.name] = json.dumps(v or {}, ensure_ascii=False, indent=1, default=str)
        else:
            values[f.name] = _text(v)
    return values


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, enum.Enum):
        return str(v.value)
    return str(v)
