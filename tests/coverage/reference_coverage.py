"""The coverage computation as it was before issue 9: every matrix full and dense.

Kept in the tests as the plain reference the scalable index must agree with:
a commune x HAD membership matrix, zone adjacency and "bordering" by dense
matrix products, and a travel time for every commune x HAD pair (the nearest
of the HAD's sites), then the statuses and candidates read off those matrices.
It takes the commune adjacency edges as given (their computation did not change).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hadplanner.models.territory import Territory
from hadplanner.territory.coverage import CONVENTION, DEROGATION, NO_HAD, SERVED


@dataclass
class Reference:
    """The full matrices and the classification they give."""

    membership: np.ndarray
    zone_adjacency: np.ndarray
    bordering: np.ndarray
    minutes: np.ndarray
    nearest_site: np.ndarray
    status: np.ndarray
    candidates: np.ndarray
    reachable: np.ndarray


def full_matrices(
    territory: Territory,
    codes: list[str],
    commune_edges: np.ndarray,
    travel,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Membership, zone adjacency, bordering, minutes and nearest site, all dense."""
    position = {c: i for i, c in enumerate(codes)}
    had_ids = [h.id for h in territory.hads]
    n_c, n_h = len(codes), len(had_ids)
    membership = np.zeros((n_c, n_h), dtype=bool)
    for zone in territory.zones:
        membership[[position[c] for c in zone.communes], had_ids.index(zone.had_id)] = True
    # Zone adjacency: a commune in two zones, or touching communes in two zones.
    c_idx, h_idx = np.nonzero(membership)
    pairs = pd.DataFrame({"c": c_idx, "h": h_idx})
    same = pairs.merge(pairs, on="c", suffixes=("_a", "_b"))
    edges = np.asarray(commune_edges, dtype=np.int64).reshape(-1, 2)
    e = pd.DataFrame({"a": edges[:, 0], "b": edges[:, 1]})
    touch = e.merge(pairs.rename(columns={"c": "a", "h": "h_a"}), on="a").merge(
        pairs.rename(columns={"c": "b", "h": "h_b"}), on="b"
    )
    adj = np.zeros((n_h, n_h), dtype=bool)
    for df in (same, touch):
        adj[df["h_a"].to_numpy(), df["h_b"].to_numpy()] = True
    adj |= adj.T
    np.fill_diagonal(adj, False)
    # Bordering: a zone containing the commune borders h's zone; orphans take
    # the zones of the communes they touch.
    bordering = (membership.astype(np.float32) @ adj.astype(np.float32)) > 0
    orphan = ~membership.any(axis=1)
    if orphan.any() and len(edges):
        a, b = edges[:, 0], edges[:, 1]
        for src, dst in ((a, b), (b, a)):
            sel = orphan[src]
            np.logical_or.at(bordering, src[sel], membership[dst[sel]])
    # Travel time from every HAD's nearest site to every commune.
    centres = np.array([(territory.communes[c].centre.lat, territory.communes[c].centre.lon)
                        for c in codes])
    minutes = np.empty((n_c, n_h), dtype=np.float32)
    nearest = np.zeros((n_c, n_h), dtype=np.int16)
    for h, had in enumerate(territory.hads):
        sites = np.array([(s.location.lat, s.location.lon) for s in had.sites])
        m = np.asarray(travel.matrix(sites, centres))
        nearest[:, h] = m.argmin(axis=0)
        minutes[:, h] = m.min(axis=0)
    return membership, adj, bordering, minutes, nearest


def reference(
    territory: Territory,
    codes: list[str],
    commune_edges: np.ndarray,
    travel,
    authorised: np.ndarray,
    limit_min: float,
    rule: str,
) -> Reference:
    """The classification of every commune from the full matrices."""
    membership, adj, bordering, minutes, nearest = full_matrices(
        territory, codes, commune_edges, travel
    )
    within = minutes <= limit_min
    base = bordering if rule == "bordering" else within
    candidates = base & authorised[None, :] & ~membership
    reachable = candidates & within
    status = np.full(len(codes), CONVENTION, dtype=np.int8)
    status[reachable.any(axis=1)] = DEROGATION
    status[(membership & authorised[None, :]).any(axis=1)] = SERVED
    status[~membership.any(axis=1)] = NO_HAD
    return Reference(membership, adj, bordering, minutes, nearest, status, candidates, reachable)
