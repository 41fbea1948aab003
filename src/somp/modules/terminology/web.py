"""The terminology page (framework node 1.1): the framework tree with each node's module, and the
bilingual glossary with search."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from somp.modules.terminology import service
from somp.web.context import page
from somp.web.render import render

router = APIRouter(include_in_schema=False)


def terminology(request: Request) -> HTMLResponse:
    with page(request, "terminology:read") as w:
        q = (request.query_params.get("q") or "").strip()[:100]
        framework = (request.query_params.get("framework") or "").strip()
        if not re.fullmatch(r"[1-4](\.\d+){0,2}", framework):
            framework = ""
        terms = service.search_terms(q or None, framework or None)
        codes = [(code, node.label(w.lang)) for code, node in service.framework_index().items()]  # type: ignore[arg-type]
        return render(
            request,
            "terminology.html",
            w,
            title_key="page.terminology.title",
            tree=service.framework_tree(),
            terms=terms,
            q=q,
            framework=framework,
            codes=sorted(codes, key=lambda c: [int(x) for x in c[0].split(".")]),
            glossary=service.glossary(),
            searched=bool(q or framework),
        )


router.add_api_route("/terminology", terminology, methods=["GET"], response_class=HTMLResponse, name="web_terminology")
