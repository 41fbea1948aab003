"""The process's PDF printer: one Chromium kept between reports, started again when it went away,
closed when idle; a failing document does not stop the next one."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from somp.modules.evaluation.report_render import CHROMIUM, Printer, _print

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

READY = "<script>window.__reportReady = true</script>"


def document(text: str) -> str:
    return f"<!doctype html><html><body><h1>{text}</h1>{READY}</body></html>"


def text_of(pdf: bytes) -> str:
    from pypdf import PdfReader

    assert pdf.startswith(b"%PDF-")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def printed(printer: Printer, html: str, timeout_ms: int = 15_000) -> bytes:
    return printer.call(lambda browser: _print(browser, html, timeout_ms, False), timeout_ms)


@pytest.fixture
def printer():
    p = Printer()
    yield p
    p.stop()


def test_one_browser_prints_document_after_document(printer):
    assert "first report" in text_of(printed(printer, document("first report")))
    assert "second report" in text_of(printed(printer, document("second report")))
    assert printer.launches == 1


def test_a_browser_that_went_away_is_started_again(printer):
    printed(printer, document("before"))
    printer.call(lambda browser: browser.close())  # as if Chromium had crashed or been killed
    assert "after" in text_of(printed(printer, document("after")))
    assert printer.launches == 2


def test_a_document_that_never_gets_ready_fails_alone(printer):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with pytest.raises(PlaywrightTimeout):
        printed(printer, "<html><body>never ready</body></html>", timeout_ms=300)
    assert "next one" in text_of(printed(printer, document("next one")))
    assert printer.launches == 1


def test_concurrent_callers_each_get_their_own_document(printer):
    out: dict[int, str] = {}

    def one(k: int) -> None:
        out[k] = text_of(printed(printer, document(f"report {k}")))

    threads = [threading.Thread(target=one, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {k: f"report {k}" in v for k, v in out.items()} == {0: True, 1: True, 2: True}
    assert printer.launches == 1


def test_an_idle_printer_closes_its_browser_and_starts_one_when_needed():
    printer = Printer(idle_seconds=0.2)
    try:
        printed(printer, document("one"))
        deadline = time.monotonic() + 10
        while printer._running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not printer._running  # the thread ended, closing the browser
        assert "two" in text_of(printed(printer, document("two")))
        assert printer.launches == 2
    finally:
        printer.stop()
