"""article-pipeline: strip boilerplate from news articles and write clean, deduplicated Parquet."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("article-pipeline")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
