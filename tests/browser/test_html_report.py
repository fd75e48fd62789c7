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
from typing import Any

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


def _click_first_number(page: str, folder: Path, probe: str = _PROBE) -> Any:
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
    probe: Any = json.loads(html.unescape(found.group(1)))
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


# Clicks the first bar or point of each chart in turn, recording what the panel shows.
_EACH_CHART_PROBE = """
<script>
(function(){
  var panel = document.getElementById('panel');
  var found = [];
  document.querySelectorAll('figure.chart').forEach(function(figure){
    var links = figure.querySelectorAll('svg a.fig');
    var bar = links[links.length - 1];
    bar.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
    found.push({
      caption: figure.querySelector('figcaption').textContent,
      links: links.length,
      ref: bar.getAttribute('data-ref'),
      panelHidden: panel.hidden,
      panelRef: panel.getAttribute('data-ref'),
      panelText: document.getElementById('panel-body').textContent
    });
  });
  document.body.setAttribute('data-probe', JSON.stringify(found));
})();
</script>
"""


def test_each_chart_of_the_example_report_links_its_bars_to_their_derivations(
    tmp_path: Path,
) -> None:
    """The example report's three charts: the last bar or point of each, clicked, opens the
    derivation of that very figure (its indicator, its period and its value)."""
    pytest.importorskip("matplotlib")
    from civicledger import Ledger

    example = Path(__file__).resolve().parents[2] / "examples" / "community_2023"
    ledger = Ledger.in_memory()
    ledger.import_jsonl(example / "events.jsonl")
    report = ledger.report(example / "report.toml", year=2023)
    probes = _click_first_number(report.to_html(), tmp_path, _EACH_CHART_PROBE)
    assert isinstance(probes, list)
    entries = {e.ref: e for e in report.figures}
    assert [p["caption"] for p in probes] == [
        "全年各类会议逐月召开次数",
        "全年逐月完成矛盾纠纷调解件数",
        "全年各级检查通过与未通过次数",
    ]
    assert [p["links"] for p in probes] == [36, 12, 6]
    for probe in probes:
        entry = entries[probe["ref"]]
        assert probe["panelHidden"] is False
        assert probe["panelRef"] == probe["ref"]
        text = probe["panelText"]
        assert f"{entry.label}（{entry.indicator}）" in text
        assert f"期间{entry.period}" in text
        assert f"精确值{entry.value} {entry.unit}" in text
    assert [entries[p["ref"]].period for p in probes] == ["2023-12", "2023-12", "2023"]
