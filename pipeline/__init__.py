"""vanban: OCR cleanup and document intelligence for Vietnamese official documents."""

__version__ = "0.1.0"
