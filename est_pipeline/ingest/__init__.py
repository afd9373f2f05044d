"""Informationsinsamling: reading partner files from the landing folder into ``raw``.

One module per feed holds that feed's contract (columns, formats, quirks); the shared
modules read files (``readers``), match headings (``headers``), type values
(``convert``), keep the file registry and archive (``registry``), record bad rows
(``quarantine``) and run it all (``loader``).
"""
