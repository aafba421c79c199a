"""Reference versions of the exercise parts other parts call, so each part is scored on its own.

A test of ``fit`` calls the student's ``loss_and_grads`` through ``fit``; with a wrong
``dense_backward`` it would fail although ``fit`` is right. So a test cell names the other
parts it runs (``checks.use_reference("loss_and_grads")``), and for that cell those names are
bound to the functions here: in a notebook, in the cell's own namespace (restored when the
cell ends); under the grader, in the student's kernel (see ``grade.py``), which gets this
module's *source text* and runs it in a namespace of its own, so nothing the student defines
(``np``, ``sigmoid``) changes them. Answers may not import this module (the grader forbids
it, as it forbids the course's own implementation).

Each function is self-contained: it calls no other part, so a reference never runs the
student's code. Names are unique across exercises (``sgd_update`` is exercise 1's,
``sgd_step`` exercise 6's).

>>> import numpy as np
>>> functions(["dense_forward"])["dense_forward"](np.ones((2, 1)), np.ones((1, 3)), np.zeros(3))
array([[1., 1., 1.],
       [1., 1., 1.]])
"""

from __future__ import annotations

import numpy as np


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))


# -- exercise 1 -------------------------------------------------------------------------------
def signed_distance(X, w, b):
    w = np.asarray(w, dtype=float)
    return (np.asarray(X, dtype=float) @ w + b) / np.linalg.norm(w)


def sgd_update(x_i, y_i, w, b, lr):
    w = np.asarray(w, dtype=float)
    if y_i * (np.dot(w, x_i) + b) <= 0:
        return w + lr * y_i * np.asarray(x_i, dtype=float), float(b + lr * y_i)
    return w.copy(), float(b)


# -- exercise 4 -------------------------------------------------------------------------------
def sigmoid_prime(a):
    s = _sigmoid(a)
    return s * (1 - s)


def output_delta(a_out, y):
    s = _sigmoid(a_out)
    return 2 * (s - y) * s * (1 - s)


def hidden_delta(a_hidden, W_next, delta_next):
    s = _sigmoid(a_hidden)
    return s * (1 - s) * (np.asarray(W_next) @ np.asarray(delta_next))


def backprop_one_example(params, x, y):
    x = np.asarray(x, dtype=float)
    a1 = x @ params["W1"] + params["b1"]
    z1 = _sigmoid(a1)
    a2 = z1 @ params["W2"] + params["b2"]
    s2 = _sigmoid(a2)
    delta2 = 2 * (s2 - y) * s2 * (1 - s2)
    delta1 = z1 * (1 - z1) * (np.asarray(params["W2"]) @ delta2)
    return {"W1": np.outer(x, delta1), "b1": delta1, "W2": np.outer(z1, delta2), "b2": delta2}


def batch_gradients(params, X, Y):
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float).reshape(len(X), -1)
    Z1 = _sigmoid(X @ params["W1"] + params["b1"])
    S2 = _sigmoid(Z1 @ params["W2"] + params["b2"])
    D2 = 2 * (S2 - Y) * S2 * (1 - S2)
    D1 = Z1 * (1 - Z1) * (D2 @ np.asarray(params["W2"]).T)
    n = len(X)
    return {"W1": X.T @ D1 / n, "b1": D1.mean(axis=0), "W2": Z1.T @ D2 / n, "b2": D2.mean(axis=0)}


# -- exercise 5 -------------------------------------------------------------------------------
def dense_forward(A_prev, W, b):
    return np.asarray(A_prev, dtype=float) @ W + b


def dense_backward(delta, A_prev, W):
    delta = np.asarray(delta, dtype=float)
    return delta @ np.asarray(W).T, np.asarray(A_prev).T @ delta, delta.sum(axis=0)


def bce_output_delta(S_out, y):
    S_out = np.asarray(S_out, dtype=float)
    return (_sigmoid(S_out) - np.asarray(y, dtype=float).reshape(-1, 1)) / S_out.shape[0]


def loss_and_grads(params, X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    A1 = np.tanh(X @ params["W1"] + params["b1"])
    S2 = A1 @ params["W2"] + params["b2"]
    s = S2[:, 0]
    loss = float(np.mean(np.logaddexp(0.0, s) - y * s))
    delta2 = (_sigmoid(S2) - y.reshape(-1, 1)) / len(X)
    delta1 = (delta2 @ np.asarray(params["W2"]).T) * (1 - A1**2)
    return loss, {
        "W1": X.T @ delta1,
        "b1": delta1.sum(axis=0),
        "W2": A1.T @ delta2,
        "b2": delta2.sum(axis=0),
    }


# -- exercise 3: the chain's gradients, their products made with the mul they are handed -------
def _chain_factors(ws, x):
    ws = np.asarray(ws, dtype=float)
    z = np.empty(len(ws) + 1)
    z[0] = x
    for t in range(len(ws)):
        z[t + 1] = np.tanh(ws[t] * z[t])
    return (1 - z[1:] ** 2) * ws, (1 - z[1:] ** 2) * z[:-1]


def naive_chain_gradients(ws, x, mul):
    g, h = _chain_factors(ws, x)
    grads = np.empty(len(g))
    for t in range(len(g)):
        prod = h[t]
        for s in range(t + 1, len(g)):
            prod = mul(prod, g[s])
        grads[t] = prod
    return grads


def backprop_chain_gradients(ws, x, mul):
    g, h = _chain_factors(ws, x)
    grads = np.empty(len(g))
    m = 1.0
    for t in range(len(g) - 1, -1, -1):
        grads[t] = m * h[t]
        if t > 0:
            m = mul(m, g[t])
    return grads


# -- exercise 6 -------------------------------------------------------------------------------
def minibatch_indices(n, batch_size, seed):
    order = np.random.default_rng(seed).permutation(n)
    return [order[start : start + batch_size] for start in range(0, n, batch_size)]


def sgd_step(params, grads, lr):
    return {k: params[k] - lr * grads[k] for k in params}


def init_params(sizes, seed):
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(size=(sizes[l - 1], sizes[l])) / np.sqrt(sizes[l - 1])
        params[f"b{l}"] = np.zeros(sizes[l])
    return params


# -- exercise 7 -------------------------------------------------------------------------------
def softmax_ce_delta(S, Y):
    S = np.asarray(S, dtype=float)
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return (E / E.sum(axis=1, keepdims=True) - np.asarray(Y, dtype=float)) / S.shape[0]


#: The parts that have a reference, by name.
NAMES = (
    "signed_distance sgd_update naive_chain_gradients backprop_chain_gradients "
    "sigmoid_prime output_delta hidden_delta backprop_one_example "
    "batch_gradients dense_forward dense_backward bce_output_delta loss_and_grads "
    "minibatch_indices sgd_step init_params softmax_ce_delta"
).split()


def _known(names) -> list[str]:
    names = list(names)
    unknown = [n for n in names if n not in NAMES]
    if unknown or not names:
        raise ValueError(
            f"no reference version of {unknown or 'nothing'}: use_reference takes the names of "
            f"other parts a test runs, among {NAMES}"
        )
    return names


def functions(names) -> dict:
    """``{name: reference function}`` for ``names`` (a ValueError names any unknown one)."""
    return {n: globals()[n] for n in _known(names)}


def _source_of(names) -> str:
    """The source of the references ``names`` and of the module-level helpers they use (with
    the module's imports), and nothing else: a reference's ``__globals__`` in the kernel then
    holds no other part's reference, which an answer could otherwise fetch through it and
    return as its own."""
    import ast
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    tree = ast.parse(source)
    defs = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    wanted, todo = [], list(names)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.append(name)
        used = {n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)}
        todo += sorted(used & defs.keys())
    chosen = [n for n in tree.body if n in imports or getattr(n, "name", None) in wanted]
    return "\n\n".join(ast.get_source_segment(source, n) for n in chosen) + "\n"


def kernel_code(names) -> str:
    """Source text that binds ``names`` to the references in a kernel's namespace (run as a
    cell), saving what they were; :func:`restore_code` puts them back. Only the source of these
    references (and their helpers) goes into the kernel.

    >>> code = kernel_code(["dense_forward"])
    >>> "def dense_forward" in code, "def loss_and_grads" in code
    (True, False)
    """
    source = _source_of(_known(names))
    return (
        "def __backprop_course_bind__(ns, names, source):\n"
        "    saved = ns.setdefault('__backprop_course_saved__', {})\n"
        "    scope = {'__name__': 'backprop_course_reference'}\n"
        "    exec(compile(source, '<reference>', 'exec'), scope)\n"
        "    for name in names:\n"
        "        saved.setdefault(name, ns.get(name, saved))\n"
        "        ns[name] = scope[name]\n"
        f"__backprop_course_bind__(globals(), {_known(names)!r}, {source!r})\n"
        "del __backprop_course_bind__\n"
    )


#: Source text that puts back what :func:`kernel_code` replaced.
RESTORE_CODE = (
    "def __backprop_course_restore__(ns):\n"
    "    saved = ns.pop('__backprop_course_saved__', {})\n"
    "    for name, value in saved.items():\n"
    "        if value is saved:\n"
    "            ns.pop(name, None)\n"
    "        else:\n"
    "            ns[name] = value\n"
    "__backprop_course_restore__(globals())\n"
    "del __backprop_course_restore__\n"
    "globals().pop('__backprop_course_rows__', None)\n"
)
