"""The report as plain data, its renderers (HTML, PDF, JSON, JUnit, Markdown), SVG charts, the number formatter and the writer."""
