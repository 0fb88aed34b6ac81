"""TF-IDF + logistic regression on a review train split, 5-fold CV (scikit-learn).

The issue's baseline ("TF-IDF + LR trained on that train split") reproduced on train data
only, next to logistic regression on the features the engine's valence model reads (jieba
words, character unigrams and bigrams), binary or TF-IDF weighted. No dev row is read.

    pip install scikit-learn jieba
    python3 tools/valence_baseline/cv.py ../shared/corpora chnsenticorp_htl_all,waimai_10k

Prints `SET VARIANT C ACCURACY` (mean over the five folds; StratifiedKFold, seed 0).
"""
import sys

import jieba
import numpy as np
from scipy.sparse import diags
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

jieba.setLogLevel(60)


def load(path):
    with open(path, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f][1:]
    texts = [t.lower() for _, t in rows]
    return texts, np.array([1 if label == "positive" else 0 for label, _ in rows])


def engine_features(text, words):
    """The valence model's features: jieba words, character 1- and 2-grams."""
    out = ["w:" + w for w in words]
    out += ["c1:" + c for c in text]
    out += ["c2:" + text[i : i + 2] for i in range(len(text) - 1)]
    return out


def sqrt_norm(m):
    """Rows scaled by 1/sqrt(number of features), as the engine's `sqrt` feature kind."""
    n = np.asarray(m.sum(axis=1)).ravel()
    n[n == 0] = 1
    return diags(1 / np.sqrt(n)) @ m


def variants():
    """name -> (input, make_vectorizer, post): input 'text', 'words' or 'engine'."""
    word_tfidf = lambda: TfidfVectorizer(  # noqa: E731
        tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2),
        sublinear_tf=True, min_df=2)
    char_tfidf = lambda: TfidfVectorizer(  # noqa: E731
        analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    counts = lambda: CountVectorizer(analyzer=lambda d: d, binary=True, min_df=3)  # noqa: E731
    return {
        "tfidf_words_1_2": ("words", word_tfidf, None),
        "tfidf_chars_1_2": ("text", char_tfidf, None),
        "engine_binary_l2": ("engine", counts, "l2"),
        "engine_tfidf_l2": ("engine", counts, "tfidf"),
        # IDF folded into the weights, as a trainer could: the engine's 1/sqrt(n) norm.
        "engine_idf_sqrt": ("engine", counts, "idf_sqrt"),
    }


def main():
    corpora, sets = sys.argv[1], sys.argv[2].split(",")
    for name in sets:
        texts, y = load(f"{corpora}/{name}/train.tsv")
        words = [jieba.lcut(t) for t in texts]
        inputs = {
            "text": texts,
            "words": [" ".join(w) for w in words],
            "engine": [engine_features(t, w) for t, w in zip(texts, words)],
        }
        folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y))
        for vname, (source, make, post) in variants().items():
            docs = inputs[source]
            for c in (3, 10):
                accs = []
                for tr, te in folds:
                    v = make()
                    a = v.fit_transform([docs[i] for i in tr]).astype(float)
                    b = v.transform([docs[i] for i in te]).astype(float)
                    if post == "l2":
                        a, b = normalize(a), normalize(b)
                    elif post == "tfidf":
                        t = TfidfTransformer(sublinear_tf=True).fit(a)
                        a, b = t.transform(a), t.transform(b)
                    elif post == "idf_sqrt":
                        idf = diags(TfidfTransformer(norm=None).fit(a).idf_)
                        a, b = sqrt_norm(a) @ idf, sqrt_norm(b) @ idf
                    m = LogisticRegression(C=c, max_iter=3000).fit(a, y[tr])
                    accs.append((m.predict(b) == y[te]).mean())
                print(f"{name} {vname} C={c} {np.mean(accs):.4f}", flush=True)


if __name__ == "__main__":
    main()
