"""Jinja2 templates and CSS of the raudit report (shipped as ``raudit.templates``)."""
