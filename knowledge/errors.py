"""Errors of the knowledge layer that callers catch without importing chromadb (slow)."""


class KnowledgeUnavailable(Exception):
    """The Chroma server cannot be reached; the message names it in one line."""
