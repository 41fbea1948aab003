"""Requirements-engineering pages (2.1.1) in Chinese and English: the list, a requirement with its
history, the Kano results (published categories of the study guide's tallies) with the data of the
Better-Worse chart, and the coffee-maker house of quality (roof, matrix, SchemaTex's priorities);
no label key shown raw."""

from __future__ import annotations

import json
import re

import pytest

from somp.core.identity import Role
from tests.factories import make_customer, make_offering, make_product, make_tenant, make_user
from tests.pss.requirements_factories import seed_requirements
from tests.web.helpers import WebClient, raw_keys


@pytest.fixture
def seeded(db):
    t = make_tenant(db)
    p = make_product(db, t)
    o = make_offering(db, t, p.id)
    c = make_customer(db, t)
    make_user(db, t, Role.service_manager, username="reqmanager")
    return o.id, seed_requirements(db, t, o.id, c.id)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_requirement_pages_render_in_both_languages(app, db, seeded, lang):
    from somp.web.render import MISSING

    MISSING.clear()
    offering_id, ids = seeded
    web = WebClient(app, "reqmanager", lang=lang)
    urls = [
        "/pss/requirements",
        f"/pss/requirements/{ids['requirement']}",
        f"/pss/requirements/kano/{ids['kano_questionnaire']}",
        f"/pss/requirements/qfd/{offering_id}",
        f"/pss/requirements?offering_id={offering_id}&status=captured",
    ]
    pages = {}
    for url in urls:
        r = web.get(url)
        assert r.status_code == 200, (url, r.text[:500])
        assert not raw_keys(r.text), (url, raw_keys(r.text))
        pages[url] = r.text
    assert not MISSING, sorted(MISSING)
    listing = pages["/pss/requirements"]
    assert "R-QUIET" in listing and ("工单" if lang == "zh" else "Ticket") in listing
    detail = pages[urls[1]]
    assert ("创建" if lang == "zh" else "Created") in detail and "weight" in detail
    kano = pages[urls[2]]
    cats = dict(re.findall(r'data-code="([^"]+)" data-category="([A-Z]?)"', kano))
    assert cats == {"R-QUIET": "O", "R-FAST": "M", "R-ENERGY": "A"}
    data = json.loads(re.search(r'id="kano-data">(.*?)</script>', kano, re.S).group(1))
    pts = {p["label"]: (p["x"], p["y"]) for p in data["points"]}
    assert pts["R-QUIET"] == pytest.approx((19 / 22, 0.5)) and pts["R-FAST"] == pytest.approx((0.7, 0.45))
    house = pages[urls[3]]
    assert re.findall(r'class="num absolute">([\d.]+)<', house) == ["45", "39", "51"]
    assert re.findall(r'class="num rank">(\d)<', house) == ["2", "3", "1"]
    assert house.count('data-corr="-2"') == 1 and "◎" in house
    assert ("风扇转速" if lang == "zh" else "Fan RPM") in house


def test_pages_of_missing_rows_are_404(app, db, seeded):
    web = WebClient(app, "reqmanager")
    for url in ("/pss/requirements/999999", "/pss/requirements/kano/999999", "/pss/requirements/qfd/999999"):
        assert web.get(url).status_code == 404, url
