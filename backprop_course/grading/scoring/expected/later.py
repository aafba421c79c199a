"""Expected values of the backpropagation sheets' public tests (exercises 4, 5 and 6).

Called by :mod:`backprop_course.grading.scoring.expected.make`; the inputs are the public test
cells' inputs.
"""

from __future__ import annotations

import numpy as np

from backprop_course import data
from backprop_course.grading.scoring import references as ref


def _sigmoid(s):
    return 1 / (1 + np.exp(-s))


def _mistakes(pairs) -> list:
    return [{"code": code, "value": value} for code, value in pairs]


def _ex04() -> dict:
    out: dict = {}
    a = np.array([-2.0, 0.0, 0.5, 3.0])
    s = _sigmoid(a)
    out["sigmoid_prime"] = {
        "expected": s * (1 - s),
        "mistakes": _mistakes(
            [
                ("mixes_a_and_sigmoid", s * (1 - a)),
                ("mixes_a_and_sigmoid", a * (1 - s)),
                ("sigmoid_not_applied", a * (1 - a)),
                ("derivative_at_z", _sigmoid(s) * (1 - _sigmoid(s))),
                ("tanh_derivative", 1 - s**2),
                ("not_a_derivative", s),
            ]
        ),
    }
    a, y = np.array([0.3, -1.2]), np.array([1.0, 0.0])
    s = _sigmoid(a)
    sp = s * (1 - s)
    out["output_delta"] = {
        "expected": 2 * (s - y) * sp,
        "mistakes": _mistakes(
            [
                ("missing_activation_derivative", 2 * (s - y)),
                ("missing_loss_derivative", sp),
                ("missing_loss_derivative", 2 * sp),
                ("missing_loss_derivative", (s - y) ** 2 * sp),
                ("activation_not_derivative", 2 * (s - y) * s),
                ("derivative_at_z", 2 * (s - y) * _sigmoid(s) * (1 - _sigmoid(s))),
                ("preactivation_in_error", 2 * (a - y) * sp),
                ("matmul_instead_of_elementwise", np.dot(2 * (s - y), sp)),
            ]
        ),
    }
    a = np.array([0.5, -0.5, 1.0])
    W = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, -1.0]])
    back = W @ np.array([0.2, 0.1])
    s = _sigmoid(a)
    out["hidden_delta"] = {
        "expected": s * (1 - s) * back,
        "mistakes": _mistakes(
            [
                ("missing_activation_derivative", back),
                ("activation_not_derivative", s * back),
                ("derivative_at_z", _sigmoid(s) * (1 - _sigmoid(s)) * back),
                ("matmul_instead_of_elementwise", np.dot(s * (1 - s), back)),
            ]
        ),
    }
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    r = np.random.default_rng(4)
    p = {
        "W1": r.normal(size=(2, 3)),
        "b1": np.zeros(3),
        "W2": r.normal(size=(3, 1)),
        "b2": np.zeros(1),
    }
    x, t = np.array([1.0, 0.0]), np.array([1.0])
    G = ref.backprop_one_example(p, x, t)
    a1 = x @ p["W1"] + p["b1"]
    z1 = _sigmoid(a1)
    z2 = _sigmoid(z1 @ p["W2"] + p["b2"])
    sp1, sp2 = z1 * (1 - z1), z2 * (1 - z2)

    def hidden_scaled(factor):
        return {"W1": G["W1"] * factor, "b1": G["b1"] * factor}

    def all_scaled(factor):
        return {k: v * factor for k, v in G.items()}

    out["backprop_one_example"] = {
        "expected": G,
        "mistakes": _mistakes(
            [
                ("missing_activation_derivative", hidden_scaled(1 / sp1)),
                ("missing_activation_derivative", all_scaled(1 / sp2)),
                ("missing_loss_derivative", all_scaled(1 / (2 * (z2 - t)))),
                ("off_by_one_layer", hidden_scaled(sp2 / sp1)),
                (
                    "off_by_one_layer",
                    {"W1": np.outer(x, G["b2"]), "W2": np.outer(z1, G["b1"])},
                ),
                (
                    "off_by_one_layer",
                    {"W2": np.outer(x, G["b2"]), "W1": np.outer(z1, G["b1"])},
                ),
                ("preactivation_not_activation", {"W2": np.outer(a1, G["b2"])}),
            ]
        ),
    }

    def averaged(rows, divisor):
        g = ref.batch_gradients(p, X[rows], Y[rows])
        return {k: v * len(X[rows]) / divisor for k, v in g.items()}

    out["batch_gradients"] = {
        "expected": ref.batch_gradients(p, X, Y),
        "mistakes": _mistakes(
            [
                ("overwrites_not_accumulates", averaged(slice(-1, None), 4)),
                ("skips_an_example", averaged(slice(1, None), 4)),
                ("skips_an_example", averaged(slice(None, -1), 4)),
                ("divides_by_n_minus_1", averaged(slice(None), 3)),
            ]
        ),
    }

    def train(params, lr, epochs):
        for _ in range(epochs):
            params = ref.sgd_step(params, ref.batch_gradients(params, X, Y), lr)
        return params

    g1 = ref.batch_gradients(p, X, Y)
    out["train_xor"] = {
        "one_step": train(p, 0.5, 1),
        "wrong_sign": ref.sgd_step(p, g1, -0.5),
        "two_steps": train(p, 0.5, 2),
        "trained": train(p, 2.0, 2000),
    }
    return out


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
