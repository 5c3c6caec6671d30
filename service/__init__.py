"""wirefeed: wire-feed ingestion that normalises, deduplicates and tags news articles."""

__version__ = "0.1.0"
