"""Which communes touch, and which HAD zones border each other.

The thesis's derogation rule goes to the HAD of a *bordering* ("limitrophe")
territory. Two zones border each other when a commune of one touches a commune
of the other, or when a commune lies in both (the four shared areas). Zone
adjacency is derived from commune adjacency, which is computed once from the
polygons: zones are lists of communes (R6123-140 CSP), so every later change of
zones (what-if scenarios) reuses the commune graph and costs only a join.

Cores work on plain arrays (a shapely geometry array, a commune x HAD
membership matrix); the networkx graphs are thin views for users.
(:mod:`hadplanner.territory.contiguity`, the territory side, has a stricter
commune graph, neighbours along a line only, used to draw zones.)
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd
import shapely

DEFAULT_TOLERANCE_DEG = 2e-4
"""How far apart (degrees, ~20 m) two polygons may be and still count as touching.

Commune polygons are simplified to keep the repository small; simplification
can open slivers of a few metres between neighbours, and some sources do not
share vertices exactly. 20 m closes those gaps and is far below the width of
any commune, so it creates no false neighbours in practice.
"""


def commune_adjacency_edges(
    geometries: Sequence[shapely.Geometry] | np.ndarray,
    tolerance: float = DEFAULT_TOLERANCE_DEG,
) -> np.ndarray:
    """Pairs of communes whose polygons touch (within ``tolerance``).

    Parameters
    ----------
    geometries
        One polygon per commune, in a geographic CRS (degrees).
    tolerance
        Largest gap still counted as a shared boundary; 0 for exact ``intersects``.

    Returns
    -------
    numpy.ndarray
        ``(n_edges, 2)`` int array of positions ``i < j``, sorted.
    """
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) == 0:
        return np.empty((0, 2), dtype=np.int64)
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        # Bounding boxes grown by the tolerance give the candidate pairs (in C);
        # the exact distance is then computed for those pairs only. On all
        # French communes this takes 0.6 s, against over 2 minutes for the
        # tree's own "dwithin" predicate.
        b = shapely.bounds(geoms)
        grown = shapely.box(
            b[:, 0] - tolerance, b[:, 1] - tolerance, b[:, 2] + tolerance, b[:, 3] + tolerance
        )
        left, right = tree.query(grown)
        keep = left < right
        left, right = left[keep], right[keep]
        close = shapely.distance(geoms[left], geoms[right]) <= tolerance
        left, right = left[close], right[close]
    else:
        left, right = tree.query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
    edges = np.column_stack([left, right]).astype(np.int64)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    return edges[order]


def commune_graph(
    insee: Sequence[str],
    geometries: Sequence[shapely.Geometry] | np.ndarray,
    tolerance: float = DEFAULT_TOLERANCE_DEG,
) -> nx.Graph:
    """Commune adjacency as a networkx graph (nodes: INSEE codes)."""
    codes = list(insee)
    g = nx.Graph()
    g.add_nodes_from(codes)
    edges = commune_adjacency_edges(geometries, tolerance)
    g.add_edges_from((codes[i], codes[j]) for i, j in edges)
    return g


def zone_adjacency_matrix(membership: np.ndarray, commune_edges: np.ndarray) -> np.ndarray:
    """HAD x HAD matrix: True when the two zones border each other or overlap.

    Parameters
    ----------
    membership
        ``(n_communes, n_hads)`` bool: commune ``c`` is in the zone of HAD ``h``.
    commune_edges
        ``(n_edges, 2)`` positions of touching communes.

    Returns
    -------
    numpy.ndarray
        Symmetric bool ``(n_hads, n_hads)`` with a False diagonal.
    """
    n_h = membership.shape[1]
    c_idx, h_idx = np.nonzero(membership)
    pairs = pd.DataFrame({"c": c_idx, "h": h_idx})
    # Overlap: a commune in two zones.
    same = pairs.merge(pairs, on="c", suffixes=("_a", "_b"))
    # Touch: a commune of one zone next to a commune of the other.
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
    return adj


def bordering_matrix(
    membership: np.ndarray, zone_adjacency: np.ndarray, commune_edges: np.ndarray
) -> np.ndarray:
    """Commune x HAD: True when HAD ``h``'s zone borders a zone containing commune ``c``.

    A commune in no zone takes the zones that touch it instead (the HADs next
    door), so that it still has candidates to show.
    """
    m = membership.astype(np.float32)
    out = (m @ zone_adjacency.astype(np.float32)) > 0
    orphan = np.asarray(~np.asarray(membership, dtype=bool).any(axis=1))
    edges = np.asarray(commune_edges, dtype=np.int64).reshape(-1, 2)
    if orphan.any() and len(edges):
        a, b = edges[:, 0], edges[:, 1]
        for src, dst in ((a, b), (b, a)):
            sel = orphan[src]
            np.logical_or.at(out, src[sel], membership[dst[sel]])
    return out


def zone_graph(
    had_ids: Sequence[str],
    zone_adjacency: np.ndarray,
    names: Sequence[str] | None = None,
) -> nx.Graph:
    """Zone adjacency as a networkx graph: nodes are HAD ids (``name`` attribute)."""
    g = nx.Graph()
    for i, h in enumerate(had_ids):
        g.add_node(h, name=names[i] if names is not None else h)
    rows, cols = np.nonzero(np.triu(zone_adjacency, k=1))
    g.add_edges_from(
        (had_ids[int(i)], had_ids[int(j)]) for i, j in zip(rows, cols, strict=True)
    )
    return g
