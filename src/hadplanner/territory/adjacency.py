"""Which communes touch, and which HAD zones border each other.

The thesis's derogation rule goes to the HAD of a *bordering* ("limitrophe")
territory. Two zones border each other when a commune of one touches a commune
of the other, or when a commune lies in both (the four shared areas). Zone
adjacency is derived from commune adjacency, which is computed once from the
polygons: zones are lists of communes (R6123-140 CSP), so every later change of
zones (what-if scenarios) reuses the commune graph and costs only a join.

Cores work on plain arrays (a shapely geometry array, commune x HAD
membership pairs) and stay sparse: zone adjacency is an edge list and the
"bordering" pairs are found by following it from each membership pair, so the
work grows with the pairs, not with the square of the HADs. The networkx
graphs and dense matrices are thin views for users.
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


def zone_adjacency_edges(
    rows: np.ndarray, hads: np.ndarray, commune_edges: np.ndarray
) -> np.ndarray:
    """Pairs of HADs whose zones border each other or overlap (sparse zone adjacency).

    Parameters
    ----------
    rows, hads
        Zone membership as pairs: commune ``rows[i]`` is in the zone of HAD ``hads[i]``.
    commune_edges
        ``(n_edges, 2)`` positions of touching communes.

    Returns
    -------
    numpy.ndarray
        ``(n_zone_edges, 2)`` int array of HAD positions ``i < j``, sorted. The
        work grows with the membership pairs and commune edges, not with the
        square of the HADs.
    """
    rows = np.asarray(rows, dtype=np.int64)
    hads = np.asarray(hads, dtype=np.int64)
    pairs = pd.DataFrame({"c": rows, "h": hads})
    # Overlap: a commune in two zones.
    same = pairs.merge(pairs, on="c", suffixes=("_a", "_b"))
    # Touch: a commune of one zone next to a commune of the other.
    edges = np.asarray(commune_edges, dtype=np.int64).reshape(-1, 2)
    e = pd.DataFrame({"a": edges[:, 0], "b": edges[:, 1]})
    touch = e.merge(pairs.rename(columns={"c": "a", "h": "h_a"}), on="a").merge(
        pairs.rename(columns={"c": "b", "h": "h_b"}), on="b"
    )
    a = np.concatenate([same["h_a"].to_numpy(), touch["h_a"].to_numpy()])
    b = np.concatenate([same["h_b"].to_numpy(), touch["h_b"].to_numpy()])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo < hi
    if not keep.any():
        return np.empty((0, 2), dtype=np.int64)
    n = int(hi.max()) + 1
    keys = np.unique(lo[keep] * n + hi[keep])
    return np.column_stack([keys // n, keys % n]).astype(np.int64)


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
        Symmetric bool ``(n_hads, n_hads)`` with a False diagonal (a dense view
        of :func:`zone_adjacency_edges`).
    """
    rows, hads = np.nonzero(np.asarray(membership, dtype=bool))
    return edges_to_matrix(zone_adjacency_edges(rows, hads, commune_edges), membership.shape[1])


def edges_to_matrix(edges: np.ndarray, n: int) -> np.ndarray:
    """Symmetric bool ``(n, n)`` adjacency matrix of an ``(n_edges, 2)`` edge list."""
    adj = np.zeros((n, n), dtype=bool)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    adj[edges[:, 0], edges[:, 1]] = True
    adj[edges[:, 1], edges[:, 0]] = True
    return adj


def bordering_pairs(
    rows: np.ndarray,
    hads: np.ndarray,
    zone_edges: np.ndarray,
    commune_edges: np.ndarray,
    n_communes: int,
    n_hads: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Commune x HAD pairs where HAD ``h``'s zone borders a zone containing commune ``c``.

    A commune in no zone takes the zones that touch it instead (the HADs next
    door), so that it still has candidates to show. Pairs where ``c`` is in
    ``h``'s own zone are left out (such an HAD is no derogation candidate).

    Parameters
    ----------
    rows, hads
        Zone membership as pairs (see :func:`zone_adjacency_edges`).
    zone_edges
        ``(n_zone_edges, 2)`` from :func:`zone_adjacency_edges`.
    commune_edges
        ``(n_edges, 2)`` positions of touching communes.
    n_communes, n_hads
        Sizes (pairs are encoded as ``c * n_hads + h``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Commune and HAD positions of each pair, sorted by commune then HAD.
        Each membership pair yields one pair per zone bordering that zone: the
        work grows with the pairs and the zone edges, not with the square of
        the HADs.
    """
    rows = np.asarray(rows, dtype=np.int64)
    hads = np.asarray(hads, dtype=np.int64)
    ze = np.asarray(zone_edges, dtype=np.int64).reshape(-1, 2)
    # Neighbours of each HAD in CSR form.
    src = np.concatenate([ze[:, 0], ze[:, 1]])
    dst = np.concatenate([ze[:, 1], ze[:, 0]])
    order = np.argsort(src, kind="stable")
    nbr = dst[order]
    ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n_hads))])
    deg = ptr[hads + 1] - ptr[hads]
    out_c = np.repeat(rows, deg)
    start = np.repeat(ptr[hads], deg)
    offset = np.arange(len(out_c)) - np.repeat(np.cumsum(deg) - deg, deg)
    out_h = nbr[start + offset]
    # Communes in no zone: the HADs of the zones that touch them.
    in_zone = np.zeros(n_communes, dtype=bool)
    in_zone[rows] = True
    edges = np.asarray(commune_edges, dtype=np.int64).reshape(-1, 2)
    extra_c, extra_h = [], []
    if (~in_zone).any() and len(edges):
        zone_ptr_order = np.argsort(rows, kind="stable")
        r_sorted, h_sorted = rows[zone_ptr_order], hads[zone_ptr_order]
        zptr = np.concatenate([[0], np.cumsum(np.bincount(r_sorted, minlength=n_communes))])
        for a, b in ((edges[:, 0], edges[:, 1]), (edges[:, 1], edges[:, 0])):
            sel = ~in_zone[a]
            a, b = a[sel], b[sel]
            k = zptr[b + 1] - zptr[b]
            extra_c.append(np.repeat(a, k))
            st = np.repeat(zptr[b], k)
            off = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
            extra_h.append(h_sorted[st + off])
    all_c = np.concatenate([out_c, *extra_c])
    all_h = np.concatenate([out_h, *extra_h])
    keys = np.unique(all_c * n_hads + all_h)
    members = np.unique(rows * n_hads + hads)
    keys = keys[~np.isin(keys, members, assume_unique=True)]
    return keys // n_hads, keys % n_hads


def zone_graph(
    had_ids: Sequence[str],
    zone_adjacency: np.ndarray,
    names: Sequence[str] | None = None,
) -> nx.Graph:
    """Zone adjacency as a networkx graph: nodes are HAD ids (``name`` attribute).

    ``zone_adjacency`` is either the bool ``(n_hads, n_hads)`` matrix or the
    ``(n_zone_edges, 2)`` edge list of :func:`zone_adjacency_edges`.
    """
    g = nx.Graph()
    for i, h in enumerate(had_ids):
        g.add_node(h, name=names[i] if names is not None else h)
    edges = np.asarray(zone_adjacency)
    if edges.dtype == bool:  # the dense matrix
        edges = np.column_stack(np.nonzero(np.triu(edges, k=1)))
    g.add_edges_from((had_ids[int(i)], had_ids[int(j)]) for i, j in edges.reshape(-1, 2))
    return g
