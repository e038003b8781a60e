"""Shared by the peer scripts of make eval: reading Tenor JSONL and the one
TF-IDF configuration that scikit-learn, liblinear and libsvm are all given.

The vectors: scikit-learn's TfidfVectorizer(ngram_range=(1, 2),
sublinear_tf=True) with its other defaults (lower-cased, tokens of two or more
word characters, min_df 1, smooth idf, rows L2-normalised), fitted on the
train split only.  (Tenor computes its own features; bench/eval.md states
its defaults as its bundle manifest records them.)
"""
import json
import os
import pickle
import time


def read_jsonl(path, field):
    """Return ([texts], [labels]) of a labeled Tenor JSONL file."""
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                texts.append(rec.get("text", ""))
                labels.append(rec[field])
    return texts, labels


def make_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)


def save(obj, path):
    """Pickle OBJ to PATH; return its size in bytes."""
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
    return os.path.getsize(path)


class Stopwatch:
    """Wall-clock seconds spent inside `with` blocks, summed."""
    def __init__(self):
        self.seconds = 0.0

    def __enter__(self):
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self._t
