"""Does only plain data cross between a student's kernel and the grader, whatever is sent?"""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop_course.grading.kernel import wire
from backprop_course.grading.scoring.forbidden import forbidden_uses
from backprop_course.grading.scoring.writeback import write_back


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -3,
        2**70,
        1.5,
        float("inf"),
        complex(1, -2),
        "héllo",
        [1, [2.0, None]],
        (1, (2, "a")),
        {"W1": np.eye(2), 3: [1, 2], (1, 2): "t"},
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.array([True, False]),
        np.zeros((0, 4)),
        np.float32(1.25),
        np.array([1 + 2j]),
    ],
)
def test_plain_data_round_trips_with_types_and_shapes(value):
    back = wire.decode(wire.encode(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray | np.generic):
        assert back.dtype == value.dtype and np.shape(back) == np.shape(value)
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, dict):
        assert back.keys() == value.keys()
    else:
        assert back == value


def test_nan_travels_tagged_and_decoded_arrays_are_writable_copies():
    back = wire.decode(wire.encode([float("nan"), np.array([np.nan, 1.0])]))
    assert np.isnan(back[0]) and np.isnan(back[1][0])
    back[1][1] = 5.0  # frombuffer alone would be read-only


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"__ndarray__": "", "dtype": "|O", "shape": [0]}', "dtype object"),
        ('{"__ndarray__": "AAAA", "dtype": "<f8", "shape": [5]}', "does not match"),
        ('{"__ndarray__": "AAAA", "dtype": [["a", "<f8"]], "shape": [1]}', "malformed"),
        ('{"__pickle__": "gASVAAAAAAAAAAA="}', "unexpected object"),
        ('{"__ref__": "os.system", "module": "os"}', "unexpected object"),
        ('{"__handle__": 1, "type": "x"}', "unexpected object"),
        ('{"a": 1}', "unexpected object"),
        ("NaN", "bare NaN"),
        ('{"__float__": "1e308*10"}', "bad float"),
        ("[" * 100 + "]" * 100, "nested"),
        ("not json", "not JSON"),
        ("9" * 5000, "not JSON"),
    ],
)
def test_anything_but_plain_data_is_refused(text, words):
    with pytest.raises(wire.WireError, match=words):
        wire.decode(text)


def test_oversized_replies_are_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(wire, "MAX_TEXT", 100)
    with pytest.raises(wire.WireError, match="more than the 100 allowed"):
        wire.decode(json.dumps("x" * 200))


def test_objects_become_handles_only_when_the_receiver_accepts_them():
    text = wire.encode([object()], to_handle=lambda obj: 7)
    with pytest.raises(wire.WireError):
        wire.decode(text)
    (handle,) = wire.decode(text, make_handle=lambda h: h)
    assert (handle.number, handle.type_name) == (7, "object")


def test_write_back_mirrors_in_place_changes_only():
    w = np.zeros(3)
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    params = {"W": w, "b": [0.0], "keep": frozen}
    write_back(
        (params, 1.0), ({"W": np.ones(3), "b": [2.0, 3.0], "keep": np.ones(2), "new": 1}, 9.0)
    )
    assert params["W"] is w and w.tolist() == [1.0, 1.0, 1.0]
    assert params["b"] == [2.0, 3.0] and params["new"] == 1
    assert frozen.tolist() == [0.0, 0.0]
    funcs = [len, np.zeros(1)]
    write_back(funcs, [wire.Handle(0, "builtin", True), np.ones(1)])
    assert funcs[0] is len and funcs[1].tolist() == [1.0]


@pytest.mark.parametrize(
    "source",
    [
        "import backprop_course.mlp",
        "import backprop_course.mlp as m",
        "from backprop_course.mlp import forward",
        "from backprop_course import mlp",
        "def f():\n    from backprop_course import data, mlp",
        "m = __import__('backprop_course.mlp')",
    ],
)
def test_forbidden_imports_are_found_in_any_form(source):
    assert forbidden_uses(source, ("backprop_course.mlp",)) == ["backprop_course.mlp"]


def test_allowed_imports_and_unparsable_code_are_not_flagged():
    mods = ("backprop_course.mlp",)
    assert forbidden_uses("from backprop_course import mlp_helpers, data", mods) == []
    assert forbidden_uses("def f(:\n  import backprop_course.mlp", mods) == []
