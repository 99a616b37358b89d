"""JSON Schema of report.json."""
