"""Tests for backprop_course.plots.training: what each figure draws, and its input checks."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from backprop_course import mlp, plots
from backprop_course.plots import training


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_public_names_are_merged_into_plots():
    for name in training.__all__:
        assert getattr(plots, name) is getattr(training, name)


def test_confusion_counts_match_a_loop_count():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 4, 200)
    p = rng.integers(0, 4, 200)
    C = training.confusion_counts(t, p)
    expected = np.zeros((4, 4), dtype=int)
    for a, b in zip(t, p, strict=True):
        expected[a, b] += 1
    np.testing.assert_array_equal(C, expected)
    assert C.sum() == 200
    assert C.trace() == np.sum(t == p)


def test_confusion_counts_pads_to_n_classes_and_rejects_bad_labels():
    assert training.confusion_counts([0, 1], [1, 1], n_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match="n_classes is 2"):
        training.confusion_counts([0, 3], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="same shape"):
        training.confusion_counts([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="integer class labels"):
        training.confusion_counts([0, -1], [0, 1])
    with pytest.raises(ValueError, match="integer class labels"):
        training.confusion_counts([0.5, 1.0], [0, 1])


def test_confusion_matrix_draws_counts_labels_and_accuracy():
    t = np.array([0, 0, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 2, 0, 2])
    ax = training.confusion_matrix(t, p, class_names=["a", "b", "c"])
    texts = [x.get_text() for x in ax.texts]
    assert texts == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert "accuracy 0.667 on 6 examples" in ax.get_title()
    image = ax.images[0].get_array()
    np.testing.assert_array_equal(image, training.confusion_counts(t, p))


def test_confusion_matrix_normalised_rows_sum_to_one_and_uses_given_ax():
    fig, ax = plt.subplots()
    t = np.array([0, 0, 0, 1])
    p = np.array([0, 0, 1, 1])
    out = training.confusion_matrix(t, p, ax=ax, normalize=True)
    assert out is ax
    image = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(image.sum(axis=1), [1.0, 1.0])
    assert [x.get_text() for x in ax.texts][:2] == ["0.67", "0.33"]


def test_figures_reject_an_ax_that_is_not_an_axes_and_default_to_matplotlib_size():
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="ax must be a matplotlib Axes or None, got Figure"):
        training.confusion_matrix([0, 1], [0, 1], ax=fig)
    with pytest.raises(ValueError, match="ax must be a matplotlib Axes or None, got str"):
        training.image_grid(np.zeros((1, 2, 2)), ax="left")
    with pytest.raises(ValueError, match="ax must be a matplotlib Axes or None, got list"):
        training.loss_along_direction([0, 1], {"a": [1, 2]}, ax=[])
    ax = training.loss_along_direction([0, 1], {"a": [1, 2]})
    assert tuple(ax.figure.get_size_inches()) == tuple(plt.rcParams["figure.figsize"])


def test_image_grid_places_every_image_in_the_mosaic():
    images = np.arange(5 * 4 * 3, dtype=float).reshape(5, 4, 3)
    ax = training.image_grid(images, [f"#{i}" for i in range(5)], ncols=2)
    mosaic = np.ma.getdata(ax.images[0].get_array())
    finite = mosaic[np.isfinite(mosaic)]
    # every pixel of every image appears exactly once, the rest is blank background
    np.testing.assert_array_equal(np.sort(finite), np.sort(images.ravel()))
    assert [t.get_text() for t in ax.texts] == ["#0", "#1", "#2", "#3", "#4"]


def test_image_grid_checks_shapes_and_titles():
    with pytest.raises(ValueError, match=r"\(m, 64\)"):
        training.image_grid(np.zeros((3, 60)), image_shape=(8, 8))
    with pytest.raises(ValueError, match="image_shape entries must be an integer"):
        training.image_grid(np.zeros((3, 5)), image_shape=(2.5, 2))  # not truncated to 2
    with pytest.raises(ValueError, match="shape \\(m, h, w\\)"):
        training.image_grid(np.zeros((3, 64)))
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        training.image_grid(np.zeros((3, 2, 2)), ["a", "b"])
    ax = training.image_grid(np.zeros((0, 2, 2)))
    assert ax.texts[0].get_text() == "no images to show"


def test_misclassified_examples_shows_only_wrong_predictions():
    images = np.arange(6 * 4, dtype=float).reshape(6, 4)
    t = np.array([0, 1, 2, 3, 4, 5])
    p = np.array([0, 2, 2, 1, 4, 0])
    ax = training.misclassified_examples(images, t, p, image_shape=(2, 2), max_images=2)
    assert [x.get_text() for x in ax.texts] == ["1→2", "3→1"]
    assert ax.get_title().startswith("3 misclassified of 6")
    mosaic = np.ma.getdata(ax.images[0].get_array())
    shown = np.sort(mosaic[np.isfinite(mosaic)])
    np.testing.assert_array_equal(shown, np.sort(np.r_[images[1], images[3]]))
    with pytest.raises(ValueError, match="one label per image"):
        training.misclassified_examples(images, t[:5], p[:5], image_shape=(2, 2))


def test_random_direction_is_filter_normalised_seeded_and_leaves_params_alone():
    params = mlp.init_params([3, 5, 2], rng=1)
    before = {k: v.copy() for k, v in params.items()}
    d1 = training.random_direction(params, rng=7)
    d2 = training.random_direction(params, rng=7)
    for k in params:
        np.testing.assert_array_equal(d1[k], d2[k])
        np.testing.assert_array_equal(params[k], before[k])
        assert d1[k].shape == params[k].shape
    for k in ("W1", "W2"):
        np.testing.assert_allclose(
            np.linalg.norm(d1[k], axis=0), np.linalg.norm(params[k], axis=0), rtol=1e-12
        )
    assert not d1["b1"].any() and not d1["b2"].any()
    unit = training.random_direction(params, rng=7, normalize="none")
    total = np.sqrt(sum(np.sum(v * v) for v in unit.values()))
    assert total == pytest.approx(1.0)
    with pytest.raises(ValueError, match="normalize"):
        training.random_direction(params, normalize="layer")


def test_losses_along_a_quadratic_is_a_parabola():
    A = np.diag([1.0, 4.0])
    w0 = {"w": np.array([0.5, -1.0])}
    d = {"w": np.array([1.0, 1.0])}

    def loss(p):
        w = p["w"]
        return float(0.5 * w @ A @ w)

    alphas = np.linspace(-1, 1, 5)
    got = training.losses_along(loss, w0, d, alphas)
    expected = [loss({"w": w0["w"] + a * d["w"]}) for a in alphas]
    np.testing.assert_allclose(got, expected)
    np.testing.assert_array_equal(w0["w"], [0.5, -1.0])
    with pytest.raises(ValueError, match="keys"):
        training.losses_along(loss, w0, {"v": d["w"]}, alphas)
    with pytest.raises(ValueError, match="shape"):
        training.losses_along(loss, w0, {"w": np.ones(3)}, alphas)


def test_sharper_minimum_rises_faster_along_the_direction():
    # the curvature along the direction shows in the plotted curves
    alphas = np.linspace(-0.5, 0.5, 11)
    flat = 0.1 * alphas**2
    sharp = 5.0 * alphas**2
    ax = training.loss_along_direction(alphas, {"flat": flat, "sharp": sharp})
    lines = {line.get_label(): line for line in ax.lines}
    np.testing.assert_allclose(lines["flat"].get_ydata(), flat)
    assert lines["sharp"].get_ydata().max() > lines["flat"].get_ydata().max()
    assert ax.get_ylabel() == "training loss" and ax.get_title()
    with pytest.raises(ValueError, match="expected \\(11,\\)"):
        training.loss_along_direction(alphas, {"bad": flat[:5]})
    with pytest.raises(ValueError, match="empty"):
        training.loss_along_direction(alphas, {})


def test_sharpest_direction_finds_the_top_eigenpair_of_a_known_hessian():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    eigenvalues = np.array([0.3, 1.0, 2.0, 4.0, 9.0])
    H = Q @ np.diag(eigenvalues) @ Q.T
    split = {"a": np.zeros((2, 2)), "b": np.ones(1)}

    def grad(p):  # gradient of 0.5 w^T H w with w = [a.ravel(), b]
        w = np.r_[p["a"].ravel(), p["b"]]
        g = H @ w
        return {"a": g[:4].reshape(2, 2), "b": g[4:]}

    lam, d = training.sharpest_direction(grad, split, n_iter=200, rng=0)
    assert lam == pytest.approx(9.0, rel=1e-6)
    v = np.r_[d["a"].ravel(), d["b"]]
    assert np.linalg.norm(v) == pytest.approx(1.0)
    assert abs(v @ Q[:, 4]) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_array_equal(split["b"], [1.0])  # params untouched


def test_sharpest_direction_of_a_trained_network_matches_a_finite_difference_hessian():
    from backprop_course import data

    X, y = data.moons(60, rng=0)
    params = mlp.init_params([2, 3, 1], rng=0)

    def grad(p):
        return mlp.loss_and_grads(p, X, y, "tanh", "sigmoid", "bce")[1]

    lam, _ = training.sharpest_direction(grad, params, n_iter=300, rng=1)
    keys = list(params)
    sizes = [params[k].size for k in keys]
    w0 = np.concatenate([params[k].ravel() for k in keys])

    def flat_grad(w):
        parts = np.split(w, np.cumsum(sizes)[:-1])
        p = {k: part.reshape(params[k].shape) for k, part in zip(keys, parts, strict=True)}
        g = grad(p)
        return np.concatenate([g[k].ravel() for k in keys])

    eye = np.eye(w0.size)
    H = np.array([(flat_grad(w0 + 1e-5 * e) - flat_grad(w0 - 1e-5 * e)) / 2e-5 for e in eye])
    H = (H + H.T) / 2
    top = np.max(np.abs(np.linalg.eigvalsh(H)))
    assert abs(lam) == pytest.approx(top, rel=1e-4)
