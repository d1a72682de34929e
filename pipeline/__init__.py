"""News ingestion pipeline: files or Pub/Sub in, articles, entities, quotes and errors out as Parquet."""

__version__ = "0.1.0"
