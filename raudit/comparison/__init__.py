"""Champion vs challenger and A/B arms: paired comparisons with a release gate."""
