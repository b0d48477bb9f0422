"""Derivatives of Python's operators and numeric builtins.

Binary operators reach the compiler as `operator.add`, `operator.mul`, ...;
the same templates serve Python floats and NumPy arrays (operators on arrays
dispatch to ufuncs with the same derivatives), and use only operators so that
float code stays float code.
"""

import builtins
import dataclasses
import operator

from ..runtime import core as runtime_core
from ..runtime import python_builtins as runtime_builtins

from .definition import linear_rule, nondifferentiable, pointwise, pointwise_split

RULES = [
    pointwise(operator.add, "x, y", x="g", y="g"),
    pointwise(operator.sub, "x, y", x="g", y="-g"),
    pointwise(operator.mul, "x, y", x="g * y", y="g * x"),
    pointwise(operator.truediv, "x, y", x="g / y", y="-g * result / y"),
    # d/dy is 0 where x == 0 <= y (0 ** y is constant there), as torch has it.
    # d/dx is 0 where y == 0 (x ** 0 is 1, also at x == 0), as torch has it.
    pointwise(operator.pow, "x, y", x="g * power_slope(x, y, 1)",
              y="g * power_log(x, y, result)"),
    pointwise(operator.mod, "x, y", x="g", y="-g * (x // y)"),
    pointwise(operator.neg, "x", x="-g"),
    pointwise(operator.pos, "x", x="g"),
    pointwise_split(builtins.abs, "x", adjoint={"x": "abs_adjoint(g, x)"},
                    tangent={"x": "abs_tangent(g, x)"}),
    pointwise(builtins.float, "x", x="g"),
    pointwise(builtins.pow, "base, exp", base="g * power_slope(base, exp, 1)",
              exp="g * power_log(base, exp, result)"),
    # As np.maximum's: g times a bool keeps g's dtype (float32 stays float32).
    # Two tuples or lists compare lexicographically: refused (the check).
    dataclasses.replace(pointwise(builtins.max, "x, y", x="g * (x > y) + 0.5 * g * (x == y)",
                                  y="g * (y > x) + 0.5 * g * (x == y)", label="max"),
                        check=runtime_builtins.check_numbers_compared),
    dataclasses.replace(pointwise(builtins.min, "x, y", x="g * (x < y) + 0.5 * g * (x == y)",
                                  y="g * (y < x) + 0.5 * g * (x == y)", label="min"),
                        check=runtime_builtins.check_numbers_compared),
    # sum(rows, []) joins lists: refused (the check).
    linear_rule(builtins.sum, "iterable, start=0",
                adjoint={"iterable": "sum_items_adjoint(g, iterable)",
                         "start": "unbroadcast(g, start)"},
                tangent={"iterable": "sum(g)", "start": "g"},
                check=runtime_builtins.check_numeric_start),
    # tuple(items) of a list (lower_comprehensions.py turns any other iterable
    # into one) or of an array's rows: one entry per item.
    linear_rule(builtins.tuple, "iterable", adjoint={"iterable": "items_adjoint(g, iterable)"},
                tangent={"iterable": "tuple(g)"}),
    # x.copy(), as bind_methods.py writes it: the copy's derivative is x's.
    linear_rule(runtime_builtins.copied, "x", adjoint={"x": "copy_derivative(g, x)"},
                tangent={"x": "copy_derivative(g, x)"}),
    # copy.deepcopy(x), as bind_methods.py writes it: the copy's derivative is x's.
    linear_rule(runtime_builtins.deep_copied, "x",
                adjoint={"x": "deep_copy_derivative(g, x)"},
                tangent={"x": "deep_copy_derivative(g, x)"}),
    # x.item(), as bind_methods.py writes it: the one element, as a number.
    linear_rule(runtime_builtins.item_of, "x", adjoint={"x": "item_adjoint(g, x)"},
                tangent={"x": "item_tangent(g)"}),
    # x.tolist(), as bind_methods.py writes it: nested lists of the elements.
    linear_rule(runtime_builtins.as_list, "x", adjoint={"x": "tolist_adjoint(g, x)"},
                tangent={"x": "tolist_tangent(g, x)"}),
    # Their derivative helpers, linear in their first argument.
    linear_rule(runtime_builtins.tolist_adjoint, "adjoint, x",
                adjoint={"adjoint": "tolist_tangent(g, x)"},
                tangent={"adjoint": "tolist_adjoint(g, x)"}),
    linear_rule(runtime_builtins.tolist_tangent, "tangent, x",
                adjoint={"tangent": "tolist_adjoint(g, x)"},
                tangent={"tangent": "tolist_tangent(g, x)"}),
    linear_rule(runtime_builtins.deep_copy_derivative, "derivative, x",
                adjoint={"derivative": "deep_copy_derivative(g, x)"},
                tangent={"derivative": "deep_copy_derivative(g, x)"}),
    linear_rule(runtime_builtins.item_adjoint, "adjoint, x",
                adjoint={"adjoint": "np.sum(g)"}, tangent={"adjoint": "item_adjoint(g, x)"}),
    linear_rule(runtime_builtins.item_tangent, "tangent",
                adjoint={"tangent": "item_adjoint(g, tangent)"},
                tangent={"tangent": "item_tangent(g)"}),
    # x.conj() and x.conjugate(), as bind_methods.py writes them: np.conjugate's
    # derivative (the method returns a real array itself, which aliasing.py knows).
    pointwise(runtime_builtins.conjugated, "x", x="np.conjugate(g)"),
    # dict(d) of a mapping (dict(pairs) is lowered into a loop when compiling).
    linear_rule(builtins.dict, "x", adjoint={"x": "mapping_copy_derivative(g, x)"},
                tangent={"x": "mapping_copy_derivative(g, x)"}),
    # list(d.values()), list(d.items()), as lower_comprehensions.py writes them.
    linear_rule(runtime_builtins.view_items, "mapping, view",
                adjoint={"mapping": "view_items_adjoint(g, mapping, view)"},
                tangent={"mapping": "view_items_tangent(g, mapping, view)"}),
    linear_rule(operator.matmul, "a, b",
                adjoint={"a": "matmul_adjoint_a(g, a, b)", "b": "matmul_adjoint_b(g, a, b)"},
                tangent={"a": "g @ b", "b": "a @ g"}),
    # x[index] = value, normalised to x = setitem(x, index, value) (an updated copy).
    linear_rule(runtime_core.setitem, "x, index, value",
                adjoint={"x": "setitem(g, index, 0.0)",
                         "value": "setitem_value_adjoint(g, index, value, result)"},
                tangent={"x": "setitem(g, index, 0.0)",
                         "value": "setitem_value_tangent(g, index, result)"},
                label="element write x[index] = value, as setitem"),
    linear_rule(operator.getitem, "x, index",
                adjoint={"x": "getitem_adjoint(g, x, index)"},
                tangent={"x": "g[index]"}),
    # Zero derivative, or boolean, integer or text results.
    *nondifferentiable(
        operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
        operator.not_, operator.floordiv, operator.is_, operator.is_not,
        operator.contains, builtins.len, builtins.range, builtins.int, builtins.bool,
        builtins.round, builtins.isinstance, builtins.print, builtins.type, builtins.str,
        builtins.repr, builtins.hash, builtins.id, runtime_builtins.sorted_order,
        runtime_builtins.text_under_printoptions, runtime_builtins.matches_sequence,
        runtime_builtins.matches_mapping),
]

NOTES = {
    operator.getitem: "integers, negative integers, slices with steps, `...`, `None`, integer "
                      "arrays, boolean masks, tuples and lists (by position); repeated "
                      "indices accumulate",
    operator.mod: "d/dx = 1, d/dy = -(x // y), as torch.remainder",
    builtins.max: "two arguments; ties share evenly",
    builtins.min: "two arguments; ties share evenly",
    builtins.abs: "derivative 0 at 0",
    builtins.sum: "of a list, a tuple or an array's rows; `sum(v * v for v in xs)` too",
}
