"""Renderers: turn a computed Report into Markdown, HTML, JSON, DOCX or XLSX; they never compute."""
