"""Benchmark: printing evaluation reports to PDF (framework nodes 1.3.1-1.3.4).

The document: the reports' own page furniture: the Plotly.js of the plotly wheel and
``static/evaluation/report.js`` served by the printer's request interception, drawing six charts
of the kinds the enterprise report has (a radar of 6 dimensions, 24 indicator bars coloured by
source, a stacked and a grouped chart of 10 years, two more bar charts), then A4 printing. Each
document carries its own title, so no two are the same.

* **baseline, Chromium per document**: what ``report_render.print_pdf`` did before this change:
  start Playwright and Chromium, print, close, for every document.
* **somp printer**: ``report_render.Printer``, one Chromium kept by the process, a new browser
  context per document. Its first document includes the start of Chromium; the steady state is
  the median of the others.

Seconds per document, medians of ``--runs`` runs of ``--documents`` documents printed one after
the other. Prints a table and writes ``benchmarks/results/report_pdf.json``.

    .venv/bin/python benchmarks/report_pdf.py
    .venv/bin/python benchmarks/report_pdf.py --documents 5 --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "report_pdf.json"


def document(k: int) -> str:
    from somp.modules.evaluation.report_render import ORIGIN, PLOTLY_PATH, SCRIPT_PATH, json_script

    years = [str(2015 + i) for i in range(10)]
    codes = [f"SO{i // 4 + 1}.{i % 4 + 1}" for i in range(24)]
    charts = [
        {"id": "radar", "kind": "radar", "labels": ["战略", "能力", "业务", "效益", "创新", "可持续"],
         "values": [62, 71, 55, 80, 47, 66]},
        {"id": "indicators", "kind": "bar", "labels": codes, "values": [(i * 37) % 100 for i in range(24)],
         "groups": [("computed", "questionnaire", "uploaded", "missing")[i % 4] for i in range(24)]},
        {"id": "stacked", "kind": "stacked", "labels": years,
         "series": [{"name": n, "values": [(i + j) * 3.5 for i in range(10)]} for j, n in enumerate("ABC")],
         "markers": {"name": "index", "values": [50 + i for i in range(10)]}},
        {"id": "grouped", "kind": "grouped", "labels": years,
         "series": [{"name": n, "values": [(i * j) % 17 for i in range(10)]} for j, n in enumerate("XY", 1)]},
        {"id": "inputs", "kind": "bar", "labels": years, "values": [i * 1.7 for i in range(10)]},
        {"id": "carbon", "kind": "bar", "labels": ["范围一", "范围二", "范围三"], "values": [120.5, 536.6, 88.0]},
    ]  # fmt: skip
    figures = "".join(f'<figure><div id="chart-{c["id"]}" style="height:300px"></div></figure>' for c in charts)
    return (
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>报告 {k}</title></head><body>'
        f"<h1>服务型制造企业评价报告 {k}</h1>{figures}"
        f'<script type="application/json" id="report-charts">{json_script(charts)}</script>'
        f'<script src="{ORIGIN}{PLOTLY_PATH}"></script><script src="{ORIGIN}{SCRIPT_PATH}"></script>'
        "</body></html>"
    )


def per_document_launch(html: str) -> bytes:
    """The previous print_pdf: Playwright and Chromium started and closed for one document."""
    from playwright.sync_api import sync_playwright

    from somp.modules.evaluation.report_render import CHROMIUM, CHROMIUM_ARGS, _print

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return _print(browser, html, 30_000, False)
        finally:
            browser.close()


def run_baseline(n: int, offset: int) -> list[float]:
    out = []
    for k in range(n):
        html = document(offset + k)
        t = time.perf_counter()
        pdf = per_document_launch(html)
        out.append(time.perf_counter() - t)
        assert pdf.startswith(b"%PDF-")
    return out


def run_printer(n: int, offset: int) -> tuple[list[float], int]:
    from somp.modules.evaluation.report_render import Printer, _print

    printer = Printer()
    out = []
    try:
        for k in range(n):
            html = document(offset + k)
            t = time.perf_counter()
            pdf = printer.call(lambda browser, html=html: _print(browser, html, 30_000, False))
            out.append(time.perf_counter() - t)
            assert pdf.startswith(b"%PDF-")
    finally:
        printer.stop()
    return out, printer.launches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--documents", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    runs = []
    for r in range(args.runs):
        base = run_baseline(args.documents, 1000 * r)
        kept, launches = run_printer(args.documents, 1000 * r + 500)
        runs.append({"baseline": base, "printer": kept, "launches": launches})
        print(f"run {r + 1}/{args.runs}: per-document launch median {statistics.median(base):.3f} s; "
              f"printer first {kept[0]:.3f} s, then median {statistics.median(kept[1:]):.3f} s "
              f"({launches} launch)", flush=True)  # fmt: skip
    base_med = statistics.median(statistics.median(r["baseline"]) for r in runs)
    first_med = statistics.median(r["printer"][0] for r in runs)
    steady_med = statistics.median(statistics.median(r["printer"][1:]) for r in runs)
    rows = [
        ("baseline: Chromium started per document", base_med, ""),
        ("somp printer, first document (starts Chromium)", first_med, f"{base_med / first_med:.2f}x"),
        ("somp printer, each further document", steady_med, f"{base_med / steady_med:.2f}x"),
    ]
    print(f"\n{'path':<52}{'s per document':>16}{'speed-up':>10}")
    for name, v, ratio in rows:
        print(f"{name:<52}{v:>16.3f}{ratio:>10}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "report_pdf", "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "args": vars(args), "load_average_1m": os.getloadavg()[0], "runs": runs,
        "medians": {"baseline_per_document": base_med, "printer_first": first_med, "printer_steady": steady_med},
    }, indent=2))  # fmt: skip
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
