"""Onboarding a municipality: from the files it has to a running pipeline.

``python -m est_pipeline.onboarding check`` (``make onboard``) reads the landing folder
before anything is ingested and says which reference files are there, which are missing,
what is inconsistent between them, and which first partition the data suggests; it can
write templates to fill in and the settings file. One module per concern: ``reading``
(files, with the ingest's own parsers), ``check`` (the rules), ``findings`` (the codes),
``period`` (first partition and analysis period), ``templates``, ``report`` (the text),
``cli``.
"""
