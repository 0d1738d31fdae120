"""PySAL spopt's maximal covering (MCLP, PuLP + CBC) on an instance saved by bestk.py.

Runs in the benchmark's own environment (``benchmarks/.venv``, with spopt and
pulp; bestk.py creates it), never in the project's. Reads ``cover`` (demand x
facility bool) and ``weight`` from an ``.npz``; for each k prints one JSON line:
k, seconds (model building + solve, as a user of spopt pays them), objective,
status.

The cost matrix is 0 where the facility's zone contains the demand point, 1
elsewhere, with a service radius of 0.5: covered exactly when the zone
contains it.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pulp
from spopt.locate import MCLP


def main(path: str, ks: list[int]) -> None:
    z = np.load(path)
    cost = np.where(z["cover"], 0.0, 1.0)
    weight = z["weight"].astype(float)
    for k in ks:
        start = time.perf_counter()
        model = MCLP.from_cost_matrix(cost, weight, service_radius=0.5, p_facilities=k)
        model = model.solve(pulp.PULP_CBC_CMD(msg=False))
        seconds = time.perf_counter() - start
        print(json.dumps({
            "k": k,
            "seconds": seconds,
            "objective": round(pulp.value(model.problem.objective)),
            "status": pulp.LpStatus[model.problem.status],
        }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], [int(k) for k in sys.argv[2:]])
