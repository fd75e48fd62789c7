"""Report sections: templates, Chinese figure phrasing and renderers."""
