"""Question sets with hand-written gold SQL, and their scorer (score.py, compare.py)."""
