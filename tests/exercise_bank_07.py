# ruff: noqa: E501  (the bank of wrong answers is code in strings, kept one per line)
"""Wrong answers for exercise 7 (``solutions/07_depth.ipynb``), in the format of ``MUTANTS`` in
``tests/test_exercises.py``: (answer grade_id, code replacing its solution region, test grade_id
it must fail, why, the diagnosis code the grader must give that part). ``test_exercises.py``
adds them to its bank, so every test there covers this sheet too.
"""

from __future__ import annotations


def _swap(code: str, old: str, new: str) -> str:
    """``code`` with ``old`` replaced by ``new``; fails loudly if ``old`` is not there (a wrong
    answer that silently equals the solution would test nothing)."""
    assert old in code, f"{old!r} is not in the solution's code"
    return code.replace(old, new)


_INIT = """
if scheme == "lecun":
    variance = 1 / n_in
elif scheme == "xavier":
    variance = 2 / (n_in + n_out)
elif scheme == "he":
    variance = 2 / n_in
else:
    raise ValueError(f"unknown scheme {scheme!r}")
return float(np.sqrt(variance))
"""

_DELTA = """
S = np.asarray(S, dtype=float)
E = np.exp(S - S.max(axis=1, keepdims=True))
P = E / E.sum(axis=1, keepdims=True)
return (P - Y) / S.shape[0]
"""

_NORMS = """
act = ACTIVATIONS[activation]
L = len(params) // 2
A, S = [np.asarray(X, dtype=float)], [None]
for l in range(1, L + 1):
    S.append(A[l - 1] @ params[f"W{l}"] + params[f"b{l}"])
    A.append(act.function(S[l]) if l < L else S[l])
delta = softmax_ce_delta(S[L], Y)
norms = np.zeros(L)
for l in range(L, 0, -1):
    norms[l - 1] = np.linalg.norm(A[l - 1].T @ delta)
    if l > 1:
        delta = (delta @ params[f"W{l}"].T) * act.derivative(S[l - 1])
return norms
"""

MUTANTS_07 = [
    (
        "init_std",
        _swap(_INIT, "return float(np.sqrt(variance))", "return float(variance)"),
        "init_std_tests",
        "returns the variance, not the standard deviation",
        "variance_not_std",
    ),
    (
        "init_std",
        _swap(_INIT, "variance = 2 / n_in", "variance = 1 / n_in"),
        "init_std_tests",
        "He without the factor 2 for ReLU",
        "he_missing_factor_2",
    ),
    (
        "init_std",
        _swap(_INIT, "variance = 2 / (n_in + n_out)", "variance = 1 / (n_in + n_out)"),
        "init_std_tests",
        "Xavier without the 2",
        "xavier_missing_factor_2",
    ),
    (
        "init_std",
        _swap(_INIT, "variance = 1 / n_in", "variance = 1 / n_out"),
        "init_std_tests",
        "LeCun scaled by n_out",
        "scaled_by_n_out",
    ),
    (
        "init_std",
        _swap(_INIT, "variance = 2 / n_in", "variance = 2 / n_out"),
        "init_std_tests",
        "He scaled by n_out",
        "he_uses_n_out",
    ),
    (
        "init_std",
        _swap(_INIT, 'raise ValueError(f"unknown scheme {scheme!r}")', "variance = 1 / n_in"),
        "init_std_tests",
        "an unknown scheme falls back to LeCun",
        "no_error_for_unknown_scheme",
    ),
    (
        "init_std",
        _swap(_INIT, 'raise ValueError(f"unknown scheme {scheme!r}")', "raise KeyError(scheme)"),
        "init_std_tests",
        "raises KeyError for an unknown scheme",
        "wrong_error_type",
    ),
    (
        "softmax_ce_delta",
        _swap(_DELTA, "return (P - Y) / S.shape[0]", "return P - Y"),
        "softmax_ce_delta_tests",
        "forgets the 1/n of the batch mean",
        "missing_batch_mean",
    ),
    (
        "softmax_ce_delta",
        _swap(_DELTA, "return (P - Y) / S.shape[0]", "return (Y - P) / S.shape[0]"),
        "softmax_ce_delta_tests",
        "y - p: the sign reversed",
        "wrong_sign",
    ),
    (
        "softmax_ce_delta",
        _swap(_DELTA, "return (P - Y) / S.shape[0]", "return P / S.shape[0]"),
        "softmax_ce_delta_tests",
        "forgets the -y",
        "forgot_minus_y",
    ),
    (
        "softmax_ce_delta",
        _swap(_DELTA, "return (P - Y) / S.shape[0]", "return P * (1 - P) * (P - Y) / S.shape[0]"),
        "softmax_ce_delta_tests",
        "multiplies by a sigmoid-style output derivative",
        "extra_output_derivative",
    ),
    (
        "softmax_ce_delta",
        "S = np.asarray(S, dtype=float)\nE = np.exp(S - S.max(axis=0, keepdims=True))\nP = E / E.sum(axis=0, keepdims=True)\nreturn (P - Y) / S.shape[0]",
        "softmax_ce_delta_tests",
        "softmax over the examples (axis 0)",
        "softmax_over_examples",
    ),
    (
        "softmax_ce_delta",
        _swap(_DELTA, "E = np.exp(S - S.max(axis=1, keepdims=True))", "E = np.exp(S)"),
        "softmax_ce_delta_tests",
        "no max shift: exp(1000) overflows",
        "softmax_overflow",
    ),
    (
        "grad_norms",
        _swap(_NORMS, "norms[l - 1] =", "norms[L - l] ="),
        "grad_norms_tests",
        "layers in the order of the backward loop",
        "reversed_layers",
    ),
    (
        "grad_norms",
        _swap(_NORMS, "np.linalg.norm(A[l - 1].T @ delta)", "np.sum((A[l - 1].T @ delta) ** 2)"),
        "grad_norms_tests",
        "squared norms",
        "squared_norm",
    ),
    (
        "grad_norms",
        _swap(_NORMS, "np.linalg.norm(A[l - 1].T @ delta)", "np.linalg.norm(delta)"),
        "grad_norms_tests",
        "measures delta_l instead of dW_l",
        "delta_norms",
    ),
    (
        "grad_norms",
        _swap(_NORMS, "act.derivative(S[l - 1])", "act.derivative(A[l - 1])"),
        "grad_norms_tests",
        "theta' at the activation instead of the pre-activation",
        "derivative_at_activation",
    ),
    (
        "grad_norms",
        _swap(_NORMS, " * act.derivative(S[l - 1])", ""),
        "grad_norms_tests",
        "no theta' in the backward message",
        "missing_activation_derivative",
    ),
    (
        "grad_norms",
        _swap(_NORMS, "act = ACTIVATIONS[activation]", 'act = ACTIVATIONS["tanh"]'),
        "grad_norms_tests",
        "tanh hard-coded, whatever the activation",
        "ignores_activation",
    ),
    (
        "grad_norms",
        _swap(
            _NORMS,
            "A.append(act.function(S[l]) if l < L else S[l])",
            'A.append(act.function(S[l]) if l < L else S[l])\n    act = ACTIVATIONS["tanh"] if l == L else act',
        ),
        "grad_norms_tests",
        "backward pass uses tanh' whatever the forward activation",
        "ignores_activation",
    ),
    (
        "grad_norms",
        _swap(
            _NORMS,
            "delta = softmax_ce_delta(S[L], Y)",
            "delta = softmax_ce_delta(S[L], Y) * len(X)",
        ),
        "grad_norms_tests",
        "delta_L without the 1/n of the mean",
        "missing_batch_mean",
    ),
    (
        "dead_fraction",
        "return float(np.mean(np.asarray(A) <= 0))",
        "dead_fraction_tests",
        "fraction of zero entries, not of dead units",
        "fraction_of_zero_entries",
    ),
    (
        "dead_fraction",
        "return float(np.mean(np.all(np.asarray(A) <= 0, axis=1)))",
        "dead_fraction_tests",
        "reduces over the units: dead examples",
        "dead_examples_not_units",
    ),
    (
        "dead_fraction",
        "return np.sum(np.all(np.asarray(A) <= 0, axis=0))",
        "dead_fraction_tests",
        "the count of dead units",
        "count_not_fraction",
    ),
    (
        "dead_fraction",
        "return float(np.mean(np.any(np.asarray(A) > 0, axis=0)))",
        "dead_fraction_tests",
        "the fraction of alive units",
        "alive_fraction",
    ),
    (
        "dead_fraction",
        "return float(np.mean(np.all(np.asarray(A) == 0, axis=0)))",
        "dead_fraction_tests",
        "A == 0 misses negative outputs",
        "equals_zero_only",
    ),
]

#: Right answers that call the course's own implementation: each must earn nothing.
FORBIDDEN_07 = [
    (
        "init_std",
        "from backprop_course import mlp\nreturn mlp.init_std(n_in, n_out, scheme)",
        "init_std_tests",
    ),
    (
        "softmax_ce_delta",
        "from backprop_course.losses import cross_entropy_with_logits_gradient as g\nreturn g(S, Y)",
        "softmax_ce_delta_tests",
    ),
    (
        "grad_norms",
        "from backprop_course import depth\nreturn depth.layer_statistics(params, X, Y.argmax(axis=1), activation).grad_norm",
        "grad_norms_tests",
    ),
    (
        "dead_fraction",
        "import importlib\ndepth = importlib.import_module('backprop_course.depth')\nreturn float(depth.dead_units(A).mean())",
        "dead_fraction_tests",
    ),
]
