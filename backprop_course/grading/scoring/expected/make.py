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

from backprop_course.grading.scoring.expected.later import _ex04, _ex05, _ex06, _mistakes


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray | np.floating | np.integer):
        return _plain(value.tolist()) if isinstance(value, np.ndarray) else float(value)
    return value


def _ex01() -> dict:
    X = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 2.0], [-3.0, -4.0]])
    w = np.array([3.0, 4.0])
    distance = {
        f"b={b:g}": _mistakes(
            [
                ("missing_norm", X @ w + b),
                ("divides_by_norm_squared", (X @ w + b) / (w @ w)),
                ("missing_bias", X @ w / np.linalg.norm(w)),
            ]
        )
        for b in (0.0, 5.0)
    }
    X = np.array([[1.0, 1.0], [2.0, 0.0], [-1.0, 0.5], [0.0, -2.0]])
    y = np.array([1.0, -1.0, -1.0, 1.0])
    w = np.array([1.0, 0.0])
    gradient = {}
    for b in (0.0, 0.5):
        m = y * (X @ w + b)
        strict, wrong = m < 0, m <= 0
        gradient[f"b={b:g}"] = {
            "dw": _mistakes(
                [
                    ("margin_zero_as_correct", -(y[strict] @ X[strict])),
                    ("sums_all_points", -(y @ X)),
                ]
            ),
            "db": _mistakes(
                [
                    ("margin_zero_as_correct", -np.sum(y[strict])),
                    ("sums_all_points", -np.sum(y)),
                    ("bias_grad_from_x", -np.sum(X[wrong])),
                ]
            ),
        }
    w, x, x_c, y, b, lr = (
        np.array([1.0, -1.0]),
        np.array([1.0, 2.0]),
        np.array([2.0, 0.0]),
        1,
        0.5,
        0.1,
    )
    update = {
        "w": _mistakes([("wrong_sign", w - lr * y * x), ("missing_learning_rate", w + y * x)]),
        "b": _mistakes(
            [
                ("wrong_sign", b - lr * y),
                ("missing_learning_rate", b + y),
                ("biases_not_updated", b),
            ]
        ),
        "w_every": _mistakes([("updates_every_point", w + lr * y * x_c)]),
        "b_every": _mistakes([("updates_every_point", b + lr * y)]),
    }
    return {"signed_distance": distance, "criterion_gradient": gradient, "sgd_update": update}


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


def _ex03() -> dict:
    """The public chain of Parts 3 and 4 (ws_t, x = 0.8): what each typical mistake gives."""
    ws, x = np.array([0.9, -1.2, 0.7, 1.1]), 0.8

    def factors(at_output=False, previous_layer=False, no_derivative=False):
        z = [x]
        for w in ws:
            z.append(np.tanh(w * z[-1]))
        z = np.array(z)
        d = 1 - (np.tanh(z[1:]) if at_output else z[:-1] if previous_layer else z[1:]) ** 2
        if no_derivative:
            d = np.ones_like(d)
        return d * ws, d * z[:-1]

    def products(g, h, start=1):
        return np.array([h[t] * np.prod(g[t + start :]) for t in range(len(h))])

    g, h = factors()
    g_early, h_early = factors(previous_layer=True)
    return {
        "chain": {
            "mistakes": _mistakes(
                [
                    ("wrong_sign", -products(g, h)),
                    ("includes_g_t", products(g, h, start=0)),
                    ("off_by_one_layer", products(g_early, h_early)),
                    ("off_by_one_layer", products(g_early, h)),
                    ("derivative_at_z", products(*factors(at_output=True))),
                    ("missing_activation_derivative", products(*factors(no_derivative=True))),
                    ("missing_activation_derivative", products(g, factors(no_derivative=True)[1])),
                    ("skips_a_weight", np.r_[0.0, products(g, h)[1:]]),
                ]
            )
        }
    }


MAKERS = {
    "01_perceptron": _ex01,
    "02_gradient_descent": _ex02,
    "03_naive_gradients": _ex03,
    "04_backprop_derivation": _ex04,
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
