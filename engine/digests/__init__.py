"""Scheduled digests and alerts: saved questions posted to channels on a schedule.

A digest is a stored record (``model.Digest``): its owner, the question with its frozen semantic
query, where it posts, a schedule (cron + IANA time zone), a condition and its state. The
scheduler (local loop or EventBridge Scheduler) only enqueues ``DigestJob``s; the worker runs each
as the owner, re-resolved every time (``runner.DigestRunner``).
"""
