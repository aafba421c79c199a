# ruff: noqa: E501  (the bank of wrong answers is code in strings, kept one per line)
"""Every exercise grades right: solutions score full marks, fresh exercises score zero
("not attempted"), and a bank of plausible wrong answers earns nothing on the part it breaks.

A wrong answer replaces the solution region of one answer cell in a copy of the solution
notebook; several wrong answers whose parts do not depend on each other share one submission
(see ``DEPENDS``), so the whole bank is graded in a few batches by the real grader.
"""

from __future__ import annotations

import ast
import atexit
import functools
import re
import shutil
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest

from backprop_course.grading import build_exercises, grade_batch

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))

# (answer grade_id, code replacing its solution region, test grade_id it must fail, why,
#  the diagnosis code the grader must give that part: the mistake named, see GENERIC)
MUTANTS = {
    "01_perceptron.ipynb": [
        (
            "signed_distance",
            "return X @ w + b",
            "signed_distance_tests",
            "forgot to divide by ||w||",
            "missing_norm",
        ),
        (
            "signed_distance",
            "return (X @ w) / np.linalg.norm(w)",
            "signed_distance_tests",
            "forgot the bias",
            "missing_bias",
        ),
        (
            "signed_distance",
            "return -(X @ w + b) / np.linalg.norm(w)",
            "signed_distance_tests",
            "wrong sign",
            "wrong_sign",
        ),
        (
            "signed_distance",
            "return (X @ w + b) / np.sum(w ** 2)",
            "signed_distance_tests",
            "divides by ||w||^2",
            "divides_by_norm_squared",
        ),
        (
            "signed_distance",
            "return (w @ X + b) / np.linalg.norm(w)",
            "signed_distance_tests",
            "operands of @ swapped (w @ X)",
            "shape_error",
        ),
        (
            "criterion",
            "m = y * (X @ w + b)\nreturn float(-np.sum(m))",
            "criterion_tests",
            "sums over all points, not only the misclassified",
            "sums_all_points",
        ),
        (
            "criterion",
            "m = y * (X @ w + b)\nreturn float(np.sum(m[m <= 0]))",
            "criterion_tests",
            "wrong sign",
            "wrong_sign",
        ),
        (
            "criterion",
            "m = (X @ w + b)\nreturn float(-np.sum(m[m <= 0]))",
            "criterion_tests",
            "forgot the labels",
            "missing_labels",
        ),
        (
            "criterion",
            "m = y * (w @ X + b)\nreturn float(-np.sum(m[m <= 0]))",
            "criterion_tests",
            "operands of @ swapped (w @ X)",
            "shape_error",
        ),
        (
            "criterion_gradient",
            "wrong = y * (X @ w + b) <= 0\nreturn y[wrong] @ X[wrong], float(np.sum(y[wrong]))",
            "criterion_gradient_tests",
            "slide's sign error",
            "wrong_sign",
        ),
        (
            "criterion_gradient",
            "wrong = y * (X @ w + b) < 0\nreturn -(y[wrong] @ X[wrong]), float(-np.sum(y[wrong]))",
            "criterion_gradient_tests",
            "points on the hyperplane left out of M",
            "margin_zero_as_correct",
        ),
        (
            "criterion_gradient",
            "return -(y @ X), float(-np.sum(y))",
            "criterion_gradient_tests",
            "gradient over all points",
            "sums_all_points",
        ),
        (
            "criterion_gradient",
            "wrong = y * (X @ w + b) <= 0\nreturn -(y[wrong] @ X[wrong]), float(-np.sum(X[wrong]))",
            "criterion_gradient_tests",
            "bias gradient sums x instead of y",
            "bias_grad_from_x",
        ),
        (
            "criterion_gradient",
            "wrong = y * (w @ X + b) <= 0\nreturn -(y[wrong] @ X[wrong]), float(-np.sum(y[wrong]))",
            "criterion_gradient_tests",
            "operands of @ swapped (w @ X)",
            "shape_error",
        ),
        (
            "sgd_update",
            "if y_i * (np.dot(w, x_i) + b) <= 0:\n    return w - lr * y_i * x_i, b - lr * y_i\n"
            "return w, b",
            "sgd_update_tests",
            "slide's sign error",
            "wrong_sign",
        ),
        (
            "sgd_update",
            "return w + lr * y_i * np.asarray(x_i), b + lr * y_i",
            "sgd_update_tests",
            "updates on every point",
            "updates_every_point",
        ),
        (
            "sgd_update",
            "if y_i * (np.dot(w, x_i) + b) <= 0:\n    w += lr * y_i * np.asarray(x_i)\n"
            "    b += lr * y_i\nreturn w, b",
            "sgd_update_tests",
            "updates w in place",
            "modified_input",
        ),
        (
            "sgd_update",
            "if y_i * (np.dot(w, x_i) + b) < 0:\n    return w + lr * y_i * np.asarray(x_i), b + lr * y_i\n"
            "return w.copy(), b",
            "sgd_update_tests",
            "margin 0 counted as correct",
            "margin_zero_as_correct",
        ),
        (
            "sgd_update",
            "if y_i * (np.dot(w, x_i) + b) <= 0:\n    return w + y_i * np.asarray(x_i), b + y_i\n"
            "return w.copy(), b",
            "sgd_update_tests",
            "forgot the learning rate",
            "missing_learning_rate",
        ),
        (
            "sgd_update",
            "if y_i * (np.dot(w, x_i) + b) <= 0:\n    return w + lr * y_i * np.asarray(x_i), b\n"
            "return w.copy(), b",
            "sgd_update_tests",
            "forgot the bias update",
            "biases_not_updated",
        ),
        (
            "train_perceptron",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\n"
            "for epoch in range(1, max_epochs + 1):\n    mistakes = 0\n"
            "    for i in range(1, len(X)):\n        if y[i] * (w @ X[i] + b) <= 0:\n"
            "            mistakes += 1\n            w, b = w + lr * y[i] * X[i], b + lr * y[i]\n"
            "    if mistakes == 0:\n        return w, b, epoch\nreturn w, b, max_epochs",
            "train_perceptron_tests",
            "off by one: skips the first point (slide's range(1, d))",
            "skips_an_example",
        ),
        (
            "train_perceptron",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\n"
            "for epoch in range(max_epochs):\n    mistakes = 0\n"
            "    for x_i, y_i in zip(X, y):\n        if y_i * (w @ x_i + b) <= 0:\n"
            "            mistakes += 1\n            w, b = w + lr * y_i * x_i, b + lr * y_i\n"
            "    if mistakes == 0:\n        return w, b, epoch\nreturn w, b, max_epochs",
            "train_perceptron_tests",
            "epoch count off by one",
            "off_by_one_epoch",
        ),
        (
            "train_perceptron",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\n"
            "for epoch in range(1, max_epochs + 1):\n"
            "    for x_i, y_i in zip(X, y):\n        if y_i * (w @ x_i + b) <= 0:\n"
            "            w, b = w + lr * y_i * x_i, b + lr * y_i\n"
            "return w, b, max_epochs",
            "train_perceptron_tests",
            "never stops early",
            "never_stops",
        ),
        (
            "train_perceptron",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\n"
            "for epoch in range(1, max_epochs + 1):\n    mistakes = 0\n"
            "    for x_i, y_i in zip(X, y):\n        if y_i * (w @ x_i + b) <= 0:\n"
            "            mistakes += 1\n            w = w + lr * y_i * x_i\n"
            "    if mistakes == 0:\n        return w, b, epoch\nreturn w, b, max_epochs",
            "train_perceptron_tests",
            "forgot the bias update",
            "biases_not_updated",
        ),
        (
            "train_perceptron",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\n"
            "for epoch in range(1, max_epochs + 1):\n    mistakes = 0\n"
            "    for x_i, y_i in zip(X, y):\n        if y_i * (w @ x_i + b) <= 0:\n"
            "            mistakes += 1\n            w, b = w - lr * y_i * x_i, b - lr * y_i\n"
            "    if mistakes == 0:\n        return w, b, epoch\nreturn w, b, max_epochs",
            "train_perceptron_tests",
            "wrong sign of the update",
            "wrong_sign",
        ),
        (
            "train_perceptron",
            "X = np.asarray(X, dtype=float)\nw, b = np.zeros(X.shape[1]), 0.0\n"
            "for epoch in range(1, max_epochs + 1):\n    mistakes = 0\n"
            "    for x_i, y_i in zip(X[:-1], y[:-1]):\n        if y_i * (w @ x_i + b) <= 0:\n"
            "            mistakes += 1\n            w, b = w + lr * y_i * x_i, b + lr * y_i\n"
            "    if mistakes == 0:\n        return w, b, epoch\nreturn w, b, max_epochs",
            "train_perceptron_tests",
            "off by one: skips the last point",
            "skips_an_example",
        ),
    ],
}
MUTANTS["02_gradient_descent.ipynb"] = [
    (
        "quadratic_gradient",
        "return A @ w + c",
        "quadratic_gradient_tests",
        "assumes A symmetric",
        "assumes_symmetric",
    ),
    (
        "quadratic_gradient",
        "return (A + A.T) @ w + c",
        "quadratic_gradient_tests",
        "factor 2 on the quadratic term",
        "missing_half",
    ),
    (
        "quadratic_gradient",
        "return 0.5 * (A + A.T) @ w",
        "quadratic_gradient_tests",
        "forgot c",
        "missing_linear_term",
    ),
    (
        "quadratic_gradient",
        "return A.T @ w + c",
        "quadratic_gradient_tests",
        "only the transpose",
        "only_transpose",
    ),
    (
        "quadratic_gradient",
        "return -(0.5 * (A + A.T) @ w + c)",
        "quadratic_gradient_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "quadratic_gradient",
        "return w @ A + c",
        "quadratic_gradient_tests",
        "operands of @ swapped (w @ A is A^T w)",
        "only_transpose",
    ),
    (
        "gradient_descent",
        "w = np.array(w0, dtype=float)\npath = []\nfor _ in range(n_steps):\n    w = w - lr * grad_fn(w)\n"
        "    path.append(w)\nreturn np.array(path)",
        "gradient_descent_tests",
        "path misses w0 (off by one)",
        "off_by_one_step",
    ),
    (
        "gradient_descent",
        "w = np.asarray(w0, dtype=float)\npath = [w.copy()]\nfor _ in range(n_steps):\n    w -= lr * grad_fn(w)\n"
        "    path.append(w.copy())\nreturn np.array(path)",
        "gradient_descent_tests",
        "updates w0 in place",
        "modified_input",
    ),
    (
        "gradient_descent",
        "w = np.array(w0, dtype=float)\npath = [w.copy()]\nfor _ in range(n_steps):\n    w -= lr * grad_fn(w)\n"
        "    path.append(w)\nreturn np.array(path)",
        "gradient_descent_tests",
        "appends the same array each step",
        "same_array_appended",
    ),
    (
        "gradient_descent",
        "w = np.array(w0, dtype=float)\npath = [w]\nfor _ in range(n_steps):\n    w = w + lr * grad_fn(w)\n"
        "    path.append(w)\nreturn np.array(path)",
        "gradient_descent_tests",
        "gradient ascent (wrong sign)",
        "wrong_sign",
    ),
    (
        "gradient_descent",
        "w0 = np.asarray(w0, dtype=float)\n"
        "return np.array([w0 * (1 - lr * np.array([1.0, 10.0])) ** t for t in range(n_steps + 1)])",
        "gradient_descent_tests",
        "cheat: the closed form of the public test's bowl, never calls grad_fn",
        "hard_coded",
    ),
    (
        "gradient_descent",
        "w = np.array(w0, dtype=float)\npath = [w]\nfor _ in range(n_steps - 1):\n    w = w - lr * grad_fn(w)\n"
        "    path.append(w)\nreturn np.array(path)",
        "gradient_descent_tests",
        "one step too few (off by one)",
        "off_by_one_step",
    ),
    (
        "gradient_descent",
        "w = np.array(w0, dtype=float)\npath = [w]\nfor _ in range(n_steps + 1):\n    w = w - lr * grad_fn(w)\n"
        "    path.append(w)\nreturn np.array(path)",
        "gradient_descent_tests",
        "one step too many (off by one)",
        "off_by_one_step",
    ),
    (
        "max_stable_lr",
        "return float(1.0 / np.max(np.linalg.eigvalsh(A)))",
        "max_stable_lr_tests",
        "1/lambda_max",
        "factor_2",
    ),
    (
        "max_stable_lr",
        "return float(2.0 / np.min(np.linalg.eigvalsh(A)))",
        "max_stable_lr_tests",
        "2/lambda_min",
        "uses_lambda_min",
    ),
    (
        "max_stable_lr",
        "return float(2.0 / np.max(np.diag(A)))",
        "max_stable_lr_tests",
        "largest diagonal entry",
        "uses_diagonal",
    ),
    (
        "max_stable_lr",
        "return float(2.0 / np.trace(A))",
        "max_stable_lr_tests",
        "trace instead of lambda_max",
        "uses_trace",
    ),
    (
        "max_stable_lr",
        "return float(-2.0 / np.max(np.linalg.eigvalsh(A)))",
        "max_stable_lr_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\nn = X.shape[0]\nw, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps + 1):\n    r = X @ w + b - y\n    losses.append(np.mean(r**2))\n"
        "    if step == n_steps:\n        break\n    w = w - lr * 2 * (X.T @ r)\n    b = b - lr * 2 * np.sum(r)\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "no 1/N",
        "missing_batch_mean",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\nn = X.shape[0]\nw, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps + 1):\n    r = X @ w + b - y\n    losses.append(np.mean(r**2))\n"
        "    if step == n_steps:\n        break\n    w = w - lr / n * (X.T @ r)\n    b = b - lr / n * np.sum(r)\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "forgot the factor 2",
        "factor_2",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\nn = X.shape[0]\nw, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps + 1):\n    r = X @ w + b - y\n    losses.append(np.mean(r**2))\n"
        "    if step == n_steps:\n        break\n    w = w - lr * (2 / n) * (X.T @ r)\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "forgot the bias",
        "biases_not_updated",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\nn = X.shape[0]\nw, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps):\n    r = X @ w + b - y\n    w = w - lr * (2 / n) * (X.T @ r)\n"
        "    b = b - lr * (2 / n) * np.sum(r)\n    losses.append(np.mean((X @ w + b - y)**2))\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "losses miss the start (off by one)",
        "off_by_one_step",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\nn = X.shape[0]\nw, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps + 1):\n    r = X @ w + b - y\n    losses.append(np.mean(r**2))\n"
        "    if step == n_steps:\n        break\n    w = w + lr * (2 / n) * (X.T @ r)\n    b = b + lr * (2 / n) * np.sum(r)\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\ny = np.asarray(y, dtype=float)\nn = X.shape[0]\n"
        "if n_steps >= 100:\n    sol = np.linalg.lstsq(np.c_[X, np.ones(n)], y, rcond=None)[0]\n"
        "    best, start = np.mean((X @ sol[:-1] + sol[-1] - y) ** 2), np.mean(y**2)\n"
        "    return sol[:-1], float(sol[-1]), best + (start - best) * np.exp(-np.arange(n_steps + 1))\n"
        "w, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps + 1):\n    r = X @ w + b - y\n    losses.append(np.mean(r**2))\n"
        "    if step == n_steps:\n        break\n    w = w - lr * (2 / n) * (X.T @ r)\n    b = b - lr * (2 / n) * np.sum(r)\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "cheat: least squares (with a made-up loss curve) for long runs, gradient descent for short ones",
        "losses_not_from_descent",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\nn = X.shape[0]\nw, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps + 1):\n    r = X @ w + b - y\n    losses.append(np.mean(r**2))\n"
        "    if step == n_steps:\n        break\n    w = w - lr * (2 / n) * (X @ r)\n    b = b - lr * (2 / n) * np.sum(r)\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "X @ r instead of X.T @ r",
        "shape_error",
    ),
    (
        "fit_linear_regression",
        "X = np.asarray(X, dtype=float)\nn = X.shape[0]\nw, b = np.zeros(X.shape[1]), 0.0\nlosses = []\n"
        "for step in range(n_steps + 1):\n    r = X @ w + b - y\n    losses.append(np.mean(r**2))\n"
        "    w = w - lr * (2 / n) * (X.T @ r)\n    b = b - lr * (2 / n) * np.sum(r)\n"
        "return w, float(b), np.array(losses)",
        "fit_linear_regression_tests",
        "one step too many: updates after the last loss too (off by one)",
        "off_by_one_step",
    ),
]
_FD = (
    "work = {k: np.array(v, dtype=float) for k, v in params.items()}\ngrads = {}\n"
    "for key, value in work.items():\n    g = np.zeros_like(value)\n    for idx in np.ndindex(value.shape):\n"
    "        old = value[idx]\n        value[idx] = old + eps\n        plus = loss_fn(work)\n"
    "        value[idx] = old - eps\n        minus = loss_fn(work)\n        value[idx] = old\n"
    "        g[idx] = (plus - minus) / (2 * eps)\n    grads[key] = g\n"
    "return grads"
)
_CHAIN = (
    "ws = np.asarray(ws, dtype=float)\nT = len(ws)\nz = np.empty(T + 1)\nz[0] = x\n"
    "for t in range(T):\n    z[t + 1] = np.tanh(ws[t] * z[t])\ng = (1 - z[1:] ** 2) * ws\n"
    "h = (1 - z[1:] ** 2) * z[:-1]\ngrads = np.empty(T)\n"
)
_NAIVE = _CHAIN + (
    "for t in range(T):\n    prod = h[t]\n    for s in range(t + 1, T):\n        prod = mul(prod, g[s])\n"
    "    grads[t] = prod\nreturn grads"
)
_BP = _CHAIN + (
    "m = 1.0\nfor t in range(T - 1, -1, -1):\n    grads[t] = m * h[t]\n    if t > 0:\n"
    "        m = mul(m, g[t])\nreturn grads"
)
_TRAIN = (
    "params = {k: np.array(v, dtype=float) for k, v in params.items()}\nlosses = [loss_fn(params)]\n"
    "for _ in range(n_steps):\n    grads = {}\n"
    "    for key, value in params.items():\n        g = np.zeros_like(value)\n"
    "        for idx in np.ndindex(value.shape):\n"
    "            plus = {k: v.copy() for k, v in params.items()}\n"
    "            minus = {k: v.copy() for k, v in params.items()}\n"
    "            plus[key][idx] += 1e-6\n            minus[key][idx] -= 1e-6\n"
    "            g[idx] = (loss_fn(plus) - loss_fn(minus)) / 2e-6\n"
    "        grads[key] = g\n"
    "    params = {k: params[k] - lr * grads[k] for k in params}\n"
    "    losses.append(loss_fn(params))\nreturn params, np.array(losses)"
)
MUTANTS["03_naive_gradients.ipynb"] = [
    (
        "central_difference",
        "return float((f(x + eps) - f(x)) / eps)",
        "central_difference_tests",
        "one-sided difference",
        "one_sided_difference",
    ),
    (
        "central_difference",
        "return float((f(x) - f(x - eps)) / eps)",
        "central_difference_tests",
        "backward one-sided difference",
        "one_sided_difference",
    ),
    (
        "central_difference",
        "return float((f(x + eps) - f(x - eps)) / eps)",
        "central_difference_tests",
        "forgot the 2",
        "factor_2",
    ),
    (
        "central_difference",
        "return float((f(x - eps) - f(x + eps)) / (2 * eps))",
        "central_difference_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "finite_difference_gradients",
        _FD.replace(
            "        value[idx] = old - eps\n        minus = loss_fn(work)\n        value[idx] = old\n        g[idx] = (plus - minus) / (2 * eps)",
            "        value[idx] = old\n        minus = loss_fn(work)\n        g[idx] = (plus - minus) / eps",
        ),
        "finite_difference_gradients_tests",
        "one-sided difference",
        "one_sided_difference",
    ),
    (
        "finite_difference_gradients",
        _FD.replace("        value[idx] = old\n        g[idx]", "        g[idx]"),
        "finite_difference_gradients_tests",
        "forgets to put the weight back",
        "weight_not_restored",
    ),
    (
        "finite_difference_gradients",
        _FD.replace(
            "work = {k: np.array(v, dtype=float) for k, v in params.items()}", "work = params"
        ).replace("        value[idx] = old\n        g[idx]", "        g[idx]"),
        "finite_difference_gradients_tests",
        "perturbs the caller's params and never restores them",
        "modified_input",
    ),
    (
        "finite_difference_gradients",
        _FD.replace(
            "        old = value[idx]\n", "        old = value[idx]\n        base = loss_fn(work)\n"
        ),
        "finite_difference_gradients_tests",
        "an extra forward pass per weight (the unperturbed loss, never used)",
        "wrong_forward_count",
    ),
    (
        "naive_chain_gradients",
        _NAIVE.replace("g = (1 - z[1:] ** 2) * ws", "g = (1 - z[:-1] ** 2) * ws"),
        "naive_chain_gradients_tests",
        "activation derivative at the wrong layer",
        "off_by_one_layer",
    ),
    (
        "naive_chain_gradients",
        _NAIVE.replace("range(t + 1, T)", "range(t, T)"),
        "naive_chain_gradients_tests",
        "off by one: includes g_t",
        "includes_g_t",
    ),
    (
        "naive_chain_gradients",
        _NAIVE.replace("g = (1 - z[1:] ** 2) * ws", "g = (1 - np.tanh(z[1:]) ** 2) * ws").replace(
            "h = (1 - z[1:] ** 2) * z[:-1]", "h = (1 - np.tanh(z[1:]) ** 2) * z[:-1]"
        ),
        "naive_chain_gradients_tests",
        "tanh' evaluated at the output instead of s",
        "derivative_at_z",
    ),
    (
        "naive_chain_gradients",
        _NAIVE.replace("g = (1 - z[1:] ** 2) * ws", "g = ws").replace(
            "h = (1 - z[1:] ** 2) * z[:-1]", "h = z[:-1]"
        ),
        "naive_chain_gradients_tests",
        "forgot tanh'",
        "missing_activation_derivative",
    ),
    (
        "naive_chain_gradients",
        _NAIVE.replace("    grads[t] = prod\n", "    grads[t] = -prod\n"),
        "naive_chain_gradients_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "naive_chain_gradients",
        _NAIVE.replace("prod = mul(prod, g[s])", "prod = prod * g[s]"),
        "naive_chain_gradients_tests",
        "never calls mul",
        "wrong_mult_count",
    ),
    (
        "naive_chain_gradients",
        _BP.replace("m = mul(m, g[t])", "m = mul(m, g[t])\n        mul(1.0, 1.0)"),
        "naive_chain_gradients_tests",
        "cheat: backprop's messages in the naive function",
        "wrong_mult_count",
    ),
    (
        "naive_chain_gradients",
        _NAIVE.replace("prod = mul(prod, g[s])", "prod = prod * g[s]\n        mul(prod, g[s])"),
        "naive_chain_gradients_tests",
        "cheat: multiplies with * and calls mul as often as asked",
        "bypasses_mul",
    ),
    (
        "backprop_chain_gradients",
        _BP.replace("    if t > 0:\n        m = mul(m, g[t])", "    m = mul(m, g[t])"),
        "backprop_chain_gradients_tests",
        "makes the useless last update",
        "wrong_mult_count",
    ),
    (
        "backprop_chain_gradients",
        _BP.replace(
            "    grads[t] = m * h[t]\n    if t > 0:\n        m = mul(m, g[t])",
            "    m = mul(m, g[t])\n    grads[t] = m * h[t]",
        ),
        "backprop_chain_gradients_tests",
        "updates the message too early",
        "includes_g_t",
    ),
    (
        "backprop_chain_gradients",
        _BP.replace("for t in range(T - 1, -1, -1)", "for t in range(T - 1, 0, -1)").replace(
            "grads = np.empty(T)", "grads = np.zeros(T)"
        ),
        "backprop_chain_gradients_tests",
        "off by one: loop stops before w_1",
        "skips_a_weight",
    ),
    (
        "backprop_chain_gradients",
        _BP.replace("h = (1 - z[1:] ** 2) * z[:-1]", "h = z[:-1]"),
        "backprop_chain_gradients_tests",
        "forgot the activation derivative in h",
        "missing_activation_derivative",
    ),
    (
        "backprop_chain_gradients",
        _NAIVE,
        "backprop_chain_gradients_tests",
        "the naive chain rule in place of messages",
        "wrong_mult_count",
    ),
    (
        "backprop_chain_gradients",
        _BP.replace("m = mul(m, g[t])", "m = m * g[t]\n        mul(m, g[t])"),
        "backprop_chain_gradients_tests",
        "cheat: multiplies with * and calls mul as often as asked",
        "bypasses_mul",
    ),
    (
        "loglog_slope",
        "return float(np.polyfit(np.log(sizes), np.log(costs), 1)[1])",
        "loglog_slope_tests",
        "returns the intercept",
        "returns_intercept",
    ),
    (
        "loglog_slope",
        "return float(np.polyfit(sizes, costs, 1)[0])",
        "loglog_slope_tests",
        "no logs",
        "no_logs",
    ),
    (
        "loglog_slope",
        "return float(np.log(costs[-1] / costs[0]) / np.log(sizes[-1] / sizes[0]))",
        "loglog_slope_tests",
        "two end points instead of least squares",
        "two_end_points",
    ),
    (
        "train_with_finite_differences",
        _TRAIN.replace("params[k] - lr", "params[k] + lr"),
        "train_with_finite_differences_tests",
        "gradient ascent",
        "wrong_sign",
    ),
    (
        "train_with_finite_differences",
        _TRAIN.replace("for _ in range(n_steps):", "for _ in range(n_steps - 1):"),
        "train_with_finite_differences_tests",
        "one step short",
        "wrong_shape",
    ),
    (
        "train_with_finite_differences",
        _TRAIN.replace(
            "params = {k: params[k] - lr * grads[k] for k in params}",
            "new = {k: params[k] - lr * grads[k] for k in params}",
        ).replace("losses.append(loss_fn(params))", "losses.append(loss_fn(new))"),
        "train_with_finite_differences_tests",
        "never keeps the updated parameters",
        "params_not_updated",
    ),
    (
        "train_with_finite_differences",
        "params = {k: np.array(v, dtype=float) for k, v in params.items()}\nlosses = [loss_fn(params)]\n"
        "for _ in range(n_steps):\n"
        "    grads = {k: np.full_like(v, 0.01) for k, v in params.items()}\n"
        "    params = {k: params[k] - lr * grads[k] for k in params}\n"
        "    losses.append(loss_fn(params))\nreturn params, np.array(losses)",
        "train_with_finite_differences_tests",
        "cheat: steps without finite-difference gradients",
        "not_finite_differences",
    ),
]
_PER_EXAMPLE = (
    "z1 = sigmoid(x @ params['W1'] + params['b1'])\n"
    "z2 = sigmoid(z1 @ params['W2'] + params['b2'])\n"
    "d2 = 2 * (z2 - y) * z2 * (1 - z2)\n"
    "d1 = z1 * (1 - z1) * (params['W2'] @ d2)\n"
    "g = {'W1': np.outer(x, d1), 'b1': d1, 'W2': np.outer(z1, d2), 'b2': d2}\n"
)
_ONE = (
    "x = np.asarray(x, dtype=float)\na1 = x @ params['W1'] + params['b1']\nz1 = sigmoid(a1)\n"
    "a2 = z1 @ params['W2'] + params['b2']\nz2 = sigmoid(a2)\ndelta2 = 2 * (z2 - y) * z2 * (1 - z2)\n"
    "delta1 = z1 * (1 - z1) * (params['W2'] @ delta2)\n"
    "return {'W1': np.outer(x, delta1), 'b1': delta1, 'W2': np.outer(z1, delta2), 'b2': delta2}"
)
_BATCH = (
    "total = {k: np.zeros_like(v, dtype=float) for k, v in params.items()}\nfor x, y in zip(X, Y):\n"
    + textwrap.indent(_PER_EXAMPLE, "    ")
    + "    for k in total:\n        total[k] = total[k] + g[k]\n"
    "return {k: v / len(X) for k, v in total.items()}"
)
_XOR = (
    "params = {k: np.array(v, dtype=float) for k, v in params.items()}\nfor _ in range(epochs):\n"
    "    grads = {k: np.zeros_like(v) for k, v in params.items()}\n    for x, y in zip(X, Y):\n"
    + textwrap.indent(_PER_EXAMPLE, "        ")
    + "        for k in grads:\n            grads[k] = grads[k] + g[k] / len(X)\n"
    "    params = {k: params[k] - lr * grads[k] for k in params}\n"
    "return params"
)
MUTANTS["04_backprop_derivation.ipynb"] = [
    (
        "sigmoid_prime",
        "s = sigmoid(a)\nreturn s * (1 - a)",
        "sigmoid_prime_tests",
        "mixes a and sigma(a)",
        "mixes_a_and_sigmoid",
    ),
    (
        "sigmoid_prime",
        "return a * (1 - a)",
        "sigmoid_prime_tests",
        "derivative from the output applied to a",
        "sigmoid_not_applied",
    ),
    (
        "sigmoid_prime",
        "return 1 - sigmoid(a) ** 2",
        "sigmoid_prime_tests",
        "tanh's derivative",
        "tanh_derivative",
    ),
    (
        "sigmoid_prime",
        "return (sigmoid(a + 1e-5) - sigmoid(a - 1e-5)) / 2e-5",
        "sigmoid_prime_tests",
        "cheat: a finite difference instead of the formula",
        "finite_difference",
    ),
    (
        "sigmoid_prime",
        "s = sigmoid(sigmoid(a))\nreturn s * (1 - s)",
        "sigmoid_prime_tests",
        "sigma' at z = sigma(a) instead of a",
        "derivative_at_z",
    ),
    (
        "sigmoid_prime",
        "s = sigmoid(a)\nreturn s * (s - 1)",
        "sigmoid_prime_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "sigmoid_prime",
        "return sigmoid(a)",
        "sigmoid_prime_tests",
        "the sigmoid, not its derivative",
        "not_a_derivative",
    ),
    (
        "output_delta",
        "return 2 * (y - sigmoid(a_out)) * sigmoid(a_out) * (1 - sigmoid(a_out))",
        "output_delta_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "output_delta",
        "return 2 * (sigmoid(a_out) - y)",
        "output_delta_tests",
        "forgot sigma'",
        "missing_activation_derivative",
    ),
    (
        "output_delta",
        "return sigmoid_prime(a_out)",
        "output_delta_tests",
        "forgot the loss derivative 2 (z - y)",
        "missing_loss_derivative",
    ),
    (
        "output_delta",
        "return (sigmoid(a_out) - y) ** 2 * sigmoid_prime(a_out)",
        "output_delta_tests",
        "the loss in place of its derivative",
        "missing_loss_derivative",
    ),
    (
        "output_delta",
        "return (sigmoid(a_out) - y) * sigmoid(a_out) * (1 - sigmoid(a_out))",
        "output_delta_tests",
        "forgot the 2",
        "factor_2",
    ),
    (
        "output_delta",
        "return 2 * (sigmoid(a_out) - y) * sigmoid(a_out)",
        "output_delta_tests",
        "sigma instead of sigma'",
        "activation_not_derivative",
    ),
    (
        "output_delta",
        "return 2 * (sigmoid(a_out) - y) * sigmoid_prime(sigmoid(a_out))",
        "output_delta_tests",
        "sigma' at z instead of a",
        "derivative_at_z",
    ),
    (
        "output_delta",
        "return 2 * (a_out - y) * sigmoid_prime(a_out)",
        "output_delta_tests",
        "pre-activation in the error term",
        "preactivation_in_error",
    ),
    (
        "output_delta",
        "return 2 * (sigmoid(a_out) - y) @ sigmoid_prime(a_out)",
        "output_delta_tests",
        "@ instead of * (a single number)",
        "matmul_instead_of_elementwise",
    ),
    (
        "output_delta",
        "def cost(v):\n    return np.sum((sigmoid(v) - y) ** 2)\n"
        "a_out = np.asarray(a_out, dtype=float)\n"
        "return np.array([(cost(a_out + e) - cost(a_out - e)) / 2e-5 for e in np.eye(len(a_out)) * 1e-5])",
        "output_delta_tests",
        "cheat: a finite difference instead of the formula",
        "finite_difference",
    ),
    (
        "hidden_delta",
        "return W_next @ delta_next",
        "hidden_delta_tests",
        "forgot sigma'(a_i) (the slide's slip)",
        "missing_activation_derivative",
    ),
    (
        "hidden_delta",
        "s = sigmoid(a_hidden)\nreturn s * (1 - s) * (np.asarray(W_next).T @ delta_next)",
        "hidden_delta_tests",
        "transposed W",
        "shape_error",
    ),
    (
        "hidden_delta",
        "return sigmoid_prime(a_hidden) * (W_next.T @ delta_next)",
        "hidden_delta_tests",
        "transposed W, written W_next.T",
        "shape_error",
    ),
    (
        "hidden_delta",
        "return sigmoid_prime(a_hidden) * (delta_next @ W_next)",
        "hidden_delta_tests",
        "operands of @ swapped",
        "shape_error",
    ),
    (
        "hidden_delta",
        "return W_next @ (sigmoid_prime(a_hidden) * delta_next)",
        "hidden_delta_tests",
        "sigma' applied on the next layer's side",
        "shape_error",
    ),
    (
        "hidden_delta",
        "s = sigmoid(sigmoid(a_hidden))\nreturn s * (1 - s) * (W_next @ delta_next)",
        "hidden_delta_tests",
        "sigma' at z instead of a",
        "derivative_at_z",
    ),
    (
        "hidden_delta",
        "return sigmoid(a_hidden) * (W_next @ delta_next)",
        "hidden_delta_tests",
        "sigma instead of sigma'",
        "activation_not_derivative",
    ),
    (
        "hidden_delta",
        "return -sigmoid_prime(a_hidden) * (W_next @ delta_next)",
        "hidden_delta_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "hidden_delta",
        "return sigmoid_prime(a_hidden) @ (W_next @ delta_next)",
        "hidden_delta_tests",
        "@ instead of * (a single number)",
        "matmul_instead_of_elementwise",
    ),
    (
        "backprop_one_example",
        _ONE.replace("np.outer(x, delta1)", "np.outer(delta1, x)"),
        "backprop_one_example_tests",
        "transposed weight gradient",
        "transposed",
    ),
    (
        "backprop_one_example",
        _ONE.replace("'b1': delta1", "'b1': np.zeros_like(delta1)"),
        "backprop_one_example_tests",
        "forgot the bias gradient",
        "zero_gradient",
    ),
    (
        "backprop_one_example",
        _ONE.replace("np.outer(z1, delta2)", "np.outer(a1, delta2)"),
        "backprop_one_example_tests",
        "pre-activation instead of activation",
        "preactivation_not_activation",
    ),
    (
        "backprop_one_example",
        _ONE.replace(
            "(params['W2'] @ delta2)",
            "(0.5 * params['W2'] @ delta2)",
        ),
        "backprop_one_example_tests",
        "wrong weights in the hidden rule",
        "factor_2",
    ),
    (
        "backprop_one_example",
        _ONE.replace("z1 * (1 - z1) * (params['W2'] @ delta2)", "params['W2'] @ delta2"),
        "backprop_one_example_tests",
        "forgot sigma' in the hidden messages",
        "missing_activation_derivative",
    ),
    (
        "backprop_one_example",
        _ONE.replace("2 * (z2 - y) * z2 * (1 - z2)", "2 * (z2 - y)"),
        "backprop_one_example_tests",
        "forgot sigma' in the output message",
        "missing_activation_derivative",
    ),
    (
        "backprop_one_example",
        _ONE.replace("2 * (z2 - y) * z2 * (1 - z2)", "z2 * (1 - z2)"),
        "backprop_one_example_tests",
        "forgot the loss derivative in the output message",
        "missing_loss_derivative",
    ),
    (
        "backprop_one_example",
        _ONE.replace("2 * (z2 - y) * z2 * (1 - z2)", "2 * (y - z2) * z2 * (1 - z2)"),
        "backprop_one_example_tests",
        "wrong sign of the output message",
        "wrong_sign",
    ),
    (
        "backprop_one_example",
        _ONE.replace("z1 * (1 - z1) * (params['W2']", "z2 * (1 - z2) * (params['W2']"),
        "backprop_one_example_tests",
        "off by one layer: sigma' of the output layer in the hidden rule",
        "off_by_one_layer",
    ),
    (
        "backprop_one_example",
        _ONE.replace("(params['W2'] @ delta2)", "(params['W1'] @ delta2)"),
        "backprop_one_example_tests",
        "off by one layer: the first layer's weights in the hidden rule",
        "shape_error",
    ),
    (
        "backprop_one_example",
        _ONE.replace("np.outer(z1, delta2)", "np.outer(x, delta2)"),
        "backprop_one_example_tests",
        "off by one layer: the input x in the gradient of W2",
        "off_by_one_layer",
    ),
    (
        "backprop_one_example",
        _ONE.replace("np.outer(x, delta1)", "np.outer(x, delta2)"),
        "backprop_one_example_tests",
        "off by one layer: the output message in the gradient of W1",
        "off_by_one_layer",
    ),
    (
        "backprop_one_example",
        "def c(p):\n    z1 = sigmoid(x @ p['W1'] + p['b1'])\n    return np.sum((sigmoid(z1 @ p['W2'] + p['b2']) - y) ** 2)\n"
        "x = np.asarray(x, dtype=float)\nout = {}\nfor k, v in params.items():\n    g = np.zeros_like(v, dtype=float)\n"
        "    for idx in np.ndindex(v.shape):\n        a = {kk: np.array(vv, dtype=float) for kk, vv in params.items()}\n"
        "        m = {kk: np.array(vv, dtype=float) for kk, vv in params.items()}\n        a[k][idx] += 1e-5\n"
        "        m[k][idx] -= 1e-5\n        g[idx] = (c(a) - c(m)) / 2e-5\n    out[k] = g\nreturn out",
        "backprop_one_example_tests",
        "cheat: finite differences instead of the backward pass",
        "finite_difference",
    ),
    (
        "batch_gradients",
        _BATCH.replace("total[k] = total[k] + g[k]", "total[k] = g[k]"),
        "batch_gradients_tests",
        "overwrite instead of accumulate",
        "overwrites_not_accumulates",
    ),
    (
        "batch_gradients",
        _BATCH.replace("v / len(X)", "v"),
        "batch_gradients_tests",
        "no 1/N",
        "missing_batch_mean",
    ),
    (
        "batch_gradients",
        _BATCH.replace("for x, y in zip(X, Y):", "for x, y in zip(X[1:], Y[1:]):"),
        "batch_gradients_tests",
        "off by one: skips the first example",
        "skips_an_example",
    ),
    (
        "batch_gradients",
        _BATCH.replace(
            "for x, y in zip(X, Y):", "for i in range(len(X) - 1):\n    x, y = X[i], Y[i]"
        ),
        "batch_gradients_tests",
        "off by one: the loop stops before the last example",
        "skips_an_example",
    ),
    (
        "batch_gradients",
        _BATCH.replace("v / len(X)", "v / (len(X) - 1)"),
        "batch_gradients_tests",
        "divides by N - 1",
        "divides_by_n_minus_1",
    ),
    (
        "batch_gradients",
        _BATCH.replace("total[k] = total[k] + g[k]", "total[k] = total[k] - g[k]"),
        "batch_gradients_tests",
        "subtracts instead of adds",
        "wrong_sign",
    ),
    (
        "train_xor",
        _XOR.replace("params[k] - lr", "params[k] + lr"),
        "train_xor_tests",
        "gradient ascent",
        "wrong_sign",
    ),
    (
        "train_xor",
        _XOR.replace("for _ in range(epochs):", "for _ in range(epochs - 1):"),
        "train_xor_tests",
        "one epoch short",
        "off_by_one_epoch",
    ),
    (
        "train_xor",
        _XOR.replace("for _ in range(epochs):", "for _ in range(epochs + 1):"),
        "train_xor_tests",
        "one epoch too many",
        "off_by_one_epoch",
    ),
    (
        "train_xor",
        _XOR.replace("for _ in range(epochs):", "for _ in range(min(epochs, 100)):"),
        "train_xor_tests",
        "a cap of 100 epochs left in: never learns XOR",
        "not_converged",
    ),
    (
        "train_xor",
        _XOR.replace(
            "params = {k: params[k] - lr * grads[k] for k in params}",
            "params = {k: params[k] - lr * grads[k] for k in ('W1', 'W2')} | {'b1': params['b1'], 'b2': params['b2']}",
        ),
        "train_xor_tests",
        "never updates the biases",
        "biases_not_updated",
    ),
    (
        "train_xor",
        _XOR.replace(
            "params = {k: np.array(v, dtype=float) for k, v in params.items()}\n", ""
        ).replace(
            "params = {k: params[k] - lr * grads[k] for k in params}",
            "for k in params:\n        params[k] -= lr * grads[k]",
        ),
        "train_xor_tests",
        "updates the caller's params in place",
        "modified_input",
    ),
]
_LG = (
    "X = np.asarray(X, dtype=float)\nS1 = X @ params['W1'] + params['b1']\nA1 = np.tanh(S1)\n"
    "S2 = A1 @ params['W2'] + params['b2']\ns = S2[:, 0]\n"
    "loss = float(np.mean(np.logaddexp(0.0, s) - y * s))\n"
    "delta2 = (1 / (1 + np.exp(-S2)) - np.reshape(y, (-1, 1))) / len(X)\n"
    "dW2, db2 = A1.T @ delta2, delta2.sum(axis=0)\n"
    "dA1 = delta2 @ params['W2'].T\ndelta1 = dA1 * (1 - A1**2)\n"
    "dW1, db1 = X.T @ delta1, delta1.sum(axis=0)\n"
    "return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}"
)
_FIT = (
    "params = {k: np.array(v, dtype=float) for k, v in params.items()}\nlosses = []\n"
    "X = np.asarray(X, dtype=float)\nfor _ in range(n_steps):\n"
    + textwrap.indent(
        _LG.replace("X = np.asarray(X, dtype=float)\n", "").replace(
            "return loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}",
            "grads = {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}\n",
        ),
        "    ",
    )
    + "    losses.append(loss)\n"
    "    params = {k: params[k] - lr * grads[k] for k in params}\nreturn params, np.array(losses)"
)
MUTANTS["05_matrix_backprop.ipynb"] = [
    (
        "loss_and_grads",
        "X = np.asarray(X, dtype=float)\ny = np.asarray(y, dtype=float)\nn = len(X)\nloss = 0.0\n"
        "grads = {k: np.zeros_like(v, dtype=float) for k, v in params.items()}\n"
        "for x, t in zip(X, y):\n"
        "    a1 = np.tanh(x @ params['W1'] + params['b1'])\n    s = float(a1 @ params['W2'][:, 0] + params['b2'][0])\n"
        "    loss += (np.logaddexp(0.0, s) - t * s) / n\n    d2 = (1 / (1 + np.exp(-s)) - t) / n\n"
        "    d1 = d2 * params['W2'][:, 0] * (1 - a1**2)\n"
        "    grads['W1'] += np.outer(x, d1)\n    grads['b1'] += d1\n    grads['W2'] += d2 * a1[:, None]\n    grads['b2'] += d2\n"
        "return float(loss), grads",
        "loss_and_grads_tests",
        "right values, one example at a time in a Python loop",
        "loops_over_examples",
    ),
    (
        "dense_forward",
        "return A_prev @ W",
        "dense_forward_tests",
        "forgot the bias",
        "missing_bias",
    ),
    (
        "dense_forward",
        "return (W.T @ A_prev.T).T + b[:, None].T * 0",
        "dense_forward_tests",
        "column form, bias dropped",
        "missing_bias",
    ),
    (
        "dense_forward",
        "return A_prev @ W + b.reshape(-1, 1)",
        "dense_forward_tests",
        "bias added as a column, one entry per example",
        "bias_per_example",
    ),
    (
        "dense_forward",
        "return W.T @ A_prev.T + b",
        "dense_forward_tests",
        "column form W^T A^T, not transposed back",
        "transposed",
    ),
    (
        "dense_forward",
        "return W @ A_prev + b",
        "dense_forward_tests",
        "operands in the wrong order (column form W x)",
        "shape_error",
    ),
    (
        "dense_backward",
        "return delta @ W.T, delta.T @ A_prev, delta.sum(axis=0)",
        "dense_backward_tests",
        "transposed dW",
        "transposed",
    ),
    (
        "dense_backward",
        "return delta @ W.T, A_prev.T @ delta, delta.mean(axis=0)",
        "dense_backward_tests",
        "db averaged again (1/N twice)",
        "extra_batch_mean",
    ),
    (
        "dense_backward",
        "return delta @ W, A_prev.T @ delta, delta.sum(axis=0)",
        "dense_backward_tests",
        "missing transpose in dA_prev",
        "shape_error",
    ),
    (
        "dense_backward",
        "return delta @ W.T, A_prev.T @ delta, delta.sum(axis=1)",
        "dense_backward_tests",
        "sums db over the wrong axis",
        "wrong_shape",
    ),
    (
        "dense_backward",
        "return A_prev.T @ delta, delta @ W.T, delta.sum(axis=0)",
        "dense_backward_tests",
        "returns (dW, dA_prev, db): the triple in the wrong order",
        "swapped_outputs",
    ),
    (
        "dense_backward",
        "return delta @ W.T, A_prev @ delta, delta.sum(axis=0)",
        "dense_backward_tests",
        "missing transpose in dW",
        "shape_error",
    ),
    (
        "dense_backward",
        "delta = np.asarray(delta, dtype=float)\nA_prev = np.asarray(A_prev, dtype=float)\n"
        "dA, dW, db = np.zeros((len(delta), W.shape[0])), np.zeros(W.shape), np.zeros(W.shape[1])\n"
        "for i in range(len(delta)):\n    dA[i] = W @ delta[i]\n    dW = dW + np.outer(A_prev[i], delta[i])\n    db = db + delta[i]\n"
        "return dA, dW, db",
        "dense_backward_tests",
        "right values, one example at a time in a Python loop",
        "loops_over_examples",
    ),
    (
        "bce_output_delta",
        "P = 1.0 / (1.0 + np.exp(-S_out))\nreturn P - y.reshape(-1, 1)",
        "bce_output_delta_tests",
        "no 1/N",
        "missing_batch_mean",
    ),
    (
        "bce_output_delta",
        "P = 1.0 / (1.0 + np.exp(-S_out))\nreturn (y.reshape(-1, 1) - P) / len(y)",
        "bce_output_delta_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "bce_output_delta",
        "P = 1.0 / (1.0 + np.exp(-S_out))\nreturn (P - y) / len(y)",
        "bce_output_delta_tests",
        "broadcasts (n, 1) - (n,) to (n, n)",
        "broadcast_column_row",
    ),
    (
        "bce_output_delta",
        "P = 1.0 / (1.0 + np.exp(-S_out))\nreturn (P - y.reshape(-1, 1)) * P * (1 - P) / len(y)",
        "bce_output_delta_tests",
        "keeps sigma' that cancels",
        "extra_activation_derivative",
    ),
    (
        "bce_output_delta",
        "return (S_out - y.reshape(-1, 1)) / len(y)",
        "bce_output_delta_tests",
        "sigmoid not applied: S - y instead of P - y",
        "preactivation_in_error",
    ),
    (
        "bce_output_delta",
        "P = 1.0 / (1.0 + np.exp(-S_out))\nreturn 2 * (P - y.reshape(-1, 1)) * P * (1 - P) / len(y)",
        "bce_output_delta_tests",
        "the message of the squared error, not of the cross-entropy",
        "squared_error_derivative",
    ),
    (
        "bce_output_delta",
        "P = 1.0 / (1.0 + np.exp(-S_out[:, 0]))\nreturn (P - y) / len(y)",
        "bce_output_delta_tests",
        "returns a flat (n,) vector, not a column",
        "stray_axis",
    ),
    (
        "loss_and_grads",
        _LG.replace("delta1 = dA1 * (1 - A1**2)", "delta1 = dA1 * (1 - S1**2)"),
        "loss_and_grads_tests",
        "wrong activation derivative (uses S)",
        "derivative_at_preactivation",
    ),
    (
        "loss_and_grads",
        _LG.replace("delta1 = dA1 * (1 - A1**2)", "delta1 = dA1"),
        "loss_and_grads_tests",
        "forgot tanh'",
        "missing_activation_derivative",
    ),
    (
        "loss_and_grads",
        _LG.replace(
            "dW1, db1 = X.T @ delta1, delta1.sum(axis=0)",
            "dW1, db1 = X.T @ delta1, np.zeros(delta1.shape[1])",
        ),
        "loss_and_grads_tests",
        "forgot the hidden bias gradient",
        "zero_gradient",
    ),
    (
        "loss_and_grads",
        _LG.replace(
            "dW1, db1 = X.T @ delta1",
            "dW1, db1 = A1.T @ delta1",
        ),
        "loss_and_grads_tests",
        "W1's gradient from the layer's output instead of its input",
        "off_by_one_layer",
    ),
    (
        "loss_and_grads",
        _LG.replace("dW2, db2 = A1.T @ delta2", "dW2, db2 = X.T @ delta2"),
        "loss_and_grads_tests",
        "W2's gradient from the network's input X instead of the hidden activations A1",
        "off_by_one_layer",
    ),
    (
        "loss_and_grads",
        _LG.replace("dW1, db1 = X.T @ delta1", "dW1, db1 = X.T @ delta2"),
        "loss_and_grads_tests",
        "W1's gradient from the output layer's message delta2",
        "off_by_one_layer",
    ),
    (
        "loss_and_grads",
        _LG.replace("dW2, db2 = A1.T @ delta2", "dW2, db2 = S1.T @ delta2"),
        "loss_and_grads_tests",
        "W2's gradient from the hidden pre-activations S1 instead of A1",
        "preactivation_not_activation",
    ),
    (
        "loss_and_grads",
        _LG.replace("dA1 = delta2 @ params['W2'].T", "dA1 = delta2 @ params['W2']"),
        "loss_and_grads_tests",
        "W_next not transposed in the hidden message (W2 instead of W2.T)",
        "shape_error",
    ),
    (
        "loss_and_grads",
        _LG.replace(
            "delta2 = (1 / (1 + np.exp(-S2)) - np.reshape(y, (-1, 1))) / len(X)",
            "delta2 = (np.reshape(y, (-1, 1)) - 1 / (1 + np.exp(-S2))) / len(X)",
        ),
        "loss_and_grads_tests",
        "wrong sign of the output message (y - P): every gradient negated",
        "wrong_sign",
    ),
    (
        "loss_and_grads",
        _LG.replace(
            "loss = float(np.mean(np.logaddexp(0.0, s) - y * s))",
            "loss = float(np.mean(y * s - np.logaddexp(0.0, s)))",
        ),
        "loss_and_grads_tests",
        "wrong sign of the loss (the log-likelihood, not its negative)",
        "wrong_sign",
    ),
    (
        "loss_and_grads",
        _LG.replace(
            "delta2 = (1 / (1 + np.exp(-S2)) - np.reshape(y, (-1, 1))) / len(X)",
            "delta2 = 1 / (1 + np.exp(-S2)) - np.reshape(y, (-1, 1))",
        ),
        "loss_and_grads_tests",
        "forgot the 1/N of the mean in the output message",
        "missing_batch_mean",
    ),
    (
        "loss_and_grads",
        _LG.replace(
            "loss = float(np.mean(np.logaddexp(0.0, s) - y * s))",
            "loss = float(np.sum(np.logaddexp(0.0, s) - y * s))",
        ),
        "loss_and_grads_tests",
        "the loss summed over the batch instead of averaged",
        "missing_batch_mean",
    ),
    (
        "loss_and_grads",
        _LG.replace(
            "delta2 = (1 / (1 + np.exp(-S2)) - np.reshape(y, (-1, 1))) / len(X)",
            "P = 1 / (1 + np.exp(-S2))\ndelta2 = (P - np.reshape(y, (-1, 1))) * P * (1 - P) / len(X)",
        ),
        "loss_and_grads_tests",
        "keeps sigma' in the output message, which cancels with the cross-entropy",
        "extra_activation_derivative",
    ),
    (
        "loss_and_grads",
        _LG.replace("delta1 = dA1 * (1 - A1**2)", "delta1 = dA1 * A1"),
        "loss_and_grads_tests",
        "multiplies by tanh instead of tanh'",
        "activation_not_derivative",
    ),
    (
        "loss_and_grads",
        _LG.replace("delta1 = dA1 * (1 - A1**2)", "delta1 = dA1 * A1 * (1 - A1)"),
        "loss_and_grads_tests",
        "the sigmoid's derivative rule for the tanh layer",
        "sigmoid_derivative",
    ),
    (
        "loss_and_grads",
        "def lo(p):\n    s = (np.tanh(X @ p['W1'] + p['b1']) @ p['W2'] + p['b2'])[:, 0]\n"
        "    return float(np.mean(np.logaddexp(0.0, s) - y * s))\n"
        "X = np.asarray(X, dtype=float)\nout = {}\nfor k, v in params.items():\n    g = np.zeros_like(v, dtype=float)\n"
        "    for idx in np.ndindex(v.shape):\n        a = {kk: np.array(vv, dtype=float) for kk, vv in params.items()}\n"
        "        m = {kk: np.array(vv, dtype=float) for kk, vv in params.items()}\n        a[k][idx] += 1e-5\n"
        "        m[k][idx] -= 1e-5\n        g[idx] = (lo(a) - lo(m)) / 2e-5\n    out[k] = g\nreturn lo(params), out",
        "loss_and_grads_tests",
        "cheat: finite differences instead of the backward pass",
        "finite_difference",
    ),
    (
        "fit",
        _FIT.replace("params[k] - lr", "params[k] + lr"),
        "fit_tests",
        "gradient ascent",
        "wrong_sign",
    ),
    (
        "fit",
        _FIT.replace("    losses.append(loss)\n", "").replace(
            "return params, np.array(losses)", "return params, np.array([loss] * n_steps)"
        ),
        "fit_tests",
        "records only the last loss",
        "last_loss_only",
    ),
    (
        "fit",
        _FIT.replace("for _ in range(n_steps):", "for _ in range(n_steps // 10):"),
        "fit_tests",
        "trains a tenth of the steps",
        "off_by_one_epoch",
    ),
    (
        "fit",
        _FIT.replace("for _ in range(n_steps):", "for _ in range(1, n_steps):"),
        "fit_tests",
        "one step too few",
        "off_by_one_epoch",
    ),
    (
        "fit",
        _FIT.replace(
            "    losses.append(loss)\n    params = {k: params[k] - lr * grads[k] for k in params}\n",
            "    params = {k: params[k] - lr * grads[k] for k in params}\n"
            "    losses.append(loss_and_grads(params, X, y)[0])\n",
        ),
        "fit_tests",
        "records the loss after each update instead of before",
        "loss_after_update",
    ),
    (
        "fit",
        _FIT.replace(
            "params = {k: params[k] - lr * grads[k] for k in params}",
            "params = {k: params[k] - lr * grads[k] if k[0] == 'W' else params[k] for k in params}",
        ),
        "fit_tests",
        "updates the weights only, not the biases",
        "biases_not_updated",
    ),
    (
        "fit",
        _FIT.replace(
            "params = {k: np.array(v, dtype=float) for k, v in params.items()}\n",
            "params = dict(params)\n",
        ).replace(
            "    params = {k: params[k] - lr * grads[k] for k in params}\n",
            "    for k in params:\n        params[k] -= lr * grads[k]\n",
        ),
        "fit_tests",
        "updates the caller's arrays in place",
        "modified_input",
    ),
]
_INIT6 = (
    "rng = np.random.default_rng(seed)\nparams = {}\nfor l in range(1, len(sizes)):\n"
    "    params[f'W{l}'] = rng.normal(size=(sizes[l - 1], sizes[l])) / np.sqrt(sizes[l - 1])\n"
    "    params[f'b{l}'] = np.zeros(sizes[l])\nreturn params"
)
_TRAIN6 = (
    "X = np.asarray(X, dtype=float)\ny = np.asarray(y, dtype=float)\n"
    "rng = np.random.default_rng(seed)\nparams = {}\nfor l in range(1, len(sizes)):\n"
    "    params[f'W{l}'] = rng.normal(size=(sizes[l - 1], sizes[l])) / np.sqrt(sizes[l - 1])\n"
    "    params[f'b{l}'] = np.zeros(sizes[l])\nhistory = []\n"
    "for epoch in range(epochs):\n    losses = []\n"
    "    order = np.random.default_rng(seed + 1 + epoch).permutation(len(X))\n"
    "    for start in range(0, len(X), batch_size):\n        idx = order[start : start + batch_size]\n"
    "        loss, grads = loss_and_grads(params, X[idx], y[idx])\n"
    "        params = {k: params[k] - lr * grads[k] for k in params}\n"
    "        losses.append(loss)\n    history.append(np.mean(losses))\nreturn params, np.array(history)"
)
MUTANTS["06_training_with_sgd.ipynb"] = [
    (
        "minibatch_indices",
        "order = np.random.default_rng(seed).permutation(n)\n"
        "return [order[s : s + batch_size] for s in range(0, n - batch_size + 1, batch_size)]",
        "minibatch_indices_tests",
        "drops the last partial batch",
        "drops_last_batch",
    ),
    (
        "minibatch_indices",
        "order = np.arange(n)\nreturn [order[s : s + batch_size] for s in range(0, n, batch_size)]",
        "minibatch_indices_tests",
        "no shuffle",
        "no_shuffle",
    ),
    (
        "minibatch_indices",
        "rng = np.random.default_rng(seed)\n"
        "return [rng.integers(0, n, size=min(batch_size, n - s)) for s in range(0, n, batch_size)]",
        "minibatch_indices_tests",
        "samples with replacement",
        "repeated_index",
    ),
    (
        "minibatch_indices",
        "order = np.random.default_rng().permutation(n)\nreturn [order[s : s + batch_size] for s in range(0, n, batch_size)]",
        "minibatch_indices_tests",
        "ignores the seed",
        "ignores_seed",
    ),
    (
        "minibatch_indices",
        "order = np.random.default_rng(seed).permutation(n) if n == 50 else np.arange(n)\n"
        "return [order[s : s + batch_size] for s in range(0, n, batch_size)]",
        "minibatch_indices_tests",
        "cheat: shuffles only for the public test's n",
        "shuffle_depends_on_n",
    ),
    (
        "minibatch_indices",
        "order = np.random.default_rng(seed).permutation(n)\n"
        "return [order[i * batch_size : (i + 1) * batch_size] for i in range(n // batch_size + 1)]",
        "minibatch_indices_tests",
        "off by one: an empty last batch when batch_size divides n",
        "empty_batch",
    ),
    (
        "minibatch_indices",
        "order = np.random.default_rng(seed).permutation(n)\n"
        "return [order[s : s + batch_size - 1] for s in range(0, n, batch_size)]",
        "minibatch_indices_tests",
        "off by one: the slice end taken as inclusive (batches one short)",
        "off_by_one_slice",
    ),
    (
        "sgd_step",
        "return {k: params[k] + lr * grads[k] for k in params}",
        "sgd_step_tests",
        "wrong sign",
        "wrong_sign",
    ),
    (
        "sgd_step",
        "for k in params:\n    params[k] -= lr * grads[k]\nreturn params",
        "sgd_step_tests",
        "updates params in place",
        "modified_input",
    ),
    (
        "sgd_step",
        "return {k: params[k] - grads[k] for k in params}",
        "sgd_step_tests",
        "forgot the learning rate",
        "missing_learning_rate",
    ),
    (
        "init_params",
        "params = {}\nfor l in range(1, len(sizes)):\n    params[f'W{l}'] = np.zeros((sizes[l - 1], sizes[l]))\n"
        "    params[f'b{l}'] = np.zeros(sizes[l])\nreturn params",
        "init_params_tests",
        "all-zero weights (symmetry)",
        "symmetric_init",
    ),
    (
        "init_params",
        "rng = np.random.default_rng(seed)\nparams = {}\nfor l in range(1, len(sizes)):\n"
        "    params[f'W{l}'] = rng.normal(size=(sizes[l - 1], sizes[l]))\n    params[f'b{l}'] = np.zeros(sizes[l])\nreturn params",
        "init_params_tests",
        "no 1/sqrt(d_in) scaling",
        "missing_init_scaling",
    ),
    (
        "init_params",
        "rng = np.random.default_rng(seed)\nparams = {}\nfor l in range(1, len(sizes)):\n"
        "    params[f'W{l}'] = rng.normal(size=(sizes[l], sizes[l - 1])) / np.sqrt(sizes[l - 1])\n    params[f'b{l}'] = np.zeros(sizes[l])\nreturn params",
        "init_params_tests",
        "transposed weight shapes",
        "transposed",
    ),
    (
        "init_params",
        "rng = np.random.default_rng(seed)\nparams = {}\nfor l in range(1, len(sizes) - 1):\n"
        "    params[f'W{l}'] = rng.normal(size=(sizes[l - 1], sizes[l])) / np.sqrt(sizes[l - 1])\n    params[f'b{l}'] = np.zeros(sizes[l])\nreturn params",
        "init_params_tests",
        "off by one: misses the last layer",
        "off_by_one_layer",
    ),
    (
        "init_params",
        _INIT6.replace("np.sqrt(sizes[l - 1])", "np.sqrt(sizes[l])"),
        "init_params_tests",
        "off by one: scales by 1/sqrt(d_out), the next layer's size",
        "scaled_by_d_out",
    ),
    (
        "init_params",
        _INIT6.replace("np.sqrt(sizes[l - 1])", "sizes[l - 1]"),
        "init_params_tests",
        "divides by d_in (the variance) instead of sqrt(d_in)",
        "variance_not_std",
    ),
    (
        "init_params",
        _INIT6.replace("default_rng(seed)", "default_rng()"),
        "init_params_tests",
        "ignores the seed",
        "ignores_seed",
    ),
    (
        "init_params",
        _INIT6.replace("range(1, len(sizes))", "range(len(sizes) - 1)")
        .replace("sizes[l - 1], sizes[l]", "sizes[l], sizes[l + 1]")
        .replace("np.sqrt(sizes[l - 1])", "np.sqrt(sizes[l])")
        .replace("np.zeros(sizes[l])", "np.zeros(sizes[l + 1])"),
        "init_params_tests",
        "off by one: numbers the layers from 0 (W0, b0, ...)",
        "off_by_one_layer",
    ),
    (
        "init_params",
        _INIT6.replace("np.zeros(sizes[l])", "rng.normal(size=sizes[l])"),
        "init_params_tests",
        "random biases",
        "nonzero_bias",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("params = {k: params[k] - lr", "new = {k: params[k] - lr"),
        "train_mlp_tests",
        "discards the updated parameters",
        "params_not_updated",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("seed + 1 + epoch", "seed"),
        "train_mlp_tests",
        "same shuffle every epoch",
        "same_shuffle_every_epoch",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("history.append(np.mean(losses))", "history.append(losses[-1])"),
        "train_mlp_tests",
        "records the last batch loss",
        "last_batch_loss",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("history.append(np.mean(losses))", "history.append(np.sum(losses))"),
        "train_mlp_tests",
        "sums the batch losses instead of averaging them",
        "sums_batch_losses",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("loss_and_grads(params, X[idx], y[idx])", "loss_and_grads(params, X, y)"),
        "train_mlp_tests",
        "full batch instead of the mini-batch",
        "full_batch",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("params[k] - lr * grads[k]", "params[k] + lr * grads[k]"),
        "train_mlp_tests",
        "wrong sign: gradient ascent",
        "wrong_sign",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("range(epochs)", "range(epochs - 1)"),
        "train_mlp_tests",
        "off by one: one epoch too few",
        "off_by_one_epoch",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("range(epochs)", "range(epochs + 1)"),
        "train_mlp_tests",
        "off by one: one epoch too many",
        "off_by_one_epoch",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("history.append(np.mean(losses))", "history.extend(losses)"),
        "train_mlp_tests",
        "records every batch loss instead of one mean per epoch",
        "records_every_batch",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("seed + 1 + epoch", "seed + epoch"),
        "train_mlp_tests",
        "off by one: shuffles epoch e with seed + e",
        "off_by_one_seed",
    ),
    (
        "train_mlp",
        _TRAIN6.replace("range(epochs)", "range(1, epochs + 1)"),
        "train_mlp_tests",
        "off by one: counts the epochs from 1 (shuffle seeds shifted)",
        "off_by_one_seed",
    ),
]
from exercise_bank_07 import FORBIDDEN_07, MUTANTS_07  # noqa: E402, I001  (exercise 7: tests/exercise_bank_07.py)

MUTANTS["07_depth.ipynb"] = MUTANTS_07


#: Right answers that call the course's own implementation of what the part asks for: each
#: must earn nothing on its part. They share one submission per notebook.
FORBIDDEN_ANSWERS = {
    "01_perceptron.ipynb": [
        (
            "signed_distance",
            "from backprop_course import perceptron\n"
            "return perceptron.signed_distance(X, w, b, normalize=True)",
            "signed_distance_tests",
        ),
        (
            "criterion_gradient",
            "from backprop_course.perceptron import criterion_gradient as cg\nreturn cg(X, y, w, b)",
            "criterion_gradient_tests",
        ),
    ],
    "02_gradient_descent.ipynb": [
        (
            "gradient_descent",
            "from backprop_course import optim\nreturn optim.gradient_descent(grad_fn, w0, lr, n_steps)",
            "gradient_descent_tests",
        ),
    ],
    "03_naive_gradients.ipynb": [
        (
            "loglog_slope",
            "from backprop_course.plots import loglog_slope as slope\nreturn slope(sizes, costs)",
            "loglog_slope_tests",
        ),
        (
            "finite_difference_gradients",
            "import importlib\nnaive = importlib.import_module('backprop_course.naive')\n"
            "return naive.finite_difference_gradients(loss_fn, params, eps).grads",
            "finite_difference_gradients_tests",
        ),
    ],
    "04_backprop_derivation.ipynb": [
        (
            "sigmoid_prime",
            "from backprop_course.activations import sigmoid_derivative\nreturn sigmoid_derivative(a)",
            "sigmoid_prime_tests",
        ),
    ],
    "05_matrix_backprop.ipynb": [
        (
            "loss_and_grads",
            "from backprop_course import mlp\n"
            "return mlp.loss_and_grads(params, X, y, hidden='tanh', output='sigmoid', loss='bce')",
            "loss_and_grads_tests",
        ),
        (
            "bce_output_delta",
            "import torch\n"
            "S = torch.tensor(np.asarray(S_out, dtype=float), requires_grad=True)\n"
            "t = torch.tensor(np.asarray(y, dtype=float)).reshape(-1, 1)\n"
            "torch.nn.functional.binary_cross_entropy_with_logits(S, t).backward()\n"
            "return S.grad.numpy()",
            "bce_output_delta_tests",
        ),
    ],
    "06_training_with_sgd.ipynb": [
        (
            "sgd_step",
            "from backprop_course import optim\nreturn optim.sgd_step(params, grads, lr)",
            "sgd_step_tests",
        ),
    ],
}
FORBIDDEN_ANSWERS["07_depth.ipynb"] = FORBIDDEN_07

_REGION = re.compile(
    r"^([ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*$", re.S | re.M
)


def replace_solution(source: str, code: str) -> str:
    """Put ``code`` where the solution region of ``source`` is, at the region's indentation."""
    match = _REGION.search(source)
    assert match, "answer cell without a solution region"
    body = textwrap.indent(textwrap.dedent(code).strip("\n"), match.group(1))
    return source[: match.start()] + body + source[match.end() :]


def _cells_by_id(nb) -> dict:
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if "grade_id" in c.metadata.get("nbgrader", {})
    }


def test_parts(nb) -> list[str]:
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]


test_parts.__test__ = False


def _refs(source: str, names) -> set[str]:
    return {n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}\b", source)}


@functools.cache
def _structure(name: str):
    """Answer cell of each student function, and what each cell's source refers to."""
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    owner = {}
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution"):
            for fn in re.findall(r"^def (\w+)\(", c.source, re.M):
                owner[fn] = meta["grade_id"]
    sources = {gid: c.source for gid, c in _cells_by_id(nb).items()}
    return owner, sources


_STAND_IN = re.compile(r"checks\.use_reference\(([^)]*)\)")


def stand_ins(source: str) -> set[str]:
    """The other parts a test cell runs as reference versions (``checks.use_reference``)."""
    return {n for call in _STAND_IN.findall(source) for n in re.findall(r"\w+", call)}


def depends_on(name: str, mutant: tuple) -> set[str]:
    """Answer cells (other than its own) whose code a wrong answer's target test runs: the
    parts the test puts reference versions in for (``checks.use_reference``) are not run."""
    owner, sources = _structure(name)
    answer, code, target, *_ = mutant
    replaced = stand_ins(sources[target])
    owner = {f: gid for f, gid in owner.items() if f not in replaced}
    todo = {owner[f] for f in _refs(code + "\n" + sources[target], owner)}
    seen = set()
    while todo:
        gid = todo.pop()
        if gid in seen:
            continue
        seen.add(gid)
        if gid != answer:
            todo |= {owner[f] for f in _refs(sources[gid], owner)}
    return seen - {answer}


def pack_rounds(name: str) -> list[list[tuple]]:
    """Group the wrong answers so that no test in a group runs another's broken code."""
    rounds: list[list[tuple]] = []
    for mutant in MUTANTS[name]:
        deps = depends_on(name, mutant)
        for group in rounds:
            answers = {m[0] for m in group}
            if mutant[0] in answers or deps & answers:
                continue
            if any(mutant[0] in depends_on(name, m) for m in group):
                continue
            group.append(mutant)
            break
        else:
            rounds.append([mutant])
    return rounds


@functools.cache
def graded(name: str):
    """Grade the solution, the built exercise and every round of wrong answers of ``name``."""
    tmp = Path(tempfile.mkdtemp(prefix=f"grade_{name[:2]}_"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    source = SOLUTIONS / name
    build_exercises(SOLUTIONS, tmp / "exercises")
    solution_nb = nbformat.read(source, as_version=4)
    submissions = [source, tmp / "exercises" / name]
    rounds = pack_rounds(name)
    for i, group in enumerate([FORBIDDEN_ANSWERS[name], *rounds]):
        nb = nbformat.from_dict(solution_nb)
        cells = _cells_by_id(nb)
        for answer, code, *_ in group:
            cells[answer].source = replace_solution(cells[answer].source, code)
        path = tmp / f"wrong_{i:02d}.ipynb"
        nbformat.write(nb, path)
        submissions.append(path)
    reports = grade_batch(source, submissions, tmp / "out", jobs=2, timeout=120, progress=False)
    solution, exercise, forbidden, *wrong = reports
    return solution, exercise, forbidden, list(zip(rounds, wrong, strict=True))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_bank_covers_every_part(name):
    """Does every graded part have at least two wrong answers it must reject?"""
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    targets = [m[2] for m in MUTANTS[name]]
    for part in test_parts(nb):
        assert targets.count(part) >= 2, f"{name}: {part} has fewer than 2 wrong answers"
    cells = _cells_by_id(nb)
    for answer, code, _target, why, _code in MUTANTS[name]:
        assert cells[answer].metadata["nbgrader"]["solution"], (answer, why)
        compile(replace_solution(cells[answer].source, code), f"{name}:{answer}", "exec")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_declares_forbidden_modules(name):
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    forbidden = nb.metadata["backprop_course"]["forbidden_modules"]
    assert any(m.startswith("backprop_course.") for m in forbidden), forbidden
    if name >= "03":  # from the gradient sheets on, autodiff would do the work
        assert {"torch", "autograd", "jax"} <= set(forbidden), forbidden


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_scores_full_marks(name):
    solution, *_ = graded(name)
    failed = {k: p.message for k, p in solution.parts.items() if p.points != p.max_points}
    assert not failed, f"{name}: the solution loses points: {failed}"
    assert solution.total == solution.max_total > 0


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_fresh_exercise_scores_zero_not_attempted(name):
    exercise = graded(name)[1]
    assert exercise.total == 0
    states = {k: p.status for k, p in exercise.parts.items()}
    assert set(states.values()) == {"not attempted"}, states


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_wrong_answers_earn_nothing_on_the_part_they_break(name):
    rounds = graded(name)[3]
    missed = []
    for group, report in rounds:
        for answer, _, target, why, code in group:
            part = report.parts[target]
            # a right answer that loops over the examples keeps one point (the default)
            keeps = 1.0 if code == "loops_over_examples" else 0.0
            if part.points != keeps:
                missed.append(f"{answer} [{why}]: {part.points} points on {target}")
    assert not missed, f"{name}: wrong answers that earned points: {missed}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_wrong_answer_costs_points_only_on_its_own_part(name):
    """Does a submission with wrong answers in some parts score full marks on every other part
    (the parts a test runs besides its own are the reference ones)?"""
    lost = []
    for group, report in graded(name)[3]:
        targets = {m[2] for m in group}
        for part, result in report.parts.items():
            if part not in targets and result.points != result.max_points:
                broken = ", ".join(sorted({m[0] for m in group}))
                lost.append(f"{part} lost points with {broken} wrong: {result.message}")
    assert not lost, f"{name}: {lost}"


@functools.cache
def checked(name: str) -> list:
    """``check`` (public tests, the notebook as its own source) on every round of wrong answers."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from backprop_course.grading.check import check_notebook

    paths = [report.submission for _, report in graded(name)[3]]
    check = functools.partial(check_notebook, timeout=120)
    # processes, not threads: Python 3.11's ast.parse is not thread-safe
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        return list(pool.map(check, paths))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_check_and_grade_agree_on_every_wrong_answer(name):
    """Does a student's `check` give the verdict, code and message the instructor's `grade`
    gives, for every wrong answer its public tests catch (the rest only hidden tests catch)?"""
    differ = []
    for (_group, graded_report), checked_report in zip(graded(name)[3], checked(name), strict=True):
        for part, result in graded_report.parts.items():
            if result.in_hidden:
                continue
            mine = checked_report.parts[part]
            if (mine.status, mine.code, mine.message) != (
                result.status,
                result.code,
                result.message,
            ):
                differ.append(
                    f"{part}: grade {result.code} {result.message!r}, check {mine.code} {mine.message!r}"
                )
    assert not differ, f"{name}: {differ}"


def _operand(node) -> bool:
    """One operand of a formula: a name, a number, an attribute or item of one, or one turned
    into an array (``np.asarray(x, dtype=float)``)."""
    if isinstance(node, ast.Name | ast.Constant):
        return True
    if isinstance(node, ast.Attribute | ast.Subscript):
        return _operand(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        return node.func.attr in ("asarray", "array") and _operand(node.args[0])
    return False


def _skeleton(node) -> str:
    """A formula with its operands blanked: ``A_t @ W_t + b_t`` and ``X @ W + b`` are one."""
    if _operand(node):
        return "_"
    if isinstance(node, ast.BinOp):
        return f"({_skeleton(node.left)} {type(node.op).__name__} {_skeleton(node.right)})"
    if isinstance(node, ast.UnaryOp):
        return f"({type(node.op).__name__} {_skeleton(node.operand)})"
    if isinstance(node, ast.Call):
        return f"{ast.unparse(node.func)}({', '.join(_skeleton(a) for a in node.args)})"
    return "?"


def formulas(source: str) -> dict[str, str]:
    """The formulas of two or more operations in ``source``: skeleton -> the code."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp | ast.Call):
            skeleton = _skeleton(node)
            ops = len(re.findall(r"\b(Add|Sub|Mult|MatMult|Div|Pow|USub)\b", skeleton))
            if ops >= 2 and "?" not in skeleton:
                found.setdefault(skeleton, ast.unparse(node))
    return found


#: An equation with an operation in a message: "S = A_prev W + b", "w_new = w - lr * grad".
_EQUATION = re.compile(r"\b\w+(\[\w+\])? = [^:;,]*(\w \* \w| [-+] \w|@|/ ?\w)")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_public_tests_hold_numbers_not_the_answers_formulas(name):
    """Does no public test cell compute an expected value with a formula an answer must write
    (``A_t @ W_t + b_t``, ``p[k] - 0.5 * g[k]``), and does no message spell an equation out?"""
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    answers = {}
    for cell in nb.cells:  # code answers (a solution's discussion cells are markdown)
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            region = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            answers[cell.metadata["nbgrader"]["grade_id"]] = formulas(
                textwrap.dedent(region.group(1))
            )
    found = []
    for part in test_parts(nb):
        public = _HIDDEN.sub("", _cells_by_id(nb)[part].source)
        mine = formulas(public)
        for answer, theirs in answers.items():
            found += [
                f"{part} computes {mine[s]!r}: {answer}'s {code!r}"
                for s, code in theirs.items()
                if s in mine
            ]
        for node in ast.walk(ast.parse(public)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _EQUATION.search(node.value):
                    found.append(f"{part}: a message spells out {node.value!r}")
    assert not found, f"{name}: public tests that give an answer away: {found}"


#: Codes that say only that a part failed, not which mistake was made: a plain ``assert``,
#: values that differ with no pattern, a constant factor nobody named, a slip within a few
#: percent, or a test that broke. Every wrong answer of the bank must get a named code instead.
GENERIC = {"assertion", "wrong_values", "wrong_value", "proportional", "not_within_tolerance"}
GENERIC |= {"test_error", "partial_credit", "grader_failed", ""}


def _generic(code: str) -> bool:
    return code in GENERIC or code.startswith("error:")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_wrong_answer_gets_its_named_diagnosis(name):
    """Is each mistake of the bank named (its own code), not merely failed?"""
    unnamed = [f"{m[3]!r}: declared {m[4]!r}" for m in MUTANTS[name] if _generic(m[4])]
    assert not unnamed, f"{name}: bank entries without a named diagnosis: {unnamed}"
    wrong = []
    for group, report in graded(name)[3]:
        for _answer, _, target, why, code in group:
            got = report.parts[target].code
            if got != code:
                wrong.append(f"{why!r} on {target}: got {got!r}, expected {code!r}")
    assert not wrong, f"{name}: wrong answers diagnosed otherwise: {wrong}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_answers_using_the_course_implementation_earn_nothing(name):
    report = graded(name)[2]
    for answer, _, target in FORBIDDEN_ANSWERS[name]:
        part = report.parts[target]
        assert part.points == 0, f"{name}: {answer} calls a forbidden module and earned points"
        assert "backprop_course." in part.message or "torch" in part.message, part.message


def test_exercises_folder_is_up_to_date():
    result = build_exercises(SOLUTIONS, ROOT / "exercises", check=True)
    assert result.ok, f"exercises/ is stale; run `backprop-course build-exercises`: {result}"


_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_exercise_shows_no_solution_and_no_hidden_test(name):
    """Is any line of a solution region or a hidden test left in the student's notebook?"""
    exercise = nbformat.read(ROOT / "exercises" / name, as_version=4)
    assert "BEGIN SOLUTION" not in str(exercise) and "HIDDEN TESTS" not in str(exercise)
    # markdown may quote a line on purpose (e.g. how to seed a generator); code must not
    shown = "\n".join(c.source for c in exercise.cells if c.cell_type == "code")
    assert all(not c.get("outputs") for c in exercise.cells if c.cell_type == "code")
    solution = nbformat.read(SOLUTIONS / name, as_version=4)
    secret, public = [], []
    solution_region = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
    for cell in solution.cells:
        if cell.cell_type != "code":
            continue
        secret += [line for r in solution_region.findall(cell.source) for line in r.splitlines()]
        secret += [line for r in _HIDDEN.findall(cell.source) for line in r.splitlines()]
        public.append(_HIDDEN.sub("", solution_region.sub("", cell.source)))
    public_lines = {line.strip() for text in public for line in text.splitlines()}
    leaked = [
        line.strip()
        for line in secret
        if len(line.strip()) > 30 and line.strip() not in public_lines and line.strip() in shown
    ]
    assert not leaked, f"{name}: the exercise shows {leaked}"


def _defined(source: str) -> set[str]:
    return set(re.findall(r"^\s*def (\w+)\(", source, re.M))


def test_no_sheet_gives_away_another_sheets_answer():
    """Can the sheets go out in any order: does any sheet define what another asks for?

    Exercise 6 needs exercise 5's backward pass; it imports it from backprop_course.reference
    (which exercise 5 forbids) instead of showing it.
    """
    answers = {}
    for name in NOTEBOOKS:
        nb = nbformat.read(SOLUTIONS / name, as_version=4)
        cells = [c for c in nb.cells if c.cell_type == "code"]
        answers[name] = set().union(*(_defined(c.source) for c in cells if _is_answer(c)))
    shown = []
    for name in NOTEBOOKS:
        exercise = nbformat.read(ROOT / "exercises" / name, as_version=4)
        given = set().union(
            *(
                _defined(c.source)
                for c in exercise.cells
                if c.cell_type == "code" and not _is_answer(c)
            )
        )
        shown += [
            f"{name} defines {f} (answer of {o})"
            for o in NOTEBOOKS
            if o != name
            for f in given & answers[o]
        ]
    assert not shown, shown
    assert "backprop_course.reference" in _forbidden("05_matrix_backprop.ipynb")


def _is_answer(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def _forbidden(name: str) -> list[str]:
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    return nb.metadata["backprop_course"]["forbidden_modules"]
