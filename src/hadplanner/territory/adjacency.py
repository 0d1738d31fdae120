"""Commune and zone adjacency as index arrays (used by :mod:`hadplanner.territory.coverage`).

NOTE (territory engineer, 05:02 UTC): the original of this file, written by the
coverage engineer, was overwritten by mistake when the territory module was
created under the same name (the territory side now lives in
:mod:`hadplanner.territory.contiguity`). This is a reconstruction from how
``coverage.py`` calls it; its owner should review it or put the original back.

Communes are rows ``0..n_c-1`` (positions in the index's ``insee`` array), HADs
columns ``0..n_h-1``. Two communes are adjacent when their polygons touch or lie
within ``tolerance`` degrees of each other (simplified polygons may leave hair
gaps); two zones are adjacent ("limitrophe") when a commune of one borders a
commune of the other, or when they share a commune.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import shapely

DEFAULT_TOLERANCE_DEG = 1e-5
"""Polygons closer than this (degrees, about 1 m) count as touching."""


def commune_adjacency_edges(geometries, tolerance: float = DEFAULT_TOLERANCE_DEG) -> np.ndarray:
    """``(m, 2)`` int array of pairs ``i < j`` of communes that touch.

    Parameters
    ----------
    geometries
        One polygon per commune.
    tolerance
        Distance in degrees under which two polygons count as touching.
    """
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        i, j = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    return np.column_stack([i[keep], j[keep]]).astype(np.int64)


def zone_adjacency_matrix(membership: np.ndarray, commune_edges: np.ndarray) -> np.ndarray:
    """``(n_h, n_h)`` bool: zone ``h`` borders or overlaps zone ``k`` (diagonal False).

    Parameters
    ----------
    membership
        ``(n_c, n_h)`` bool: the zone of HAD ``h`` contains commune ``c``.
    commune_edges
        ``(m, 2)`` pairs of adjacent communes (positions).
    """
    m = np.asarray(membership, dtype=bool)
    n_h = m.shape[1]
    adj = np.zeros((n_h, n_h), dtype=bool)
    edges = np.asarray(commune_edges, dtype=np.int64).reshape(-1, 2)
    if len(edges):
        a = m[edges[:, 0]].astype(np.int64)
        b = m[edges[:, 1]].astype(np.int64)
        adj |= (a.T @ b) > 0
        adj |= (b.T @ a) > 0
    mi = m.astype(np.int64)
    adj |= (mi.T @ mi) > 0  # a shared commune makes two zones neighbours too
    np.fill_diagonal(adj, False)
    return adj


def bordering_matrix(
    membership: np.ndarray, zone_adjacency: np.ndarray, commune_edges: np.ndarray
) -> np.ndarray:
    """``(n_c, n_h)`` bool: ``h``'s zone borders a zone containing ``c``.

    A commune in no zone counts ``h`` when it touches ``h``'s zone directly, so
    that it still has derogation candidates.
    """
    m = np.asarray(membership, dtype=bool)
    out = (m.astype(np.int64) @ np.asarray(zone_adjacency, dtype=np.int64)) > 0
    edges = np.asarray(commune_edges, dtype=np.int64).reshape(-1, 2)
    if len(edges):
        touch = np.zeros_like(m)
        np.logical_or.at(touch, edges[:, 0], m[edges[:, 1]])
        np.logical_or.at(touch, edges[:, 1], m[edges[:, 0]])
        unzoned = ~m.any(axis=1)
        out[unzoned] |= touch[unzoned]
    return out


def zone_graph(
    had_ids: Sequence[str], zone_adjacency: np.ndarray, had_names: Sequence[str] | None = None
) -> nx.Graph:
    """Zone adjacency as a graph: nodes are HAD ids (attribute ``name``)."""
    g = nx.Graph()
    names = list(had_names) if had_names is not None else list(had_ids)
    for hid, name in zip(had_ids, names, strict=True):
        g.add_node(hid, name=name)
    rows, cols = np.nonzero(np.triu(np.asarray(zone_adjacency, dtype=bool), 1))
    g.add_edges_from((had_ids[r], had_ids[c]) for r, c in zip(rows, cols, strict=True))
    return g
