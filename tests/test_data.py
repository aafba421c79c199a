"""Are the toy data sets seeded, correctly shaped and labelled, and as separable as promised?"""

import numpy as np
import pytest

from backprop_course import data

ALL = sorted(data.DATASETS)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_data_and_different_seed_different_data(name):
    make = data.DATASETS[name]
    X1, y1 = make(40, rng=3)
    X2, y2 = make(40, rng=3)
    X3, _ = make(40, rng=4)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    # a Generator is accepted and advanced, so two draws from it differ
    g = np.random.default_rng(3)
    Xa, _ = make(40, rng=g)
    Xb, _ = make(40, rng=g)
    assert np.array_equal(Xa, X1) and not np.array_equal(Xa, Xb)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n", [4, 7, 101])
def test_shapes_dtypes_and_balanced_classes(name, n):
    X, y = data.DATASETS[name](n, rng=0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.isfinite(X).all()
    counts = np.unique(y, return_counts=True)[1]
    assert len(counts) == 2 and abs(int(counts[0]) - int(counts[1])) <= 1


@pytest.mark.parametrize("name", ALL)
def test_labels_choice_only_renames_the_classes(name):
    make = data.DATASETS[name]
    X01, y01 = make(30, rng=1, labels=(0, 1))
    Xpm, ypm = make(30, rng=1, labels=(-1, 1))
    assert np.array_equal(X01, Xpm)
    assert set(y01.tolist()) == {0, 1} and set(ypm.tolist()) == {-1, 1}
    assert np.array_equal(ypm, 2 * y01 - 1)


def test_default_labels_blobs_pm1_others_01():
    assert set(data.blobs(20, rng=0)[1].tolist()) == {-1, 1}
    for name in ("xor", "moons", "circles", "spirals"):
        assert set(data.DATASETS[name](20, rng=0)[1].tolist()) == {0, 1}


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("margin", [0.1, 0.3, 1.0])
def test_blobs_are_separable_with_the_stated_margin(seed, margin):
    X, y = data.blobs(300, rng=seed, margin=margin)
    # the margin of the best separating line through the origin is at least `margin`: find it
    # by scanning directions, then refine; blobs' own line has margin >= `margin` by design
    angles = np.linspace(0, 2 * np.pi, 7200, endpoint=False)
    W = np.c_[np.cos(angles), np.sin(angles)]
    margins = np.min((X @ W.T) * y[:, None], axis=0)
    best = margins.max()
    assert best >= margin - 1e-3 * np.abs(X).max()
    assert best > 0


def test_xor_labels_follow_the_sign_of_x1_x2():
    X, y = data.xor(400, rng=0, noise=0.1)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_circles_radii_and_moons_shape():
    X, y = data.circles(200, rng=0, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)
    X, y = data.moons(200, rng=0, noise=0.0)
    assert np.allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    assert np.allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n", [0, 1, -5, 2.5, "10", True])
def test_bad_n_is_rejected(name, n):
    with pytest.raises(ValueError, match="n must be an integer"):
        data.DATASETS[name](n, rng=0)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("labels", [(1, 2), (0, 1, 2), (-1, 0), "01"])
def test_bad_labels_are_rejected(name, labels):
    with pytest.raises(ValueError, match="labels must be"):
        data.DATASETS[name](10, rng=0, labels=labels)


@pytest.mark.parametrize("margin", [0, -0.5, np.nan])
def test_blobs_margin_must_be_positive(margin):
    with pytest.raises(ValueError, match="margin"):
        data.blobs(10, rng=0, margin=margin)


def test_bad_factor_rejected():
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, rng=0, factor=1.5)
