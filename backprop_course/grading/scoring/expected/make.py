"""How the public tests' expected values are computed: run once, stored as data.

``python -m backprop_course.grading.scoring.expected.make`` rewrites the ``_NN.py`` modules.
The inputs here are the public test cells' inputs (same seeds, same literals); the formulas
are the exercises' answers, which is why they live here and not in the cells.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np

from backprop_course import data
from backprop_course.grading.scoring import references as ref


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray | np.floating | np.integer):
        return _plain(value.tolist()) if isinstance(value, np.ndarray) else float(value)
    return value


def _sigmoid(s):
    return 1 / (1 + np.exp(-s))


def _ex05() -> dict:
    out: dict = {}
    A = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    W = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
    b = np.array([1.0, -1.0, 0.5])
    out["dense_forward"] = {
        "no_bias": A @ W,
        "with_bias": A @ W + b,
        "bias_per_example": A @ W + b[:, None],
    }
    rng = np.random.default_rng(52)
    A, W = rng.normal(size=(5, 3)), rng.normal(size=(3, 2))
    G = rng.normal(size=(5, 2))
    out["dense_backward"] = {"dA_prev": G @ W.T, "dW": A.T @ G, "db": G.sum(axis=0)}
    S = np.array([[0.5], [-1.0], [2.0], [0.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    P = _sigmoid(S)
    delta, sp = (P - y[:, None]) / 4, P * (1 - P)
    out["bce_output_delta"] = {
        "delta": delta,
        "mistakes": [
            {"code": "extra_activation_derivative", "value": delta * sp},
            {"code": "preactivation_in_error", "value": (S - y[:, None]) / 4},
            {"code": "squared_error_derivative", "value": 2 * delta * sp},
        ],
    }
    X_circ, y_circ = data.circles(200, rng=5)
    r = np.random.default_rng(5)
    p = {
        "W1": r.normal(size=(2, 8)) / np.sqrt(2),
        "b1": np.zeros(8),
        "W2": r.normal(size=(8, 1)) / np.sqrt(8),
        "b2": np.zeros(1),
    }
    X, y = X_circ[:10], y_circ[:10].astype(float)
    loss, grads = ref.loss_and_grads(p, X, y)
    S1 = X @ p["W1"] + p["b1"]
    A1 = np.tanh(S1)
    P2 = _sigmoid(A1 @ p["W2"] + p["b2"])
    D2 = (P2 - y[:, None]) / len(X)
    DA1 = D2 @ p["W2"].T
    D1 = DA1 * (1 - A1**2)
    sp2 = P2 * (1 - P2)

    def hidden_times(factor):
        return {"W1": X.T @ (DA1 * factor), "b1": (DA1 * factor).sum(axis=0)}

    out["loss_and_grads"] = {
        "loss": loss,
        "grads": grads,
        "mistakes": [
            {"code": "missing_activation_derivative", "value": hidden_times(1.0)},
            {"code": "derivative_at_preactivation", "value": hidden_times(1 - S1**2)},
            {"code": "activation_not_derivative", "value": hidden_times(A1)},
            {"code": "sigmoid_derivative", "value": hidden_times(A1 * (1 - A1))},
            {"code": "off_by_one_layer", "value": {"W1": A1.T @ D1}},
            {"code": "off_by_one_layer", "value": {"W1": X.T @ D2}},
            {"code": "off_by_one_layer", "value": {"W2": X.T @ D2}},
            {"code": "preactivation_not_activation", "value": {"W2": S1.T @ D2}},
            {
                "code": "extra_activation_derivative",
                "value": {
                    "W1": X.T @ (D1 * sp2),
                    "b1": (D1 * sp2).sum(axis=0),
                    "W2": A1.T @ (D2 * sp2),
                    "b2": (D2 * sp2).sum(axis=0),
                },
            },
        ],
    }
    steps, losses, grads_at = [p], [], []
    for _ in range(4):
        loss, g = ref.loss_and_grads(steps[-1], X_circ, y_circ)
        losses.append(loss)
        grads_at.append(g)
        steps.append({k: steps[-1][k] - 0.5 * g[k] for k in g})
    out["fit"] = {
        "one_step": steps[1],
        "step_mistakes": [
            {"code": "wrong_sign", "value": {k: p[k] + 0.5 * grads_at[0][k] for k in p}},
            {"code": "biases_not_updated", "value": {"b1": p["b1"], "b2": p["b2"]}},
            {"code": "off_by_one_epoch", "value": steps[0]},
            {"code": "off_by_one_epoch", "value": steps[2]},
        ],
        "losses_3": losses[:3],
        "loss_mistakes": [
            {"code": "last_loss_only", "value": [losses[2]] * 3},
            {"code": "first_loss_only", "value": [losses[0]] * 3},
            {"code": "loss_after_update", "value": losses[1:4]},
            {"code": "off_by_one_epoch", "value": losses[:2]},
            {"code": "off_by_one_epoch", "value": losses[:4]},
        ],
    }
    return out


def _ex06() -> dict:
    X, y = data.moons(300, rng=1, noise=0.1)
    X48, y48 = X[:48], y[:48]
    start = ref.init_params([2, 4, 1], 3)
    l_start = ref.loss_and_grads(start, X48, y48)[0]
    batch_losses = [
        [
            ref.loss_and_grads(start, X48[idx], y48[idx])[0]
            for idx in ref.minibatch_indices(48, 16, 3 + 1 + e)
        ]
        for e in range(2)
    ]
    p0 = ref.init_params([2, 4, 1], 5)
    l0, g0 = ref.loss_and_grads(p0, X, y)
    one_step = ref.sgd_step(p0, g0, 0.3)
    l1, g1 = ref.loss_and_grads(one_step, X, y)
    return {
        "train_mlp": {
            "start": start,
            "history_lr0": [l_start, l_start],
            "batch_losses": batch_losses,
            "history_one_epoch": [l0],
            "history_two_epochs": [l0, l1],
            "one_step": one_step,
            "start_of_one_epoch": p0,
            "wrong_sign": ref.sgd_step(p0, g0, -0.3),
            "two_steps": ref.sgd_step(one_step, g1, 0.3),
        }
    }


def _ex02() -> dict:
    w = np.array([1.0, 2.0])
    c = np.array([0.5, -1.0])
    quadratic = {}
    for key, A in (("symmetric", [[2.0, 1.0], [1.0, 3.0]]), ("general", [[1.0, 2.0], [0.0, -1.0]])):
        A = np.array(A)
        sym = A + A.T
        quadratic[key] = {
            "gradient": 0.5 * sym @ w + c,
            "assumes_symmetric": A @ w + c,
            "only_transpose": A.T @ w + c,
            "missing_half": sym @ w + c,
            "missing_linear_term": 0.5 * sym @ w,
        }
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.1 * rng.normal(size=200)

    def step(w, b, lr):
        r = X @ w + b - y
        return w - lr * 2 / len(X) * (X.T @ r), b - lr * 2 / len(X) * r.sum()

    one = step(np.zeros(3), 0.0, 0.05)
    two = step(*one, 0.05)
    w01, b01 = step(np.zeros(3), 0.0, 0.1)
    return {
        "quadratic_gradient": quadratic,
        "fit_linear_regression": {
            "one_step": {"w": one[0], "b": one[1]},
            "two_steps": {"w": two[0], "b": two[1]},
            "loss_after_first_step": np.mean((X @ w01 + b01 - y) ** 2),
        },
    }


MAKERS = {
    "02_gradient_descent": _ex02,
    "05_matrix_backprop": _ex05,
    "06_training_with_sgd": _ex06,
}


def text(stem: str) -> str:
    """The stored module's source for ``stem``: the JSON, wrapped at commas."""
    blob = json.dumps(_plain(MAKERS[stem]()), sort_keys=True, separators=(",", ":"))
    lines = textwrap.wrap(blob.replace(",", ", "), 92, break_long_words=False)
    body = "\n".join(f"    {line!r}" if '"' in line else f'    "{line}"' for line in lines)
    return (
        f'"""Expected values of {stem}\'s public tests (written by expected/make.py)."""\n\n'
        f"TEXT = (\n{body}\n)\n"
    )


def write() -> list[Path]:
    """Rewrite every stored module; return their paths."""
    here = Path(__file__).parent
    paths = []
    for stem in MAKERS:
        path = here / f"_{stem[:2]}.py"
        path.write_text(text(stem), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path}")
