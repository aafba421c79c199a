"""Do the gate patterns hand back the gradients the chain rule gives, and are they drawn?"""

import math

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from backprop_course import plots  # noqa: E402
from backprop_course.plots.gates import draw_gate_patterns, gate_patterns  # noqa: E402

H = 1e-6


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _central(f, x, y):
    """Central differences of f(x, y) in x and in y."""
    return (
        (f(x + H, y) - f(x - H, y)) / (2 * H),
        (f(x, y + H) - f(x, y - H)) / (2 * H),
    )


@pytest.mark.parametrize("x, y", [(3.0, -1.0), (-2.0, 0.5), (0.25, 4.0)])
@pytest.mark.parametrize("g", [2.0, -0.75])
def test_each_gate_matches_central_differences_times_upstream(x, y, g):
    pats = {p.name: p for p in gate_patterns(x, y, upstream=g, second=1.25)}
    for name, f in (("add", lambda a, b: a + b), ("mul", lambda a, b: a * b), ("max", max)):
        dx, dy = _central(f, x, y)
        assert pats[name].grads == pytest.approx((g * dx, g * dy), abs=1e-6), name
        assert pats[name].output == pytest.approx(f(x, y))
    # the fork: L = g * x + 1.25 * x, two uses of x
    dx, _ = _central(lambda a, b: g * a + 1.25 * a, x, y)
    assert pats["fork"].grads == pytest.approx((dx,), abs=1e-6)


def test_the_named_patterns():
    add, mul, mx, fork = gate_patterns(x=3.0, y=-1.0, upstream=2.0, second=-0.5)
    assert add.grads == (2.0, 2.0)  # distributes
    assert mul.grads == (-1.0 * 2.0, 3.0 * 2.0)  # swaps: x gets y g, y gets x g
    assert mx.grads == (2.0, 0.0)  # routes to the larger
    assert fork.grads == (1.5,) and fork.upstream == (2.0, -0.5)  # sums


def test_the_figure_shows_every_gradient():
    fig = draw_gate_patterns(x=3.0, y=-1.0, upstream=2.0, second=-0.5)
    assert [ax.get_title() for ax in fig.axes] == [
        "add distributes",
        "mul swaps",
        "max routes",
        "a fork sums",
    ]
    texts = [[t.get_text() for t in ax.texts] for ax in fig.axes]
    assert texts[1].count("-2") >= 1 and "6" in texts[1]  # mul: y g and x g
    assert "0" in texts[2]  # max: the loser gets nothing
    assert "grad 1.5" in texts[3] and "g2 = -0.5" in texts[3]
    assert all(t.get_fontsize() >= 10 for ax in fig.axes for t in ax.texts)
    assert plots.draw_gate_patterns is draw_gate_patterns


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"x": 2.0, "y": 2.0}, "differ"),
        ({"upstream": math.inf}, "upstream must be a finite"),
        ({"x": "3"}, "x must be a finite"),
        ({"second": True}, "second must be a finite"),
    ],
)
def test_bad_input_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gate_patterns(**kwargs)
