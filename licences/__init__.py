"""Licences: the buying side of BRIEF §11."""
