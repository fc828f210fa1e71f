"""Revision analysis without a database: each revision's op.* calls, which revision made what, and the per-revision rules' context."""
