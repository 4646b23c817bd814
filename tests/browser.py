"""Headless Chromium driven through the DevTools protocol, to measure a report's layout.

The report holds no script and never will: the measuring script is sent by the test over
``--remote-debugging-pipe`` (JSON messages ending in NUL, read on fd 3, written on fd 4),
so no WebSocket library is needed and no port is opened.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

TIMEOUT = 60  # seconds without a word from Chromium: a page that never loads, a hang


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package")
    return found


class Browser:
    """One headless Chromium with one tab, closed by :meth:`close`."""

    def __init__(self) -> None:
        to_chromium_read, self._to_chromium = os.pipe()
        self._from_chromium, from_chromium_write = os.pipe()

        def as_fds_3_and_4() -> None:  # where --remote-debugging-pipe reads and writes
            os.dup2(to_chromium_read, 3)
            os.dup2(from_chromium_write, 4)

        self.process = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--remote-debugging-pipe", "about:blank"],
            pass_fds=(3, 4), preexec_fn=as_fds_3_and_4,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chromium_read)
        os.close(from_chromium_write)
        self._pending = b""
        self._last_id = 0
        self._events: list[str] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.send("Page.enable", in_tab=True)

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self._pending:
            if not select.select([self._from_chromium], [], [], TIMEOUT)[0]:
                raise TimeoutError(f"chromium said nothing for {TIMEOUT} s")
            chunk = os.read(self._from_chromium, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._pending += chunk
        message, self._pending = self._pending.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, in_tab: bool = False, **params: Any) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if in_tab:
            message["sessionId"] = self._session
        os.write(self._to_chromium, json.dumps(message).encode("utf-8") + b"\0")
        while True:
            reply = self._message()
            if "method" in reply:  # an event that came first: kept for wait_for
                self._events.append(reply["method"])
            elif reply.get("id") == self._last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def open(self, page: Path, width: int, height: int = 800) -> None:
        """The page laid out in a desktop-like window ``width`` CSS pixels wide."""
        self.send("Emulation.setDeviceMetricsOverride", in_tab=True, width=width,
                  height=height, deviceScaleFactor=1, mobile=False)  # fmt: skip
        self._events.clear()
        self.send("Page.navigate", in_tab=True, url=page.resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def click(self, selector: str) -> None:
        """Click the first element ``selector`` finds and wait for the page it opens."""
        self._events.clear()
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click(), true")
        self.wait_for("Page.loadEventFired")

    def wait_for(self, event: str) -> None:
        """Until ``event`` (a DevTools event name) has come, including while waiting for a reply."""
        while event not in self._events:
            message = self._message()
            if "method" in message:
                self._events.append(message["method"])
        self._events.remove(event)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the open page (the test's, not the page's)."""
        reply = self.send("Runtime.evaluate", in_tab=True, expression=expression,
                          returnByValue=True)  # fmt: skip
        if "exceptionDetails" in reply:
            raise RuntimeError(reply["exceptionDetails"])
        return reply["result"]["value"]

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chromium)
        os.close(self._from_chromium)
