"""``somp customization``: check a model file, import it, export it, configure from a JSON of
choices (stored model and offline), all printing JSON."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from somp.cli import app
from tests.customization.factories import MODEL_FILE, model_text

runner = CliRunner()


def _json(result) -> dict:
    assert result.output.strip(), result.output
    return json.loads(result.output)


def test_check_and_offline_configure(tmp_path):
    r = runner.invoke(app, ["customization", "check", str(MODEL_FILE)])
    assert r.exit_code == 0, r.output
    out = _json(r)
    assert out["status"] == "ok" and out["options"] == 14 and out["rules"] == 6 and out["warnings"] == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(model_text().replace("others: [m37]", "others: [m38]"), encoding="utf-8")
    r = runner.invoke(app, ["customization", "check", str(bad)])
    assert r.exit_code == 1 and _json(r)["problems"][0]["path"] == "rules.3.others.0"
    choices = tmp_path / "choices.json"
    choices.write_text(json.dumps({"m37": True, "desiccant": True}), encoding="utf-8")
    r = runner.invoke(app, ["customization", "configure", str(choices), "--model", str(MODEL_FILE)])
    assert r.exit_code == 0, r.output
    out = _json(r)
    assert out["status"] == "conflict"
    assert [i["code"] for i in out["conflict"]["items"]] == ["small_desiccant", "m37", "desiccant"]


@pytest.fixture
def stored(tmp_path):
    from somp.core import migrate
    from somp.core.database import Database
    from tests.factories import make_offering, make_product, make_tenant

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database(url)
    migrate.upgrade(db.engine)
    t = make_tenant(db, name="澄风压缩机")
    p = make_product(db, t, code="CF-75A")
    for code in ("CF-37A", "CF-55V"):
        make_product(db, t, code=code)
    make_offering(db, t, p.id, code="OF-SALE-24")
    db.dispose()
    return url, str(t.id)


def test_import_configure_and_export_a_stored_model(stored, tmp_path):
    url, tenant = stored
    args = ["--tenant", tenant, "--database-url", url]
    r = runner.invoke(app, ["customization", "import", str(MODEL_FILE), *args])
    assert r.exit_code == 0, r.output
    assert _json(r)["status"] == "stored" and _json(r)["model_version"] == 1
    r = runner.invoke(app, ["customization", "import", str(MODEL_FILE), *args])
    assert _json(r)["status"] == "unchanged"
    choices = tmp_path / "c.json"
    choices.write_text(json.dumps({"choices": {"m75": True}, "requirements": {"air_flow": {"low": 13}}}), "utf-8")
    r = runner.invoke(app, ["customization", "configure", str(choices), "--code", "CF-C2M", *args])
    assert r.exit_code == 0, r.output
    out = _json(r)
    assert out["status"] == "ok" and out["completion"]["total"] == "219000.00" and out["model_version"] == 1
    out_file = tmp_path / "out.yaml"
    r = runner.invoke(app, ["customization", "export", "CF-C2M", *args, "-o", str(out_file)])
    assert r.exit_code == 0, r.output
    assert "offering: OF-SALE-24" in out_file.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(model_text().replace("k: 1", "k: 5"), encoding="utf-8")
    r = runner.invoke(app, ["customization", "import", str(bad), *args])
    assert r.exit_code == 1 and _json(r)["errors"][0]["field"] == "document.rules.5.k"
