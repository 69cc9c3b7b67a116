"""Strings from data, never printed here: plan text, JSON and Markdown from one Plan, status,
state listings, and the progress display of ``apply --wait``.
"""
