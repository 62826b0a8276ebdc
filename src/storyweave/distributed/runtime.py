"""Connecting to Ray: a local instance on this machine, or an existing cluster, and the store check that goes
with it (a SQLite file cannot be shared by machines)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import ModuleType

LOCAL = "local"
"""`--ray` without an address: start a Ray instance on this machine (all its cores)."""
LOCAL_OBJECT_STORE = 256 * 2**20
"""Batches of articles are small; a local Ray need not reserve Ray's default 30% of memory for objects."""


class DistributedError(RuntimeError):
    """A distributed run that cannot start: ray not installed, or SQLite with a multi-node cluster."""


def require_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise DistributedError("--ray needs the ray package: pip install 'storyweave[ray]'") from None
    return ray


def is_shared_store(location: str) -> bool:
    """PostgreSQL is reachable from every machine; a SQLite file only from the one that holds it."""
    return location.startswith(("postgresql://", "postgres://"))


def store_location(location: str | Path) -> str:
    """What the workers open: the PostgreSQL URL as given, a SQLite path made absolute."""
    text = str(location)
    return text if is_shared_store(text) else str(Path(text).resolve())


def _sqlite_refused(why: str) -> DistributedError:
    return DistributedError(
        f"{why}: workers on other machines cannot open a SQLite file. Use a shared PostgreSQL store"
        " (--store postgresql://USER:PASSWORD@HOST:5432/DB), or `--ray local` for Ray on this machine alone."
    )


def connect(address: str | None, store: str | None) -> ModuleType:
    """Join the Ray cluster at `address` (None or "local": start one on this machine, unless RAY_ADDRESS names
    one) and check that `store` can be reached from every node (None: the workers never open it). Returns
    the `ray` module."""
    ray = require_ray()
    address = address or os.environ.get("RAY_ADDRESS") or LOCAL
    shared = store is None or is_shared_store(store)
    if address != LOCAL and not shared:
        raise _sqlite_refused(f"Ray cluster at {address}")
    if not ray.is_initialized():
        if address == LOCAL:  # loopback only: a single-machine run opens no port to the network
            ray.init(
                address=LOCAL,
                include_dashboard=False,
                object_store_memory=LOCAL_OBJECT_STORE,
                logging_level=logging.WARNING,
                _node_ip_address="127.0.0.1",
            )
        else:
            ray.init(address=address, logging_level=logging.WARNING)
    nodes = alive_nodes(ray)
    if nodes > 1 and not shared:
        raise _sqlite_refused(f"the Ray cluster has {nodes} nodes")
    return ray


def alive_nodes(ray: ModuleType) -> int:
    return sum(1 for node in ray.nodes() if node.get("Alive"))
