"""Benchmark: a Kano answer upload and its analysis (module ``pss``, framework node 2.1.1).

Seed (a fresh SQLite file, migrated): one tenant, an offering, ``--requirements`` requirements and a
questionnaire asking all of them. Timed, through the HTTP API (FastAPI TestClient, the same
validation and storage as a real request): the upload of one CSV with ``--respondents`` answers per
requirement (parsed, validated whole, stored in one multi-row insert, committed), then the results
(every answer read back and classified by ``kano.analyse``). Checked: the stored count and that the
category counts add up to the respondents.

    .venv/bin/python benchmarks/pss_kano_upload.py                       # 20 x 1,000 = 20,000 rows
    .venv/bin/python benchmarks/pss_kano_upload.py --requirements 5 --respondents 200
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

ANSWERS = ("like", "expect", "neutral", "live_with", "dislike")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requirements", type=int, default=20)
    ap.add_argument("--respondents", type=int, default=1000)
    args = ap.parse_args()

    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient
    from tests.factories import make_offering, make_product, make_tenant, make_user, token_for

    from somp.api.app import create_app
    from somp.core import migrate, security
    from somp.core.config import Settings
    from somp.core.database import Database
    from somp.core.identity import Role

    security._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    folder = Path(tempfile.mkdtemp(prefix="somp-kano-"))
    db = Database(f"sqlite:///{folder / 'somp.db'}")
    migrate.upgrade(db.engine)
    t = make_tenant(db)
    o = make_offering(db, t, make_product(db, t).id)
    admin = make_user(db, t, Role.tenant_admin)
    app = create_app(Settings(data_dir=folder, secret_key="bench"), db=db, dispatch_events=False)
    api = TestClient(app)
    api.headers["Authorization"] = f"Bearer {token_for(db, admin)}"
    base = "/api/v1/pss/requirements"
    ids = []
    for i in range(args.requirements):
        r = api.post(
            base, json={"code": f"R{i:03d}", "title": f"需求{i}", "offering_id": o.id, "source_kind": "survey"}
        )
        ids.append(r.json()["id"])
    qn = api.post(
        f"{base}/kano-questionnaires",
        json={"code": "KQ", "title": "bench", "offering_id": o.id, "questions": [{"requirement_id": i} for i in ids]},
    ).json()
    rnd = random.Random(5)
    lines = ["respondent,requirement,functional,dysfunctional"]
    for p in range(args.respondents):
        for i in range(args.requirements):
            lines.append(f"p{p},R{i:03d},{rnd.choice(ANSWERS)},{rnd.choice(ANSWERS)}")
    data = ("\n".join(lines) + "\n").encode()
    n = args.requirements * args.respondents
    t0 = time.perf_counter()
    r = api.post(f"{base}/kano-questionnaires/{qn['id']}/answers/upload", files={"file": ("a.csv", data)})
    upload = time.perf_counter() - t0
    assert r.status_code == 201 and r.json()["stored"] == n, r.text
    t0 = time.perf_counter()
    res = api.get(f"{base}/kano-questionnaires/{qn['id']}/results").json()
    results = time.perf_counter() - t0
    assert all(sum(x["counts"].values()) == args.respondents for x in res["requirements"])
    print("| answer rows | upload (parse, validate, store, commit) | rows/s | results (read + analyse) |")
    print("| --- | --- | --- | --- |")
    print(f"| {n:,} ({len(data) / 1e6:.1f} MB CSV) | {upload:.2f} s | {n / upload:,.0f} | {results:.2f} s |")
    db.dispose()


if __name__ == "__main__":
    main()
