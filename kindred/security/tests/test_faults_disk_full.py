"""Disk full where Kindred writes files itself: the cache of the risk screening's
reference embeddings (kindred/space/risk_embedding.py) is written to a temporary file
and renamed; a write that fails half-way (here: a file-size limit on this process, which
fails writes with EFBIG as a full disk fails them with ENOSPC) must leave no partial file.
The fault run (``python -m kindred.security.faults``) does the same for uploads and
``manage.py backup`` on a full tmpfs."""

from __future__ import annotations

import os
import resource
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kindred.space import risk_embedding

SMALL_FILES = 4096  # bytes: far less than the cached vectors


@contextmanager
def disk_full_for_this_process() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (SMALL_FILES, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.fixture
def encoder() -> risk_embedding.Encoder:
    try:
        return risk_embedding.Encoder()
    except risk_embedding.ModelUnavailable as exc:  # pragma: no cover - the lock installs it
        pytest.skip(f"the embedding model is not installed here: {exc}")


def _references(n: int) -> list[risk_embedding.Reference]:
    return [
        risk_embedding.Reference(expect=False, kind="test", category="none", text=f"text {i}")
        for i in range(n)
    ]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_full_disk_leaves_no_partial_cache_file(encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(risk_embedding, "DATA_DIR", tmp_path)
    with disk_full_for_this_process():
        vectors = risk_embedding._reference_vectors(encoder, _references(12))
    assert vectors.shape[0] == 12  # the screening still works, uncached
    assert _leftovers(tmp_path) == []
    risk_embedding._reference_vectors(encoder, _references(12))
    assert [n for n in _leftovers(tmp_path) if n.endswith(".npy")]  # cached once there is room


def _old_cache_writer(path: Path, vectors: Any) -> None:
    """The broken variant: the writer as it was, without removing its temporary file."""
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        with os.fdopen(handle, "wb") as out:
            np.save(out, vectors, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass


def _orphans_after(writer: Callable[[Path, Any], None], folder: Path) -> list[str]:
    vectors = np.zeros((64, 384), dtype=np.float32)
    with disk_full_for_this_process():
        writer(folder / "cache.npy", vectors)
    return _leftovers(folder)


def test_broken_variant_a_writer_that_does_not_clean_up_is_caught(tmp_path):
    assert _orphans_after(_old_cache_writer, tmp_path) != []
