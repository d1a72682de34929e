"""The report in a real browser: headless Chromium (Debian's `chromium` package, which .ci/run installs),
driven over the DevTools protocol. No console errors, the speaker table, the charts and the article view are
there and work, a hostile article stays text, and the page fits a phone's width. Screenshots land in the
test's temporary folder."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pipeline import report
from tests.report_fixtures import HOSTILE_IMG, HOSTILE_SCRIPT, sample_output

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless-Chromium test skipped: no `chromium` on PATH (Debian: apt-get install -y chromium; .ci/run "
           "installs it)")


class Browser:
    """Just enough of the Chrome DevTools protocol: commands, and the events that arrive meanwhile."""

    def __init__(self, profile: Path):
        from websockets.sync.client import connect

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            target = next(t for t in json.load(resp) if t["type"] == "page")
        self.ws = connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        call = next(self.ids)
        self.ws.send(json.dumps({"id": call, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == call:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        seen = len(self.events)
        deadline = time.monotonic() + timeout
        while not any(e["method"] == event for e in self.events[seen:]):
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if "method" in message:
                self.events.append(message)

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, width: int, height: int, mobile: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=mobile)
        self.send("Page.navigate", url="about:blank")  # so that a URL differing only by its #fragment loads anew
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", **params)["data"]))

    def console_errors(self) -> list[str]:
        errors = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                details = p["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                errors.append(f"{p['entry'].get('source')}: {p['entry']['text']}")
        return errors

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    try:
        for domain in ("Page", "Runtime", "Log"):
            b.send(f"{domain}.enable")
        yield b
    finally:
        b.close()


def test_report_in_headless_chromium(tmp_path, browser):
    html = tmp_path / "report.html"
    report.build_report(str(sample_output(tmp_path / "out")), str(html))
    url = html.resolve().as_uri()

    browser.open(url, 1280, 900)
    page = browser.js("""(() => {
        const visible = el => !!el && el.getClientRects().length > 0;
        return {
          speakerRows: document.querySelectorAll('#speaker-table tbody tr').length,
          speakerBars: document.querySelectorAll('#speaker-chart rect').length,
          timelineBars: document.querySelectorAll('#timeline-chart rect').length,
          articlesChart: visible(document.querySelector('#articles-chart')),
          entityCharts: document.querySelectorAll('svg[id^="entities-"]').length,
          chartsVisible: [...document.querySelectorAll('svg.chart')].every(visible),
          listItems: document.querySelectorAll('#article-list li').length,
          viewer: visible(document.querySelector('#article-view')),
          placeholder: visible(document.querySelector('#article-view .placeholder')),
          pwned: window.__pwned === undefined ? null : window.__pwned,
          imgs: document.images.length,
        };
    })()""")
    assert page == {"speakerRows": 3, "speakerBars": 3, "timelineBars": 3, "articlesChart": True, "entityCharts": 4,
                    "chartsVisible": True, "listItems": 4, "viewer": True, "placeholder": True, "pwned": None,
                    "imgs": 0}
    browser.screenshot(tmp_path / "report-desktop.png")

    # Search the list, open the hostile article through its link, and read it back as text.
    shown = browser.js("""(() => {
        const input = document.querySelector('#article-search');
        input.value = 'lovelace'; input.dispatchEvent(new Event('input'));
        const shown = [...document.querySelectorAll('#article-list li')].filter(li => !li.hidden);
        shown[0].querySelector('a').click();
        return {n: shown.length, count: document.querySelector('#article-count').textContent};
    })()""")
    assert shown == {"n": 1, "count": "1 of 4 shown"}
    doc = browser.js("""(() => {
        const doc = document.querySelector(location.hash);
        return {hash: location.hash, visible: doc.getClientRects().length > 0,
                placeholder: document.querySelector('#article-view .placeholder').getClientRects().length > 0,
                current: document.querySelector('#article-list li.current a').textContent,
                text: doc.querySelector('.body').textContent,
                quotes: doc.querySelectorAll('.body .q').length, ents: doc.querySelectorAll('.body mark.ent').length};
    })()""")
    assert doc["visible"] and not doc["placeholder"] and doc["current"].startswith("Hostile")
    assert HOSTILE_SCRIPT in doc["text"] and HOSTILE_IMG in doc["text"]
    assert doc["quotes"] == 2 and doc["ents"] == 3
    assert browser.js("window.__pwned === undefined && document.images.length === 0")
    browser.screenshot(tmp_path / "report-article.png", full_page=False)

    # A phone: nothing wider than the screen, the article list above the text.
    browser.open(url + "#a-0", 390, 844, mobile=True)
    phone = browser.js("""(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        stacked: document.querySelector('#article-list').getBoundingClientRect().bottom
                 <= document.querySelector('#a-0').getBoundingClientRect().top,
    }))()""")
    assert phone["overflow"] <= 0 and phone["stacked"]
    browser.screenshot(tmp_path / "report-phone.png")

    assert browser.console_errors() == []
    for name in ("report-desktop.png", "report-article.png", "report-phone.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5_000, name
    print(f"screenshots: {tmp_path}")


def test_console_errors_are_caught(tmp_path, browser):
    """The check above would see a broken page: a script error and a blocked network load both show up."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
                    "script-src 'unsafe-inline'\"><img src='https://cdn.example/x.png'>"
                    "<script>undefinedFunction()</script>", encoding="utf-8")
    browser.open(page.resolve().as_uri(), 800, 600)
    time.sleep(0.3)
    browser.send("Runtime.evaluate", expression="1")  # collects events that arrived meanwhile
    errors = browser.console_errors()
    assert any("undefinedFunction" in e for e in errors), errors
    assert any("cdn.example" in e or "Content Security Policy" in e for e in errors), errors

