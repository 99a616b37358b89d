"""Mergeable statistics: exact sums, sketches, value and score counts, group counts with the disparity algebra, intervals and tests."""
