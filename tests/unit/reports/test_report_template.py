"""Report templates: loading, the placeholder syntax, and errors that name file, line and name."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from civicledger.errors import TemplateError
from civicledger.reports import load_template, load_template_text
from civicledger.reports.sandbox import make_environment
from report_testkit import ONE_SECTION, small_ledger, write_template


def _section_with(text: str) -> str:
    """A one-section template body whose only item's text is on line 10 of the file."""
    return f"""
[[sections]]
key = "work"
heading = "工作"

  [[sections.items]]
  text = '''{text}'''
"""


def _error(tmp_path: Path, body: str) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        load_template(write_template(tmp_path, body))
    return caught.value


def test_short_placeholder_expands_to_a_figure_with_a_phrasing(tmp_path: Path) -> None:
    """``{a.b|spec}`` becomes a sandboxed call to fig() with the phrase filter."""
    template = load_template(write_template(tmp_path, ONE_SECTION))
    sentence = template.sections[0].items[0].text
    assert sentence is not None
    assert 'fig("employment.reemployment_trainees") | phrase("approx:人")' in sentence.source
    assert [name for name, _ in sentence.figures] == [
        "employment.reemployment_sessions",
        "employment.reemployment_trainees",
    ]


def test_template_records_its_digest_and_the_line_of_each_item(tmp_path: Path) -> None:
    """The template's SHA-256 is of the file's bytes and each item knows its line."""
    import hashlib

    path = write_template(tmp_path, ONE_SECTION)
    template = load_template(path)
    assert template.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    lines = path.read_text(encoding="utf-8").splitlines()
    first = template.sections[0].items[0]
    assert lines[first.line - 1].strip() == "[[sections.items]]"
    assert "employment.reemployment_sessions" in lines[first.text.line - 1]  # type: ignore[union-attr]


def test_bad_toml_is_reported_with_its_line(tmp_path: Path) -> None:
    """A TOML syntax error names the file and the line."""
    error = _error(tmp_path, '[[sections]]\nkey = "work\nheading = "x"\n')
    assert error.line == 6
    assert "report.toml:6" in str(error)


def test_unknown_setting_is_refused_with_its_name(tmp_path: Path) -> None:
    """A misspelt item setting is refused, naming it."""
    error = _error(tmp_path, _section_with("x").replace("text =", "txet = 'a'\n  text ="))
    assert error.field is not None
    assert error.field.endswith("txet")
    assert "txet" in str(error)


def test_jinja_syntax_error_names_line_and_item(tmp_path: Path) -> None:
    """An unclosed tag is reported at the item's line with the item's place."""
    error = _error(tmp_path, _section_with("培训{{ fig('a.b') | exact "))
    assert error.line == 10
    assert "work.items[0].text" in str(error)


def test_unknown_filter_is_refused_at_load(tmp_path: Path) -> None:
    """A filter outside the phrasing filters is refused before anything renders."""
    error = _error(tmp_path, _section_with("{{ fig('a.b') | upper }}"))
    assert "upper" in str(error)
    assert error.line == 10


def test_unknown_name_is_refused_at_load(tmp_path: Path) -> None:
    """A name that is not documented is refused and named."""
    error = _error(tmp_path, _section_with("{{ cycler }}"))
    assert error.field == "cycler"
    assert "unknown name 'cycler'" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ fig('a.b')._figure }}",
        "{{ year['__class__'] }}",
        "{% for x in [1] %}{{ x.__class__ }}{% endfor %}",
    ],
)
def test_reaching_for_python_internals_is_refused(tmp_path: Path, text: str) -> None:
    """Attribute or item names starting with '_' are refused with a clear error."""
    error = _error(tmp_path, _section_with(text))
    assert "refused" in str(error)
    assert error.field is not None
    assert error.field.startswith("_")


@pytest.mark.parametrize(
    "text", ["{% include 'x' %}", "{% import 'x' as y %}", "{% macro m() %}{% endmacro %}"]
)
def test_include_import_and_macros_are_refused(tmp_path: Path, text: str) -> None:
    """A sentence cannot pull in other templates or define macros."""
    assert "refused" in str(_error(tmp_path, _section_with(text)))


def test_runtime_sandbox_refuses_internals_even_without_the_static_check() -> None:
    """The environment itself is Jinja's immutable sandbox: internals raise SecurityError."""
    env = make_environment()
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__ }}").render()


def test_unknown_indicator_is_reported_with_file_line_and_name(tmp_path: Path) -> None:
    """Building a report with an indicator the set lacks names the template line and the id."""
    path = write_template(tmp_path, _section_with("共{employment.trainees|exact}人"))
    with pytest.raises(TemplateError) as caught:
        small_ledger().report(path, year=2023)
    assert caught.value.field == "employment.trainees"
    assert caught.value.line == 10
    assert "report.toml:10" in str(caught.value)
    assert "employment.reemployment_trainees" in str(caught.value)  # a hint from the same group


def test_bad_phrasing_spec_is_reported_with_the_line(tmp_path: Path) -> None:
    """A spec the phrasing grammar does not know is refused when the figure is phrased."""
    path = write_template(tmp_path, _section_with("{employment.reemployment_trainees|approx:大约}"))
    with pytest.raises(TemplateError) as caught:
        small_ledger().report(path, year=2023)
    assert caught.value.line == 10
    assert "大约" in str(caught.value)


def test_missing_sections_are_refused() -> None:
    """A template must have at least one section."""
    with pytest.raises(TemplateError, match="no \\[\\[sections\\]\\]"):
        load_template_text('[report]\ntitle = "x"\n', path="t.toml")


def test_missing_file_is_a_template_error(tmp_path: Path) -> None:
    """A template path that does not exist gives a TemplateError naming it."""
    with pytest.raises(TemplateError, match="cannot read"):
        load_template(tmp_path / "nope.toml")


def test_item_lines_follow_nested_tables_in_file_order(tmp_path: Path) -> None:
    """Items of nested sections get the line of their own ``[[…items]]`` header."""
    body = """
    [[sections]]
    key = "a"
    heading = "甲"

      [[sections.sections]]
      key = "a1"
      heading = "甲一"

        [[sections.sections.items]]
        text = "第一句。"

      [[sections.sections]]
      key = "a2"
      heading = "甲二"

        [[sections.sections.items]]
        text = "第二句。"
    """
    path = write_template(tmp_path, body)
    template = load_template(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    second = template.sections[0].sections[1].items[0]
    assert "第二句" in lines[second.line]
