"""One module per schema revision, in order: 0001 (entries, keys, head), 0002 (webhooks, deliveries)."""
