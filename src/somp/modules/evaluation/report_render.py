"""The enterprise evaluation report as HTML and PDF (framework nodes 1.3.1-1.3.3).

The HTML is one standalone document (``templates/report.html``, labels from the terminology
module in Chinese or English) whose charts Plotly draws from the specs of
:func:`somp.modules.evaluation.reports.charts`. The PDF is that document printed by headless
Chromium (``/usr/bin/chromium``, driven by Playwright's ``page.pdf``): the page is loaded with
:meth:`page.set_content`, its two scripts (the Plotly.js of the ``plotly`` wheel and
``static/evaluation/report.js``) are served from the installed packages by request interception,
every other request is refused (no network), and the printer waits until the charts are drawn.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from somp.modules.evaluation.reports import badge_svg

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
ORIGIN = "http://somp.report"  # a name only: requests to it are answered from the installed files
PLOTLY_PATH = "/static/plotly/plotly.min.js"
SCRIPT_PATH = "/static/evaluation/report.js"


class PdfUnavailable(RuntimeError):
    """Chromium or Playwright is not installed here."""


def fmt_num(x: Any) -> str:
    """A number as people write it: integers without decimals, others to 6 significant digits."""
    if x is None or x == "":
        return ""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,}" if isinstance(x, int) else f"{x:,.6g}"


def json_script(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` element (``<``, ``>``, ``&`` escaped)."""
    import orjson

    raw = orjson.dumps(data, default=str).decode()
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                   ("\u2029", "\\u2029")):  # fmt: skip
        raw = raw.replace(c, esc)
    return Markup(raw)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("somp.modules.evaluation", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]))  # fmt: skip
    env.filters["num"] = fmt_num
    return env


def labels(lang: str):  # noqa: ANN201
    """The label functions ``t`` (a key) and ``e`` (an enum value) of the terminology module (1.1)."""
    from somp.modules.terminology.service import enum_label, label

    def t(key: str, **params: Any) -> str:
        text = label(key, lang)  # type: ignore[arg-type]
        return text.format(**params) if params else text

    def e(prefix: str, value: Any) -> str:
        return "" if value in (None, "") else enum_label(prefix, str(getattr(value, "value", value)), lang)  # type: ignore[arg-type]

    return t, e


def render_html(data: dict[str, Any], *, asset_base: str = "") -> str:
    """The report document; scripts load from ``asset_base`` + /static/... ("" on the somp server)."""
    t, e = labels(data["lang"])
    ev = data["evaluation"]
    return _env().get_template("report.html").render(
        r=data, lang=data["lang"], t=t, e=e, charts_json=json_script(data["charts"]),
        badge=Markup(badge_svg(ev["level"], ev["level_name"], ev["score"], data["lang"])),
        plotly_src=asset_base + PLOTLY_PATH, script_src=asset_base + SCRIPT_PATH,
    )  # fmt: skip


def _asset(path: str) -> Path | None:
    if path == PLOTLY_PATH:
        return Path(str(files("plotly") / "package_data" / "plotly.min.js"))
    if path == SCRIPT_PATH:
        return Path(str(files("somp.web") / "static" / "evaluation" / "report.js"))
    return None


def render_pdf(data: dict[str, Any], *, timeout_ms: int = 30_000) -> bytes:
    """The report printed to A4 PDF by headless Chromium, after its charts are drawn."""
    return print_pdf(lambda: render_html(data, asset_base=ORIGIN), timeout_ms=timeout_ms)


def render_region_html(data: dict[str, Any], *, asset_base: str = "") -> str:
    """The region report (1.3.4, :mod:`.region_report`) as one document, drawn like the enterprise report."""
    t, e = labels(data["lang"])
    return _env().get_template("region_report.html").render(
        r=data, lang=data["lang"], t=t, e=e, charts_json=json_script(data["charts"]),
        plotly_src=asset_base + PLOTLY_PATH, script_src=asset_base + SCRIPT_PATH,
    )  # fmt: skip


def render_region_pdf(data: dict[str, Any], *, timeout_ms: int = 30_000) -> bytes:
    """The region report printed to A4 landscape PDF by headless Chromium, after its charts are drawn."""
    return print_pdf(lambda: render_region_html(data, asset_base=ORIGIN), timeout_ms=timeout_ms, landscape=True)


def print_pdf(document: Any, *, timeout_ms: int = 30_000, landscape: bool = False) -> bytes:
    """Print the HTML ``document()`` gives with headless Chromium (scripts served from the installed
    packages, every other request refused), once ``window.__reportReady`` is true."""
    if not Path(CHROMIUM).exists():
        raise PdfUnavailable(f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:  # pragma: no cover - a dependency of somp
        raise PdfUnavailable("playwright is not installed") from e
    html = document()

    def serve(route: Any) -> None:
        url = route.request.url
        local = _asset(url[len(ORIGIN) :]) if url.startswith(ORIGIN) else None
        if local is None:
            route.abort()
            return
        ctype = "application/javascript"
        route.fulfill(status=200, body=local.read_bytes(), headers={"content-type": ctype})

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", serve)
            page.set_content(html, wait_until="load", timeout=timeout_ms)
            page.wait_for_function("window.__reportReady === true", timeout=timeout_ms)
            return page.pdf(format="A4", print_background=True, landscape=landscape,
                            margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})  # fmt: skip
        finally:
            browser.close()
