"""The exact allow-list unpickler and the review of what it builds."""
