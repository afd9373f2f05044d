"""The one error type for panels that cannot be estimated.

A separate class so that the asset and the tests can tell "your data cannot answer this"
(a message for the analyst) from a programming error (a traceback for us).
"""

from __future__ import annotations


class PanelError(ValueError):
    """The panel is unusable as given; the message names the table, the row and the problem."""
