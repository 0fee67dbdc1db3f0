"""Prefect flows that wire the library's batch stages into tasks.

- ``ingest``: the ingest flow and its batch tasks
- ``cache``: the content-keyed read cache that outlives a crashed run
- ``pool``: the process pool CPU-bound stages run in on the thread runner
- ``runners``: thread or Dask task runners
- ``retries``: retry transient I/O errors only
- ``report``: the run report as Prefect artifacts
- ``serve``: ``python -m flows.serve``, a long-running process that runs ingest on a cron
- ``environment``: the Prefect settings every entry point applies before it loads the flow
"""
