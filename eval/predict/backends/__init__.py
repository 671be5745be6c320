"""Backends turn prompts into prediction records, yielded in groups that the runner writes at once.

Each backend has `settings()` (what the sidecar records) and `predict(prompts)`, an iterator of
lists of `{"question_id", "answer", "response"}` records.
"""
