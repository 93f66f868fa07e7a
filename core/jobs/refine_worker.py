"""The worker process of ``SubprocessRunner``: ``python refine_worker.py FOLDER`` reads
FOLDER/request.{json,npz}, refines, writes FOLDER/outcome.{json,npz} and reports progress as JSON
lines on stdout (the last one: done or failed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    from core.errors import GarmentError
    from core.jobs.events import JobEvent
    from core.jobs.refine_job import RefineRequest, run_refine

    def emit(ev: JobEvent) -> None:
        sys.stdout.write(json.dumps(ev.to_json()) + "\n")
        sys.stdout.flush()

    try:
        outcome = run_refine(RefineRequest.load(folder), emit)
    except (GarmentError, MemoryError, OSError) as err:
        emit(JobEvent("failed", message=str(err) or type(err).__name__))
        return 1
    outcome.save(folder)
    emit(JobEvent("done"))
    return 0


if __name__ == "__main__":
    # run as a script: the extension root (on PYTHONPATH) holds ``core``, not this folder
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    sys.exit(main(sys.argv[1:]))
