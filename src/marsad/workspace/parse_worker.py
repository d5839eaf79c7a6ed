"""A parse worker process for the parallel ingest: ``python -m marsad.workspace.parse_worker``.

It reads JSON job lines on stdin - {"reader", "path", "options", "start", "end", "line", "folder", "prefix"} - runs
the reader's per-line kernel over that byte range, stages its rows in ``folder`` and answers each job with one
JSON line of counts. Plain subprocesses (not multiprocessing) so that it works the same from scripts, notebooks and
``python -`` (multiprocessing's spawn re-imports the caller's __main__, which those don't have).
"""
from __future__ import annotations

import gc
import json
import sys
from dataclasses import asdict


def main() -> None:
    from ..readers import get_reader
    from .ingest import _parse_range

    # the kernels build acyclic dicts and lists only: the cyclic collector would scan the staging buffers over and
    # over for nothing (about 8% of the time); collect once per job instead
    gc.disable()
    for line in sys.stdin:
        job = json.loads(line)
        reader_cls = get_reader(job["reader"])
        counts = _parse_range((reader_cls, job["path"], job["options"], job["start"], job["end"], job["line"],
                               job["folder"], job["prefix"]))
        sys.stdout.write(json.dumps(asdict(counts)) + "\n")
        sys.stdout.flush()
        gc.collect()


if __name__ == "__main__":
    main()
