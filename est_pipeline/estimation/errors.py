"""The one error type for panels that cannot be estimated.

A separate class so that the asset and the tests can tell "your data cannot answer this"
(a message for the analyst) from a programming error (a traceback for us).
"""

from __future__ import annotations


class PanelError(ValueError):
    """The panel is unusable as given; the message names the table, the row and the problem."""


class NothingToEstimate(PanelError):
    """The panel is fine, but no intervention type can be estimated on it (none registered,
    none active in the period, or none identifiable): a legitimate state of a municipality's
    data, recorded as a note, never a failed run."""
