"""Web forms of the enterprise side of issue 4 (framework nodes 1.3.1, 1.3.3 and the standards
system), in Chinese and English; included by :mod:`.web`. Every form posts with the session's CSRF
token and goes through the same services as the API, so its checks and errors are the API's; a
refused form changes nothing and says every reason.

* ``/evaluation/programmes/conformance`` and ``.../conformance/{id}``: the conformance self-check
  (对标达标) against a catalogue standard's clauses, one judgement per clause with a note and
  evidence files (stored by :mod:`.record_files` with the maturity evidence's checks), saved as a
  draft or submitted (final; the evaluator then sees it and downloads the files);
* ``/evaluation/programmes/applications`` and ``.../applications/{id}``: applications to
  recognition programmes (draft -> submitted), the figures the enterprise declares with evidence
  files (per criterion or for the whole application), and the criteria checked on every save
  (measured by the platform where it can, else declared, else missing);
* ``/evaluation/programmes/files/{id}``: an evidence file of a self-check or application, as an
  attachment (the evaluator: submitted ones only); ``.../files/{id}/delete`` removes one while its
  owner is editable;
* ``/evaluation/yearly/sustainability``: a year's sustainability figures (1.3.3), on the yearly page,
  and its carbon activities (fuel, electricity, materials...: quantity and unit, the emission factor
  with its unit and source), the units checked by :mod:`.carbon`.

Enterprises write with ``self_assessment:write``; the evaluator reads the submitted ones.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from somp.core.database import utcnow
from somp.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from somp.modules.evaluation import evidence, programmes, record_files, standards, yearly
from somp.modules.evaluation import recognition as rc
from somp.modules.evaluation import sustainability as su
from somp.modules.evaluation import yearly_carbon_form as cf
from somp.modules.evaluation.models import ApplicationStatus
from somp.modules.evaluation.schemas_reports import SustainabilityIn
from somp.web.context import CSRF_FIELD, PageForbidden, PageNotFound, WebContext, check_csrf, flash, page, parse_id
from somp.web.crud import read_form
from somp.web.render import ENV, render

router = APIRouter(include_in_schema=False)
READ_ANY = ("self_assessment:read", "evaluation:read")
CONFORMANCE_URL = "/evaluation/programmes/conformance"
APPLICATIONS_URL = "/evaluation/programmes/applications"
JUDGEMENTS = tuple(j.value for j in rc.Judgement)


def _template(name: str):  # noqa: ANN202 - templates of this module that extend the site's base.html
    return ENV.from_string((files("somp.modules.evaluation") / "templates" / name).read_text(encoding="utf-8"))


CONFORMANCE = _template("forms_conformance.html")
APPLICATIONS = _template("forms_applications.html")


def _readable(w: WebContext) -> None:
    if not any(w.principal.can(p) for p in READ_ANY):
        raise PageForbidden(READ_ANY[0])


def _reasons(e: DomainError) -> str:
    errors = getattr(e, "errors", None) or []
    return "; ".join(f"{x.field}: {x.message}" for x in errors[:20]) or str(e)


# ---- conformance self-checks --------------------------------------------------------------------------


def conformance_page(request: Request) -> HTMLResponse:
    with page(request, None) as w:
        _readable(w)
        db = request.app.state.db
        checks = standards.list_checks(w.session)
        catalogue = standards.list_standards(db, w.session)
        by_id = {s.id: s for s in catalogue}
        return render(request, CONFORMANCE, w, title_key="evaluation.forms.conformance_title", check=None,
                      checks=checks, by_id=by_id, with_clauses=[s for s in catalogue if s.clauses],
                      can_write=w.can("self_assessment:write"), csrf_field=CSRF_FIELD)  # fmt: skip


def conformance_detail(request: Request) -> HTMLResponse:
    with page(request, None) as w:
        _readable(w)
        try:
            check = standards.get_check(w.session, parse_id(request, "check_id"))
            std = standards.get_standard(request.app.state.db, w.session, check.standard_id)
        except NotFound:
            raise PageNotFound() from None
        items = {it["clause"]: it for it in check.items or []}
        editable = w.can("self_assessment:write") and check.submitted_at is None
        files_ = _by_item(record_files.list_for_check(w.session, check.id))
        return render(request, CONFORMANCE, w, title_key="evaluation.forms.conformance_title", check=check, std=std,
                      items=items, judgements=JUDGEMENTS, editable=editable, files=files_,
                      csrf_field=CSRF_FIELD)  # fmt: skip


def _by_item(rows: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in rows:
        out.setdefault(r.item, []).append(r)
    return out


def conformance_create(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "self_assessment:write") as w:
        check_csrf(request, form)
        raw = form.get("standard_id")
        sid = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 12 else 0
        try:
            row = standards.start_check(request.app.state.db, w.session, sid, [], w.principal.user_id)
        except ValidationFailed as e:
            w.rollback()
            flash(request, "evaluation.forms.refused", reasons=_reasons(e))
            return RedirectResponse(CONFORMANCE_URL, status_code=303)
        w.commit()
        return RedirectResponse(f"{CONFORMANCE_URL}/{row.id}", status_code=303)


def _uploads(form: FormData, keys: list[tuple[str, str]]) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    """The files sent in the form fields ``keys`` ((field, item) pairs), each checked as the maturity
    evidence is (:func:`evidence.checked_file`: size, content type from the bytes); the reasons of the
    refused ones. Nothing is stored here: the caller stores all of them or none."""
    files_, problems = [], []
    for field, item in keys:
        up = form.get(field)
        if not hasattr(up, "read") or not getattr(up, "filename", ""):
            continue
        data = up.file.read(evidence.MAX_BYTES + 1)  # type: ignore[union-attr]
        try:
            evidence.checked_file(up.filename, data)  # type: ignore[union-attr]
        except ValidationFailed as e:
            problems.append(f"{item or '-'}: " + "; ".join(x.message for x in e.errors))
            continue
        files_.append((item, up.filename, data))  # type: ignore[union-attr]
    return files_, problems


def conformance_save(request: Request, form: FormData = Depends(read_form)) -> Response:
    """Save the judgements (the whole list, stored whole or refused) and the clauses' evidence files
    (stored with the judgements or, when any file or judgement is refused, none); ``action=submit``
    makes it final."""
    with page(request, "self_assessment:write") as w:
        check_csrf(request, form)
        cid = parse_id(request, "check_id")
        back = f"{CONFORMANCE_URL}/{cid}"
        db = request.app.state.db
        try:
            check = standards.get_check(w.session, cid)
            std = standards.get_standard(db, w.session, check.standard_id)
        except NotFound:
            raise PageNotFound() from None
        before = {it["clause"]: it for it in check.items or []}
        items = []
        for clause in std.clauses:
            code = clause["code"]
            judgement = form.get(f"judgement__{code}")
            if not judgement:
                continue  # not judged: missing, never "not conforming"
            note = form.get(f"note__{code}")
            refs = list(before.get(code, {}).get("evidence") or [])  # references given through the API
            item = {"clause": code, "judgement": judgement, "evidence": refs}
            if isinstance(note, str) and note.strip():
                item["note"] = note.strip()[:2000]
            items.append(item)
        uploads, problems = _uploads(form, [(f"evidence__{c['code']}", c["code"]) for c in std.clauses])
        if problems:
            flash(request, "evaluation.forms.refused", reasons="; ".join(problems))
            return RedirectResponse(back, status_code=303)
        raw_version = form.get("version")
        version = int(raw_version) if isinstance(raw_version, str) and raw_version.isdigit() else None
        submit = form.get("action") == "submit"
        try:
            standards.update_check(db, w.session, cid, items, version)
            for code, name, data in uploads:
                record_files.upload_for_check(db, w.session, cid, code, name, data, w.principal.user_id)
            if submit:
                standards.update_check(db, w.session, cid, items, None, submit=True)
        except (ValidationFailed, Conflict) as e:
            w.rollback()
            flash(request, "evaluation.forms.refused", reasons=_reasons(e))
            return RedirectResponse(back, status_code=303)
        w.commit()
        flash(request, "evaluation.forms.submitted" if submit else "evaluation.forms.saved")
        return RedirectResponse(back, status_code=303)


def record_file_download(request: Request) -> Response:
    """An evidence file of a self-check or application the caller may read (the evaluator: submitted
    ones only), as an attachment."""
    from somp.modules.evaluation.api_programmes import download

    with page(request, None) as w:
        _readable(w)
        try:
            row = record_files.get(w.session, parse_id(request, "file_id"))
        except NotFound:
            raise PageNotFound() from None
        return download(row.content, row.content_type, row.filename)


def record_file_delete(request: Request, form: FormData = Depends(read_form)) -> Response:
    """Remove an evidence file of an editable self-check or application (the button beside the file
    posts the owner's form here: only the CSRF token is read). A regional application's file is the
    evaluator's to remove (review permission); the others the enterprise's."""
    with page(request, None) as w:
        _readable(w)
        check_csrf(request, form)
        try:
            row = record_files.get(w.session, parse_id(request, "file_id"))
        except NotFound:
            raise PageNotFound() from None
        regional = row.tenant_id is None
        needed = "evaluation:review" if regional else "self_assessment:write"
        if not w.can(needed):
            raise PageForbidden(needed)
        back = f"{CONFORMANCE_URL}/{row.check_id}" if row.check_id else f"{APPLICATIONS_URL}/{row.application_id}"
        name, file_id, application_id = row.filename, row.id, row.application_id
        try:
            if regional:
                w.rollback()  # the evaluator's view is read-only: the removal has a platform session
                record_files.delete_for_region_application(request.app.state.db, application_id, file_id)
            else:
                record_files.delete(request.app.state.db, w.session, file_id)
                w.commit()
        except (Conflict, NotFound) as e:
            w.rollback()
            flash(request, "evaluation.forms.refused", reasons=_reasons(e))
            return RedirectResponse(back, status_code=303)
        flash(request, "evaluation.forms.evid_removed", name=name)
        return RedirectResponse(back, status_code=303)


# ---- programme applications ---------------------------------------------------------------------------


def _enterprise_programmes() -> list[dict[str, Any]]:
    return [p for p in programmes.programme_list() if p["applicant"] == "enterprise"]


def applications_page(request: Request) -> HTMLResponse:
    with page(request, None) as w:
        _readable(w)
        rows = programmes.list_applications(w.session)
        progs = {p["code"]: p for p in programmes.programme_list()}
        return render(request, APPLICATIONS, w, title_key="evaluation.forms.applications_title", app=None, rows=rows,
                      progs=progs, choices=_enterprise_programmes(), can_write=w.can("self_assessment:write"),
                      default_year=utcnow().year - 1, csrf_field=CSRF_FIELD)  # fmt: skip


def application_detail(request: Request) -> HTMLResponse:
    with page(request, None) as w:
        _readable(w)
        try:
            row = programmes.get_application(w.session, parse_id(request, "application_id"))
        except NotFound:
            raise PageNotFound() from None
        prog = {p["code"]: p for p in programmes.programme_list()}[row.programme]
        if row.region_id is not None:  # a regional application: the evaluator's (1.3.4)
            reviewer = w.can("evaluation:review")
            edit_figures = can_submit = reviewer and row.status is ApplicationStatus.returned
            edit_files = reviewer and row.status in record_files.REGION_FILES_EDITABLE
        else:
            edit_figures = can_submit = edit_files = w.can("self_assessment:write") and row.status in (
                ApplicationStatus.draft,
                ApplicationStatus.returned,
            )
        files_ = _by_item(record_files.list_for_application(w.session, row.id))
        return render(request, APPLICATIONS, w, title_key="evaluation.forms.applications_title", app=row, prog=prog,
                      declarable=prog["criteria"], edit_figures=edit_figures, edit_files=edit_files,
                      can_submit=can_submit, files=files_, csrf_field=CSRF_FIELD)  # fmt: skip


def _declared(form: FormData, prog: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    out, problems = {}, []
    for c in prog["criteria"]:
        raw = form.get(f"declared__{c['metric']}")
        if not isinstance(raw, str) or not raw.strip():
            continue  # not declared
        text = raw.strip().replace(",", "")
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            problems.append(f"{c['metric']}: {raw!r} is not a number")
            continue
        out[c["metric"]] = value
    return out, problems


def application_create(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "self_assessment:write") as w:
        check_csrf(request, form)
        code, raw_year = form.get("programme"), form.get("year")
        year = int(raw_year) if isinstance(raw_year, str) and raw_year.strip().isdigit() else None
        if not isinstance(code, str) or year is None or not 2000 <= year <= 2100:
            flash(request, "evaluation.forms.refused", reasons="a programme and a year 2000-2100 are required")
            return RedirectResponse(APPLICATIONS_URL, status_code=303)
        try:
            row = programmes.apply(request.app.state.db, w.session, {"programme": code, "year": year},
                                   w.principal.user_id)  # fmt: skip
        except (ValidationFailed, Conflict, NotFound) as e:
            w.rollback()
            flash(request, "evaluation.forms.refused", reasons=_reasons(e))
            return RedirectResponse(APPLICATIONS_URL, status_code=303)
        w.commit()
        return RedirectResponse(f"{APPLICATIONS_URL}/{row.id}", status_code=303)


def application_save(request: Request, form: FormData = Depends(read_form)) -> Response:
    """Save the declared figures (checked again at once) and the attached files; ``action=submit``
    also submits. Stored whole or not at all. A regional application is the evaluator's (review
    permission): its files until its review starts, its figures and a new submission when returned."""
    with page(request, None) as w:
        _readable(w)
        check_csrf(request, form)
        aid = parse_id(request, "application_id")
        back = f"{APPLICATIONS_URL}/{aid}"
        try:
            row = programmes.get_application(w.session, aid)
        except NotFound:
            raise PageNotFound() from None
        needed = "evaluation:review" if row.region_id is not None else "self_assessment:write"
        if not w.can(needed):
            raise PageForbidden(needed)
        prog = {p["code"]: p for p in programmes.programme_list()}[row.programme]
        declared, problems = _declared(form, prog)
        keys = [("evidence__", "")] + [(f"evidence__{c['metric']}", c["metric"]) for c in prog["criteria"]]
        uploads, refused = _uploads(form, keys)
        problems += refused
        if problems:
            flash(request, "evaluation.forms.refused", reasons="; ".join(problems))
            return RedirectResponse(back, status_code=303)
        raw_version = form.get("version")
        version = int(raw_version) if isinstance(raw_version, str) and raw_version.isdigit() else None
        submit = form.get("action") == "submit"
        if row.region_id is not None:
            figures = declared if row.status is ApplicationStatus.returned else None  # frozen otherwise
            w.rollback()  # the evaluator's view is read-only: the form is stored in a platform session
            try:
                record_files.save_region_application(request.app.state.db, aid, declared=figures, uploads=uploads,
                                                     submit=submit, version=version,
                                                     user_id=w.principal.user_id)  # fmt: skip
            except DomainError as e:
                flash(request, "evaluation.forms.refused", reasons=_reasons(e))
                return RedirectResponse(back, status_code=303)
            flash(request, "evaluation.forms.submitted" if submit else "evaluation.forms.saved")
            return RedirectResponse(back, status_code=303)
        try:
            programmes.update(request.app.state.db, w.session, aid, {"declared": declared, "version": version})
            for metric, name, data in uploads:
                record_files.upload_for_application(request.app.state.db, w.session, aid, metric, name, data,
                                                    w.principal.user_id)  # fmt: skip
            if submit:
                programmes.submit(request.app.state.db, w.session, aid, None)
        except (ValidationFailed, Conflict) as e:
            w.rollback()
            flash(request, "evaluation.forms.refused", reasons=_reasons(e))
            return RedirectResponse(back, status_code=303)
        except DomainError as e:  # an illegal transition
            w.rollback()
            flash(request, "evaluation.forms.refused", reasons=str(e))
            return RedirectResponse(back, status_code=303)
        w.commit()
        flash(request, "evaluation.forms.submitted" if submit else "evaluation.forms.saved")
        return RedirectResponse(back, status_code=303)


# ---- sustainability figures -----------------------------------------------------------------------------


def sustainability_save(request: Request, form: FormData = Depends(read_form)) -> Response:
    """A year's sustainability figures from the yearly page (blank: not reported) and, when the form
    carries its activity table (``carbon_rows``), the year's carbon activities with their emission
    factors (:mod:`.yearly_carbon_form`: every row's problems, the units checked by the carbon
    engine); without the table the stored activities are kept. The record is recomputed and stored
    whole, or nothing is stored and every reason is shown."""
    back = "/evaluation/yearly"
    with page(request, "self_assessment:write") as w:
        check_csrf(request, form)
        raw_year = form.get("year")
        year = int(raw_year) if isinstance(raw_year, str) and raw_year.strip().isdigit() else None
        if year is None or not 2000 <= year <= 2100:
            flash(request, "evaluation.forms.refused", reasons="year: 2000-2100")
            return RedirectResponse(back, status_code=303)
        back = f"{back}?year={year}"
        figures: dict[str, float | None] = {}
        problems = []
        for f in su.FIGURES:
            raw = form.get(f"figure__{f.code}")
            if not isinstance(raw, str) or not raw.strip():
                continue
            try:
                figures[f.code] = float(raw.strip().replace(",", ""))
            except ValueError:
                problems.append(f"{f.code}: {raw!r} is not a number")
        try:
            su.validate_figures({k: v for k, v in figures.items()})
        except su.FiguresInvalid as e:
            problems += e.errors
        tenant_id = w.principal.tenant_id
        old = yearly.sustainability_of(w.session, tenant_id, year)
        activities = old.activities if old is not None else []
        factors = old.factors if old is not None else []
        raw_rows = form.get("carbon_rows")
        if isinstance(raw_rows, str) and raw_rows.strip().isdigit():
            activities, factors, bad_rows = cf.parse_rows(form.get, int(raw_rows))
            problems += bad_rows
        if problems:
            flash(request, "evaluation.forms.refused", reasons="; ".join(problems))
            return RedirectResponse(back, status_code=303)
        data = SustainabilityIn.model_validate({
            "year": year, "figures": figures, "activities": activities, "factors": factors,
            "version": old.version if old is not None else None,
        })  # fmt: skip
        try:
            yearly.save_sustainability(w.session, tenant_id, data, w.principal.user_id)
        except (ValidationFailed, Conflict) as e:
            w.rollback()
            flash(request, "evaluation.forms.refused", reasons=_reasons(e))
            return RedirectResponse(back, status_code=303)
        w.commit()
        flash(request, "evaluation.forms.sustainability_stored", year=year)
        return RedirectResponse(back, status_code=303)


for _path, _fn, _name in (
    (CONFORMANCE_URL, conformance_page, "web_evaluation_conformance"),
    (CONFORMANCE_URL + "/{check_id}", conformance_detail, "web_evaluation_conformance_detail"),
    (APPLICATIONS_URL, applications_page, "web_evaluation_applications"),
    (APPLICATIONS_URL + "/{application_id}", application_detail, "web_evaluation_application_detail"),
):
    router.add_api_route(_path, _fn, methods=["GET"], response_class=HTMLResponse, name=_name)
router.add_api_route("/evaluation/programmes/files/{file_id}", record_file_download, methods=["GET"],
                     response_class=Response, name="web_evaluation_record_file")  # fmt: skip
for _path, _fn, _name in (
    (CONFORMANCE_URL, conformance_create, "web_evaluation_conformance_create"),
    (CONFORMANCE_URL + "/{check_id}", conformance_save, "web_evaluation_conformance_save"),
    (APPLICATIONS_URL, application_create, "web_evaluation_application_create"),
    (APPLICATIONS_URL + "/{application_id}", application_save, "web_evaluation_application_save"),
    ("/evaluation/yearly/sustainability", sustainability_save, "web_evaluation_sustainability_save"),
    ("/evaluation/programmes/files/{file_id}/delete", record_file_delete, "web_evaluation_record_file_delete"),
):
    router.add_api_route(_path, _fn, methods=["POST"], response_class=HTMLResponse, name=_name)
