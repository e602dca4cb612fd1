"""The one FEEL runtime error: what the spec answers with null, carrying the message for the trace.

Defined apart from values.py so that the modules values.py builds on can raise it too.
"""

from __future__ import annotations


class FeelRuntimeError(Exception):
    """A FEEL evaluation problem the spec answers with null: the message goes into the trace."""
