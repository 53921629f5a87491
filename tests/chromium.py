"""Headless Chromium for the tests: the DOM after load, or a page driven over DevTools.

One helper for every test that opens a report in a real browser (the escaping test, the
report check). It uses the Debian ``chromium`` package only, with a fresh profile and no
network features (no Playwright download is possible here). Two ways in:

* :func:`dump_dom` — ``chromium --dump-dom``: the DOM after scripts and load, as text;
* :class:`Browser` — Chromium with ``--remote-debugging-port`` and a small client for the
  DevTools protocol over its websocket (``websocket-client``, already a dependency of the
  Jupyter server): navigate, evaluate JavaScript, record every network request and every
  console or log error, take a full-page screenshot.

Tests get it through the ``chromium`` fixture of ``tests/notebooks/conftest.py``, which
skips with a clear reason when no Chromium is installed.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

#: The browser, or None when it is not installed (the tests then skip, saying so).
CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p),
    None,
)
MISSING = "Chromium is not installed (.ci/run installs Debian's chromium)"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def dump_dom(page: Path, *, timeout: float = 120) -> str:
    """The page's DOM after load (``--dump-dom``)."""
    assert CHROMIUM is not None, MISSING
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--virtual-time-budget=3000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Browser:
    """Chromium driven over the DevTools protocol; use as a context manager.

    Every page opened records ``requests`` (URLs) and ``errors`` (console errors,
    uncaught exceptions and browser log errors such as a blocked resource or a
    Content-Security-Policy violation).
    """

    def __init__(self, *, width: int = 1280, height: int = 900, timeout: float = 60) -> None:
        assert CHROMIUM is not None, MISSING
        self.width, self.height, self.timeout = width, height, timeout
        self._profile = tempfile.TemporaryDirectory()
        self._process = subprocess.Popen(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or self._process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        import websocket  # websocket-client

        self._ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=timeout, suppress_origin=True
        )
        self._id = 0
        self.session: str | None = None
        self.requests: list[str] = []
        self.errors: list[str] = []
        self._events: list[dict[str, Any]] = []

    # -- protocol -------------------------------------------------------------------
    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True
    ) -> Any:
        """Send one command and return its result (events meanwhile are recorded)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session is not None:
            message["sessionId"] = self.session
        self._ws.send(json.dumps(message))
        while True:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._record(reply)

    def _record(self, event: dict[str, Any]) -> None:
        method, params = event.get("method", ""), event.get("params", {})
        self._events.append(event)
        if method == "Network.requestWillBeSent":
            self.requests.append(str(params["request"]["url"]))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(
                " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
                )
            )
        elif method == "Runtime.exceptionThrown":
            self.errors.append(str(params["exceptionDetails"].get("text", "exception")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(str(params["entry"].get("text", "")))

    def wait_for(self, method: str) -> dict[str, Any]:
        """Read events until ``method`` arrives (recording the others)."""
        for event in self._events:
            if event.get("method") == method:
                self._events.remove(event)
                return event
        while True:
            event = json.loads(self._ws.recv())
            self._record(event)
            if event.get("method") == method:
                self._events.remove(event)
                return event

    # -- pages ----------------------------------------------------------------------
    def open(self, page: Path) -> None:
        """Open a file in a fresh tab and wait for its load event."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self.session = attached["sessionId"]
        self.requests.clear()
        self.errors.clear()
        self._events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": page.as_uri()})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (the viewport stretched to the page's height)."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": self.width,
                "height": min(height, 16000),
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            ws.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
