"""Report sections: templates, Chinese figure phrasing and renderers.

Contract: :func:`load_template`, ``ledger.report(template, year=, as_of=)`` (which
calls :func:`report_from_ledger`), the ``Report.to_*`` renderers and
:func:`verify_report`; over a set of ledgers ``ledger_set.report(...)`` and
:func:`verify_set_report`. See ``docs/reports.md`` and ``docs/rollups.md``.
"""

from civicledger.reports.build import ReportInputs, build_report
from civicledger.reports.gather import report_from_ledger
from civicledger.reports.model import FigureEntry, Item, Num, Report, SealInfo, Section, Table, Text
from civicledger.reports.template import Template, load_template, load_template_text
from civicledger.reports.verify import ReportCheck, verify_report
from civicledger.reports.verify_set import verify_set_report

__all__ = [
    "FigureEntry",
    "Item",
    "Num",
    "Report",
    "ReportCheck",
    "ReportInputs",
    "SealInfo",
    "Section",
    "Table",
    "Template",
    "Text",
    "build_report",
    "load_template",
    "load_template_text",
    "report_from_ledger",
    "verify_report",
    "verify_set_report",
]
