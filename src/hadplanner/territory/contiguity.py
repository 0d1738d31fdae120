"""Commune adjacency as a networkx graph, zone contiguity and shared borders.

Two communes are neighbours when their polygons share a stretch of border (a
line), not just a corner point: a patient cannot cross from one commune to the
other through a point. The polygons of ``communes.geojson`` are simplified as
one coverage, so shared borders stay shared; rounding can leave slivers of
overlap, which also count as neighbours.

The graph is plain networkx keyed by INSEE code; edges carry ``km``, the
great-circle distance between the two communes' representative points, so that
shortest paths approximate travel over land better than straight lines across
a department.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import networkx as nx
import numpy as np
import shapely

from hadplanner.travel import haversine_km


def commune_adjacency(communes) -> nx.Graph:
    """The adjacency graph of the communes of a GeoDataFrame.

    Parameters
    ----------
    communes
        GeoDataFrame indexed by INSEE code, with ``geometry``, ``lat`` and
        ``lon`` columns (as :func:`hadplanner.territory.loading.load_territory`
        gives it).

    Returns
    -------
    networkx.Graph
        One node per commune (INSEE code); an edge, with attribute ``km``, for
        each pair of communes sharing a border line.
    """
    codes = np.asarray(communes.index)
    geoms = np.asarray(communes.geometry.values)
    lat = communes["lat"].to_numpy(dtype=float)
    lon = communes["lon"].to_numpy(dtype=float)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    # DE-9IM: interiors overlapping (slivers) or boundaries meeting along a line.
    relations = shapely.relate(geoms[i], geoms[j])
    line = np.fromiter(
        ((r[0] != "F") or (r[4] == "1") for r in relations), dtype=bool, count=len(relations)
    )
    i, j = i[line], j[line]
    km = haversine_km(lat[i], lon[i], lat[j], lon[j])
    graph = nx.Graph()
    graph.add_nodes_from(codes.tolist())
    edges = zip(codes[i].tolist(), codes[j].tolist(), km.tolist(), strict=True)
    graph.add_weighted_edges_from(edges, "km")
    return graph


def islands(graph: nx.Graph) -> list[set[str]]:
    """Connected groups of communes detached from the largest one (enclaves, islands)."""
    parts = sorted(nx.connected_components(graph), key=len, reverse=True)
    return [set(p) for p in parts[1:]]


def zone_parts(graph: nx.Graph, communes: Iterable[str]) -> list[set[str]]:
    """The connected parts of a set of communes, largest first."""
    sub = graph.subgraph(communes)
    return sorted((set(c) for c in nx.connected_components(sub)), key=len, reverse=True)


def is_contiguous(graph: nx.Graph, communes: Collection[str]) -> bool:
    """True if the communes form one piece, detached enclaves of the territory aside.

    A zone of the Hautes-Pyrénées must include the department's enclaves in the
    Pyrénées-Atlantiques, which touch nothing else of the territory: a part
    made only of such detached communes does not break contiguity.
    """
    detached = set().union(*islands(graph)) if graph.number_of_nodes() else set()
    parts = [p for p in zone_parts(graph, communes) if not p <= detached]
    return len(parts) <= 1


def share_border(graph: nx.Graph, a: Collection[str], b: Collection[str]) -> bool:
    """True if a commune of ``a`` outside ``b`` borders a commune of ``b`` outside ``a``.

    Zones that merely overlap (a shared area) do not count: "limitrophe" means
    side by side.
    """
    a_only = set(a) - set(b)
    b_only = set(b) - set(a)
    return any(n in b_only for u in a_only for n in graph.neighbors(u))
