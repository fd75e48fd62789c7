"""The HTML report in a real browser: clicking a number shows its derivation.

Runs headless Chromium (Debian's ``chromium`` package, installed by ``.ci/run``)
on the rendered page with a few lines of test script appended: the script clicks
the number and writes what the page then shows into a data attribute, which
``--dump-dom`` prints.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from report_testkit import ONE_SECTION, small_ledger, write_template

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless Chromium not found at /usr/bin/chromium (apt-get install chromium)",
    ),
]

# Clicks the number whose exact value is 283 and records what the page shows then.
_PROBE = """
<script>
(function(){
  var link = document.querySelector('a.fig[data-exact="283"]');
  link.click();
  var panel = document.getElementById('panel');
  var target = document.getElementById(link.getAttribute('data-ref'));
  document.body.setAttribute('data-probe', JSON.stringify({
    ref: link.getAttribute('data-ref'),
    hash: location.hash,
    panelHidden: panel.hidden,
    panelRef: panel.getAttribute('data-ref'),
    panelText: document.getElementById('panel-body').textContent,
    current: target.classList.contains('current'),
    targetVisible: target.getBoundingClientRect().height > 0
  }));
})();
</script>
"""


# Clicks the first bar of the first chart (an SVG link: no click() method, so an event).
_CHART_PROBE = """
<script>
(function(){
  var bar = document.querySelector('figure.chart svg a.fig');
  bar.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
  var panel = document.getElementById('panel');
  document.body.setAttribute('data-probe', JSON.stringify({
    ref: bar.getAttribute('data-ref'),
    bars: document.querySelectorAll('figure.chart svg a.fig').length,
    panelHidden: panel.hidden,
    panelRef: panel.getAttribute('data-ref'),
    panelText: document.getElementById('panel-body').textContent
  }));
})();
</script>
"""


def _click_first_number(page: str, folder: Path, probe: str = _PROBE) -> dict[str, object]:
    path = folder / "report.html"
    path.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    command = [
        str(CHROMIUM),
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={folder / 'profile'}",
        "--dump-dom",
        path.as_uri(),
    ]
    if os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root (CI containers)
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert found, (
        f"chromium printed no probe result (exit {result.returncode}): {result.stderr[-2000:]}"
    )
    probe: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return probe


def test_clicking_a_number_shows_its_derivation(tmp_path: Path) -> None:
    """Clicking 280余人 opens the panel with F2's derivation and moves to its appendix entry."""
    report = small_ledger().report(write_template(tmp_path, ONE_SECTION), year=2023)
    probe = _click_first_number(report.to_html(), tmp_path)
    assert probe["ref"] == "F2"
    assert probe["hash"] == "#F2"
    assert probe["panelHidden"] is False
    assert probe["panelRef"] == "F2"
    assert probe["current"] is True
    assert probe["targetVisible"] is True
    text = str(probe["panelText"])
    assert "再就业培训人数" in text
    assert "283" in text
    for amount in ("70", "71", "72"):
        assert amount in text  # the contributing trainings


def test_clicking_a_bar_of_a_chart_shows_that_figures_derivation(tmp_path: Path) -> None:
    """Each bar of a chart is a link like every number: clicking one opens its derivation."""
    pytest.importorskip("matplotlib")
    chart = ONE_SECTION + (
        '\n  [[sections.items]]\n  kind = "chart"\n  ids = ["employment.reemployment_trainees"]\n'
    )
    report = small_ledger().report(write_template(tmp_path, chart), year=2023)
    probe = _click_first_number(report.to_html(), tmp_path, _CHART_PROBE)
    assert probe["bars"] == 1
    assert probe["panelHidden"] is False
    assert probe["panelRef"] == probe["ref"]
    text = str(probe["panelText"])
    assert "再就业培训人数" in text
    assert "283" in text
