"""Plain data across the trust boundary: a strict JSON codec for what tests exchange with students.

Everything that crosses between the grader and a student's kernel is JSON text made of plain
data: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, numeric numpy arrays and
scalars, and lists, tuples and dicts of these. The grader never unpickles or evaluates anything
a student's kernel sends: :func:`decode` rebuilds values from that text with ``json`` and
``numpy.frombuffer`` and rejects anything else (object arrays, unknown tags, oversized input).

Values of any other type (a student's class instance, a module) travel as *handles*: an opaque
number the grader can only pass back to the kernel (:class:`Handle`). Functions the grader passes
to a student travel as *references*: a name the kernel looks up (:class:`Ref`).

This module imports only the standard library and numpy because its source is also sent to the
student's kernel, which uses the same :func:`encode` for its replies.

>>> import numpy as np
>>> value = {"w": np.array([[1.0, 2.0]]), "n": 3, "path": (None, True, "a")}
>>> back = decode(encode(value))
>>> back["path"], back["w"].shape, back["w"].dtype.name
((None, True, 'a'), (1, 2), 'float64')
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np

#: Largest JSON text :func:`decode` accepts (characters).
MAX_TEXT = 32_000_000
#: Deepest nesting :func:`decode` accepts.
MAX_DEPTH = 64
_KINDS = "biufc"


class WireError(ValueError):
    """Data that is not plain data (or is malformed) crossed the boundary."""


class Ref:
    """A function passed by name: the receiving side looks ``name`` up (or imports it).

    ``module`` is None for a name of the notebook's namespace, else the module to import.
    """

    __slots__ = ("module", "name")

    def __init__(self, name: str, module: str | None = None) -> None:
        self.name, self.module = name, module

    def __repr__(self) -> str:
        return f"Ref({self.name!r}, module={self.module!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and (self.name, self.module) == (other.name, other.module)

    def __hash__(self) -> int:
        return hash((self.name, self.module))


class Handle:
    """An object that stays in the student's kernel; only its number and type name travel."""

    __slots__ = ("number", "type_name", "is_callable")

    def __init__(self, number: int, type_name: str, is_callable: bool) -> None:
        self.number, self.type_name, self.is_callable = number, type_name, is_callable

    def __repr__(self) -> str:
        return f"Handle({self.number}, {self.type_name!r})"


def _encode(value, to_handle, to_ref, depth):
    if depth > MAX_DEPTH:
        raise WireError(f"data nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool | str):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if type(value) is complex:
        return {"__complex__": [_encode(part, None, None, 0) for part in (value.real, value.imag)]}
    if isinstance(value, np.ndarray | np.generic) and value.dtype.kind in _KINDS:
        arr = np.asarray(value)
        if arr.dtype.fields is not None or arr.dtype.subdtype is not None:
            raise WireError(f"structured arrays are not plain data (dtype {arr.dtype})")
        data = base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")
        tag = "__ndarray__" if isinstance(value, np.ndarray) else "__scalar__"
        return {tag: data, "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if type(value) is list:
        return [_encode(v, to_handle, to_ref, depth + 1) for v in value]
    if type(value) is tuple:
        return {"__tuple__": [_encode(v, to_handle, to_ref, depth + 1) for v in value]}
    if type(value) is dict:
        return {
            "__dict__": [
                [_encode(k, None, None, depth + 1), _encode(v, to_handle, to_ref, depth + 1)]
                for k, v in value.items()
            ]
        }
    if isinstance(value, Ref):
        return {"__ref__": value.name, "module": value.module}
    if isinstance(value, Handle):
        return {"__handle__": value.number, "type": value.type_name, "call": value.is_callable}
    if to_ref is not None:
        ref = to_ref(value)
        if isinstance(ref, Ref | Handle):
            return _encode(ref, None, None, depth)
    if to_handle is not None:
        number = to_handle(value)
        return {"__handle__": number, "type": type(value).__name__, "call": callable(value)}
    raise WireError(f"{type(value).__name__} is not plain data")


def encode(value, *, to_handle=None, to_ref=None) -> str:
    """Return ``value`` as JSON text of plain data.

    Parameters
    ----------
    value : plain data
        None, bool, int, float, complex, str, numeric numpy arrays and scalars, and lists,
        tuples and dicts of these (dict keys plain too).
    to_handle : callable, optional
        ``obj -> int``: keep any other object on this side and send a number instead.
    to_ref : callable, optional
        ``obj -> Ref | Handle | None``: send a function by name (or an object of the other
        side by its handle).

    >>> encode([1, 2.5, None])
    '[1, 2.5, null]'
    >>> encode(object())
    Traceback (most recent call last):
    ...
    backprop_course.grading.kernel.wire.WireError: object is not plain data
    """
    return json.dumps(_encode(value, to_handle, to_ref, 0), allow_nan=False)


def _array(obj: dict, scalar: bool):
    try:
        dtype = np.dtype(obj["dtype"])
        shape = tuple(int(n) for n in obj["shape"])
        raw = base64.b64decode(obj["__scalar__" if scalar else "__ndarray__"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"malformed array: {exc}") from None
    if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"arrays of dtype {dtype} are not plain data")
    if any(n < 0 for n in shape) or math.prod(shape) * dtype.itemsize != len(raw):
        raise WireError(f"array data does not match shape {shape} and dtype {dtype}")
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return arr[()] if scalar else arr


def _decode(obj, make_handle, resolve_ref, depth):
    if depth > MAX_DEPTH:
        raise WireError(f"data nested deeper than {MAX_DEPTH} levels")
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list):
        return [_decode(v, make_handle, resolve_ref, depth + 1) for v in obj]
    if not isinstance(obj, dict):
        raise WireError(f"unexpected {type(obj).__name__}")
    if "__float__" in obj:
        text = obj["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise WireError(f"bad float {text!r}")
        return float(text)
    if "__complex__" in obj:
        parts = obj["__complex__"]
        if not (isinstance(parts, list) and len(parts) == 2):
            raise WireError("malformed complex")
        re, im = (_decode(p, None, None, depth + 1) for p in parts)
        if not all(isinstance(p, float) for p in (re, im)):
            raise WireError("malformed complex")
        return complex(re, im)
    if "__ndarray__" in obj:
        return _array(obj, scalar=False)
    if "__scalar__" in obj:
        return _array(obj, scalar=True)
    if "__tuple__" in obj:
        items = obj["__tuple__"]
        if not isinstance(items, list):
            raise WireError("malformed tuple")
        return tuple(_decode(v, make_handle, resolve_ref, depth + 1) for v in items)
    if "__dict__" in obj:
        pairs = obj["__dict__"]
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in pairs
        ):
            raise WireError("malformed dict")
        out = {}
        for k, v in pairs:
            key = _decode(k, None, None, depth + 1)
            try:
                hash(key)
            except TypeError:
                raise WireError(f"dict key of type {type(key).__name__} is not hashable") from None
            out[key] = _decode(v, make_handle, resolve_ref, depth + 1)
        return out
    if "__handle__" in obj and make_handle is not None:
        number = obj["__handle__"]
        if not isinstance(number, int) or isinstance(number, bool):
            raise WireError("malformed handle")
        type_name = str(obj.get("type", "object"))[:100]
        return make_handle(Handle(number, type_name, bool(obj.get("call"))))
    if "__ref__" in obj and resolve_ref is not None:
        return resolve_ref(Ref(str(obj["__ref__"]), obj.get("module")))
    raise WireError(f"unexpected object with keys {sorted(obj)[:5]}")


def decode(text: str, *, make_handle=None, resolve_ref=None):
    """Rebuild plain data from :func:`encode`'s text; raise :class:`WireError` on anything else.

    Parameters
    ----------
    text : str
        JSON text, at most :data:`MAX_TEXT` characters.
    make_handle : callable, optional
        ``Handle -> object`` for objects kept on the other side; without it handles are refused.
    resolve_ref : callable, optional
        ``Ref -> object`` for functions passed by name; without it references are refused.

    >>> decode('{"__ndarray__": "AAAAAAAA8D8=", "dtype": "<f8", "shape": [1]}')
    array([1.])
    >>> decode('{"__ndarray__": "", "dtype": "|O", "shape": [0]}')
    Traceback (most recent call last):
    ...
    backprop_course.grading.kernel.wire.WireError: arrays of dtype object are not plain data
    """
    if not isinstance(text, str):
        raise WireError(f"expected JSON text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise WireError(f"{len(text)} characters of data is more than the {MAX_TEXT} allowed")
    try:
        obj = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"not JSON: {str(exc)[:200]}") from None
    try:
        return _decode(obj, make_handle, resolve_ref, 0)
    except RecursionError:
        raise WireError("data nested too deeply") from None


def _no_constant(name: str):
    raise WireError(f"bare {name} is not allowed; floats like NaN travel tagged")
