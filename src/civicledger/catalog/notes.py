"""Free text owned by a person: the qualitative sentences a report needs."""

from __future__ import annotations

from civicledger.events import Event, event, field

SECTION_KEYS: dict[str, str] = {
    "party_building": "基层党建工作责任制",
    "five_star_branch": "五星支部创建",
    "governance": "综合治理",
    "civil_affairs": "民政低保、劳动保障、计划生育、老龄",
    "social_affairs": "其他社会性事务",
    "problems": "存在问题",
    "outlook": "下一步打算",
}
"""Suggested section keys (a dotted suffix narrows them: ``"civil_affairs.family_planning"``).

Templates may use keys of their own; these are the ones the example ledger uses.
"""


@event("narrative_note_recorded", version=1)
class NarrativeNoteRecorded(Event):
    """Record a statement a report needs that no figure can produce, owned by its author.

    For example how a working mechanism operates, or what residents said about a change.

    A later note with the same ``section`` and ``key`` supersedes the earlier one.

    Attributes:
        section: the report section the note belongs to (see ``SECTION_KEYS``).
        key: identifies the note within its section, so it can be superseded.
        text: the statement itself.
        author: who wrote it and answers for it.
    """

    section: str
    key: str
    text: str = field(multiline=True)
    author: str = field(personal=True)
