"""Pages of the standards and programmes dashboard and the regional ranking (issue 4; 1.3.4), in
Chinese and English: the enterprise sees its own applications, the evaluator every applicant's and
the ranking of the stored regions; a customer user sees neither."""

from __future__ import annotations

import datetime as dt
import re

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.evaluation import programmes, regions_service
from tests.factories import make_customer, make_invoice, make_tenant, make_user
from tests.web.helpers import RAW_KEY_RE, WebClient

YEAR = dt.date.today().year - 1
MODULE_KEY_RE = re.compile(r">[^<]*\bevaluation\.[a-z_]+[.a-z_]*\b[^<]*<")


def raw_keys(html: str) -> list[str]:
    """Label keys shown as such (the shared pattern, and this module's ``evaluation.*`` keys)."""
    return RAW_KEY_RE.findall(html) + MODULE_KEY_RE.findall(html)


def _stored_regions(db, a, b):
    sz = regions_service.save_region(db, {"code": "320500", "name_zh": "苏州市", "name_en": "Suzhou", "area_km2": 8657})
    hz = regions_service.save_region(
        db, {"code": "330100", "name_zh": "杭州市", "name_en": "Hangzhou", "area_km2": 16850}
    )
    regions_service.set_statistics(db, sz, [{"year": YEAR, "name": "manufacturing_enterprises", "value": 100}])
    regions_service.add_member(db, sz, a.id)
    regions_service.add_member(db, sz, b.id)
    regions_service.add_member(db, hz, b.id)
    return sz, hz


def test_dashboard_and_ranking_pages(app, db):
    a, b = make_tenant(db, name="甲企业"), make_tenant(db, name="乙企业")
    c = make_customer(db, a)
    make_invoice(db, a, c.id, issued_on=dt.date(YEAR, 3, 31))
    with db.session(Scope.tenant(b.id)) as s:
        programmes.apply(db, s, {"programme": "leading_brand", "year": YEAR}, None)
        s.commit()
    _stored_regions(db, a, b)
    make_user(db, a, Role.tenant_admin, username="pgadmin")
    make_user(db, None, Role.evaluator, username="pgeval")

    web = WebClient(app, "pgadmin")
    r = web.get("/evaluation/programmes")
    assert r.status_code == 200, r.text
    assert "GB/T 43880.4-2024" in r.text and "领军品牌" in r.text and "创新发展高地" in r.text
    assert '<a href="/evaluation/programmes"' in r.text and not raw_keys(r.text)
    targets = re.search(r'<table class="data" id="targets">(.*?)</table>', r.text, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td><td class="num">(\d+)</td>', targets) == [
        ("1", "20"), ("0", "50"), ("0", "100")]  # fmt: skip
    assert web.get("/evaluation/regions").status_code == 403  # evaluators only

    ev = WebClient(app, "pgeval", lang="en")
    r = ev.get("/evaluation/programmes")
    assert r.status_code == 200 and "SOM leading brand" in r.text and not raw_keys(r.text)
    r = ev.get(f"/evaluation/regions?year={YEAR}")
    assert r.status_code == 200, r.text
    ranking = re.search(r'<table class="data" id="ranking">(.*?)</table>', r.text, re.S).group(1)
    assert ranking.index("Suzhou") < ranking.index("Hangzhou")  # two SOM enterprises on half the area
    assert "Industrial ecosystem" in r.text and 'id="regions-data"' in r.text and not raw_keys(r.text)
    zh = WebClient(app, "pgeval").get(f"/evaluation/regions?year={YEAR}")
    assert "苏州市" in zh.text and "产业生态" in zh.text and "融合程度" in zh.text

    make_user(db, a, Role.customer_user, customer_id=c.id, username="pgcustomer")
    cu = WebClient(app, "pgcustomer")
    assert cu.get("/evaluation/programmes").status_code == 403
    assert cu.get("/evaluation/regions").status_code == 403
