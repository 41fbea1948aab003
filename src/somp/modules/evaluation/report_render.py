"""The enterprise evaluation report as HTML and PDF (framework nodes 1.3.1-1.3.3).

The HTML is one standalone document (``templates/report.html``, labels from the terminology
module in Chinese or English) whose charts Plotly draws from the specs of
:func:`somp.modules.evaluation.reports.charts`. The PDF is that document printed by headless
Chromium (``/usr/bin/chromium``, driven by Playwright's ``page.pdf``): the page is loaded with
:meth:`page.set_content`, its two scripts (the Plotly.js of the ``plotly`` wheel and
``static/evaluation/report.js``) are served from the installed packages by request interception,
every other request is refused (no network), and the printer waits until the charts are drawn.
One Chromium serves the process's reports (:class:`Printer`), each in a new browser context.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from somp.modules.evaluation.reports import badge_svg

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
ORIGIN = "http://somp.report"  # a name only: requests to it are answered from the installed files
PLOTLY_PATH = "/static/plotly/plotly.min.js"
SCRIPT_PATH = "/static/evaluation/report.js"
T = TypeVar("T")


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
        import playwright.sync_api  # noqa: F401
    except ImportError as e:  # pragma: no cover - a dependency of somp
        raise PdfUnavailable("playwright is not installed") from e
    html = document()
    return PRINTER.call(lambda browser: _print(browser, html, timeout_ms, landscape), timeout_ms)


def _serve(route: Any) -> None:
    url = route.request.url
    local = _asset(url[len(ORIGIN) :]) if url.startswith(ORIGIN) else None
    if local is None:
        route.abort()
        return
    route.fulfill(status=200, body=local.read_bytes(), headers={"content-type": "application/javascript"})


def _print(browser: Any, html: str, timeout_ms: int, landscape: bool) -> bytes:
    """One document in a context of its own (nothing kept between reports: cookies, storage)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/*", _serve)
        page.set_content(html, wait_until="load", timeout=timeout_ms)
        page.wait_for_function("window.__reportReady === true", timeout=timeout_ms)
        return page.pdf(format="A4", print_background=True, landscape=landscape,
                        margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})  # fmt: skip
    finally:
        context.close()


class Printer:
    """One headless Chromium per process, kept between reports.

    Starting Chromium was most of the time of a report's PDF (``benchmarks/report_pdf.py``). A
    thread of its own owns Playwright (its sync API is bound to the thread that started it) and
    the browser, and prints one document at a time, each in a new browser context; callers wait
    for their document. A browser that went away (crashed, killed) is started again once for the
    job that found it gone. After ``idle_seconds`` without work the browser and the thread end,
    so an idle server holds no Chromium."""

    def __init__(self, idle_seconds: float = 300.0) -> None:
        self.idle_seconds = idle_seconds
        self.launches = 0  # browsers started, for tests and the benchmark
        self._jobs: queue.SimpleQueue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def call(self, job: Callable[[Any], T], timeout_ms: int = 30_000) -> T:
        """Run ``job(browser)`` in the printer's thread and return its result."""
        fut: Future[Any] = Future()
        with self._lock:
            self._jobs.put((job, fut))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="somp-pdf", daemon=True).start()
        try:  # a job's own waits are bounded by timeout_ms; this bounds the queue and a launch too
            return fut.result(timeout=3 * timeout_ms / 1000 + 30)
        except FutureTimeout:
            fut.cancel()  # not started yet: the printer skips it
            raise PdfUnavailable("the PDF printer did not answer in time") from None

    def stop(self) -> None:
        """End the thread and close the browser once the queued jobs are done."""
        with self._lock:
            if self._running:
                self._jobs.put(None)

    def _run(self) -> None:
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = None
                try:
                    while (item := self._next()) is not None:
                        job, fut = item
                        if not fut.set_running_or_notify_cancel():
                            continue
                        for attempt in (1, 2):
                            try:
                                if browser is None or not browser.is_connected():
                                    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                                    self.launches += 1
                                fut.set_result(job(browser))
                                break
                            except Exception as exc:  # noqa: BLE001 - handed to the caller
                                if attempt == 1 and browser is not None and not browser.is_connected():
                                    continue  # the browser went away under the job: once more on a new one
                                fut.set_exception(exc)
                                break
                finally:
                    if browser is not None and browser.is_connected():
                        browser.close()
        except Exception as exc:  # noqa: BLE001 - Playwright itself failed: fail every waiting job
            with self._lock:
                self._running = False
                while True:
                    try:
                        item = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[1].set_exception(PdfUnavailable(f"Chromium could not be driven: {exc}"))

    def _next(self) -> tuple[Callable[[Any], Any], Future[Any]] | None:
        """The next job; None to stop (asked, or idle with nothing queued)."""
        while True:
            try:
                item = self._jobs.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._running = False
                        return None
                continue
            if item is None:
                with self._lock:
                    if self._jobs.empty():
                        self._running = False
                        return None
                continue  # jobs queued behind the stop: a new thread would start for them anyway
            return item


PRINTER = Printer()
atexit.register(PRINTER.stop)
