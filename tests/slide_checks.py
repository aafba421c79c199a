"""Shared helpers of the slide-formula tests (tests/test_slide_formulas_<deck>.py).

Each test names its slide in the docstring. Where a slide is wrong, the test computes the
slide's version *and* the corrected one, and shows the first disagreeing with central finite
differences (or with the fact it claims) and the second agreeing. ERRATA.md lists them by
number, with what kind of slip each is (error, index slip, note, notation, withdrawn).

Mapping to the package's row form: a column-form ``W`` (``z = W x``) is our ``W.T``; the
slides' ``w_ij`` (from node ``i`` to node ``j``) is our ``W[i, j]``; Hajij's ``u_il`` (into
``i`` from ``l``) is our ``W[l, i]``. ERRATA.md names the deck files.
"""

import numpy as np

from backprop_course import gradcheck
from backprop_course.activations import sigmoid

fd = gradcheck.numerical_gradient


def agree(a, b, rtol=1e-6, atol=1e-9):
    """Analytic ``a`` and numerical ``b`` agree to ``rtol`` relative error elementwise."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def disagree(a, b):
    """Clearly different: not even 1e-3 relative agreement (or a different shape)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-6)


def dsigmoid(s):
    p = sigmoid(s)
    return p * (1 - p)


def to_params(Us, bs=None):
    """Column-form U_t to our row-form dict: W_t = U_t.T."""
    p = {}
    for t, U in enumerate(Us, start=1):
        p[f"W{t}"] = U.T.copy()
        p[f"b{t}"] = np.zeros(U.shape[0]) if bs is None else bs[t - 1]
    return p
