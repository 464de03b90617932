"""A spoken turn in a real browser: Chromium's fake microphone plays a recorded line into the app."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_browser import WAIT_MS, shot, sign_in
from webtest_support import PASSWORD, LiveApp

pytestmark = pytest.mark.browser

LINE = "How are you handling order exceptions today?"


@pytest.fixture(scope="module")
def spoken_line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rep's line as a 48 kHz mono WAV (what Chromium's fake capture device plays)."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.fail("espeak-ng and sox are needed (apt-get install -y espeak-ng sox)")
    folder = tmp_path_factory.mktemp("mic")
    raw, wav = folder / "raw.wav", folder / "line.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), LINE], check=True)
    subprocess.run(["sox", str(raw), "-r", "48000", "-c", "1", str(wav), "pad", "0.3", "2"], check=True)
    return wav


def test_rep_speaks_a_turn_and_hears_the_buyer(
    browser_type: Any, browser_type_launch_args: dict[str, Any], live_app: LiveApp, spoken_line: Path
) -> None:
    args = [*browser_type_launch_args["args"], "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={spoken_line}"]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
    try:
        context = browser.new_context(base_url=live_app.url, permissions=["microphone"],
                                      viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        sign_in(page, "rita", PASSWORD)
        page.get_by_role("tab", name="Practice").click()  # Home opens first
        page.locator("#start").click()
        page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
        page.locator("#voice").get_by_text("Voice: speak instead of typing").click()
        page.locator("#mic").get_by_role("button", name="Record").click()
        page.wait_for_timeout(4_500)
        page.locator("#mic").get_by_role("button", name="Stop").click()
        heard = page.locator("#heard textarea")
        page.wait_for_function("el => el.value.length > 10", arg=heard.element_handle(), timeout=60_000)
        assert {"handling", "exceptions"} <= set(heard.input_value().lower().replace("?", "").split())
        page.locator('#chat [data-testid="user"]').first.wait_for(timeout=WAIT_MS)
        assert "exceptions" in page.locator('#chat [data-testid="user"]').first.inner_text().lower()
        page.locator('#chat [data-testid="bot"]').nth(1).wait_for(timeout=WAIT_MS)
        page.locator("#buyer-audio audio").first.wait_for(state="attached", timeout=60_000)
        shot(page, "11-voice-turn")
    finally:
        browser.close()
