"""Frozen scipy.stats distributions: their methods become calls of the
distribution's own methods with the arguments it was frozen with.

Input: a resolved FunctionDef (after bind_methods). Output: the same tree in
which every method call on a frozen distribution whose arguments are known
when compiling calls the unfrozen method, which has a derivative rule
(rules/scipy_stats_rules.py), with the stored arguments after its own:

    def f(x, a, s):                            def f(x, a, s):
        rv = stats.gamma(a, scale=s)     ->        rv_a = a
        return np.sum(rv.logpdf(x)) \\              rv_scale = s
            + stats.norm(0, 2).pdf(x)              return np.sum(stats.gamma.logpdf(x, rv_a, scale=rv_scale)) \\
                                                       + stats.norm.pdf(x, 0, 2)

This is scipy's own definition (`rv_frozen.logpdf(x)` is
`self.dist.logpdf(x, *self.args, **self.kwds)`), so x and every parameter the
distribution was built from (shapes, loc, scale; mean and cov of
multivariate_normal, alpha of dirichlet) are differentiated where they are
differentiated values. Three forms are recognised:

* `D(args).method(x)`, the distribution frozen in the call itself (when
  moving x's evaluation before the arguments' changes nothing: one of them
  calls nothing);
* `rv = D(args)` bound once in the function, then `rv.method(x)`: the
  arguments are copied into names of their own where `rv` is bound (`rv_a`,
  `rv_scale`), so that what the frozen object stores is what the call reads,
  even if `a` is rebound later; the binding of `rv` stays only if `rv` is
  used otherwise too;
* a frozen distribution the function reads from its globals (`PRIOR =
  stats.norm(0, 2)` at module level): `PRIOR.logpdf(x)` becomes
  `norm.logpdf(x, PRIOR.args[0], PRIOR.args[1])`, read when the code runs.

The methods are those of one argument (pdf, logpdf, cdf, logcdf, sf, logsf,
ppf, isf, pmf, logpmf; pdf and logpdf of multivariate_normal and dirichlet)
and those of none (mean, median, var, std, entropy, support). Anything else
(`rv.rvs(10)`, `rv.interval(0.9)`, a frozen object passed to a helper or
kept in a list) stays as written: it needs nothing if no derivative flows
through it, and is refused at compile time if one does.
"""

from __future__ import annotations

import sys

import gast

from .. import nodes
from ..errors import InternalCompilerError
from ..naming import Namer
from ..source import ParsedFunction
from .census import Census

_WITH_ONE_ARGUMENT = frozenset({"pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf",
                                "pmf", "logpmf"})
_WITHOUT_ARGUMENTS = frozenset({"mean", "median", "var", "std", "entropy", "support"})
# The multivariate distributions: their freezing parameters, in order, and the
# methods of x whose unfrozen form takes those parameters after x.
_MULTIVARIATE = {"multivariate_normal": (("mean", "cov", "allow_singular"),
                                         frozenset({"pdf", "logpdf"})),
                 "dirichlet": (("alpha",), frozenset({"pdf", "logpdf"}))}


def frozen_distributions(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    stats = sys.modules.get("scipy.stats")
    if stats is None:  # the function cannot name a scipy.stats distribution
        return parsed
    if census is not None:
        census.forget()
    tree = parsed.tree
    namer = Namer({n.id for n in gast.walk(tree) if isinstance(n, gast.Name)}
                  | set(parsed.globals) | set(parsed.closure) | set(parsed.bound))
    _Distributions(stats, parsed, namer).rewrite(tree)
    return parsed


class _Distributions:
    def __init__(self, stats, parsed: ParsedFunction, namer: Namer):
        self.stats = stats
        self.parsed = parsed
        self.namer = namer
        self.parents: dict = {}

    # -- what a distribution is -------------------------------------------------------

    def parameters(self, distribution) -> tuple | None:
        """The parameter names of `distribution(...)` in order, for a
        distribution of scipy.stats itself (None for anything else)."""
        name = getattr(distribution, "name", None)
        if not isinstance(name, str) or getattr(self.stats, name, None) is not distribution:
            for multivariate, (params, _) in _MULTIVARIATE.items():
                if getattr(self.stats, multivariate, None) is distribution:
                    return params
            return None
        if not isinstance(distribution, (self.stats.rv_continuous, self.stats.rv_discrete)):
            return None
        shapes = [s.strip() for s in (distribution.shapes or "").split(",") if s.strip()]
        spread = ("loc", "scale") if isinstance(distribution, self.stats.rv_continuous) \
            else ("loc",)
        return tuple(shapes) + spread

    def label(self, distribution) -> str:
        """The name scipy.stats gives `distribution` (`norm`, `dirichlet`)."""
        return next((m for m in _MULTIVARIATE if getattr(self.stats, m, None) is distribution),
                    None) or distribution.name

    def methods(self, distribution) -> frozenset:
        for multivariate, (_, methods) in _MULTIVARIATE.items():
            if getattr(self.stats, multivariate, None) is distribution:
                return methods
        return frozenset(m for m in _WITH_ONE_ARGUMENT | _WITHOUT_ARGUMENTS
                         if callable(getattr(distribution, m, None)))

    def frozen_at_compile_time(self, obj):
        """(distribution of scipy.stats, positional arguments, keyword names)
        for a frozen distribution object, or None."""
        dist = getattr(obj, "dist", None)
        args, kwds = getattr(obj, "args", None), getattr(obj, "kwds", None)
        if dist is not None and isinstance(args, tuple) and isinstance(kwds, dict):
            canonical = getattr(self.stats, getattr(dist, "name", ""), None)
            try:
                same = type(canonical) is type(dist) and \
                    canonical._updated_ctor_param() == dist._updated_ctor_param()
            except Exception:  # noqa: BLE001 - not a distribution of scipy.stats
                same = False
            if same and all(isinstance(k, str) for k in kwds):
                return canonical, [("args", i) for i in range(len(args))], \
                    [("kwds", k) for k in kwds]
            return None
        for multivariate, (params, _) in _MULTIVARIATE.items():
            canonical = getattr(self.stats, multivariate, None)
            if canonical is not None and getattr(obj, "_dist", None) is not None and \
                    type(obj._dist) is type(canonical) and \
                    type(obj).__name__ == f"{multivariate}_frozen":
                # the frozen object's attributes hold what it was built from
                return canonical, [("attribute", p) for p in params], []
        return None

    # -- the rewrite ------------------------------------------------------------------

    def rewrite(self, tree: gast.FunctionDef) -> None:
        for node in gast.walk(tree):
            for child in gast.iter_child_nodes(node):
                self.parents[child] = node
        counts = nodes.assignment_counts(tree)
        for node in list(gast.walk(tree)):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
                receiver = node.func.value
                if isinstance(receiver, gast.Call):
                    self.frozen_in_call(node)
                else:
                    self.frozen_global(node)
        for statement in [n for n in gast.walk(tree) if isinstance(n, gast.Assign)]:
            self.frozen_in_variable(tree, statement, counts)

    def freezing(self, call: gast.AST):
        """(distribution, its parameter names) when `call` is `D(args)` for a
        distribution D of scipy.stats, with plain arguments; else None."""
        if not isinstance(call, gast.Call):
            return None
        distribution = nodes.annotation(call.func, "value", None)
        if distribution is None or not isinstance(call.func, (gast.Name, gast.Attribute)):
            return None
        params = self.parameters(distribution)
        if params is None or len(call.args) > len(params) or \
                any(isinstance(a, gast.Starred) for a in call.args) or \
                any(k.arg is None or k.arg not in params for k in call.keywords):
            return None
        return distribution, params

    def method_call(self, call: gast.Call, distribution) -> bool:
        """`call` is `<frozen>.method(x)` or `<frozen>.method()` of a method
        whose unfrozen form takes the stored arguments after its own."""
        method = call.func.attr
        if method not in self.methods(distribution) or call.keywords or \
                any(isinstance(a, gast.Starred) for a in call.args):
            return False
        expected = 0 if method in _WITHOUT_ARGUMENTS else 1
        return len(call.args) == expected

    def unfrozen_method(self, distribution_expr: gast.AST, distribution, method: str,
                        origin: gast.AST) -> gast.Attribute:
        func = nodes.copy_location(nodes.attribute(distribution_expr, method), origin)
        nodes.annotate(func, "value", getattr(distribution, method))
        return func

    def frozen_in_call(self, call: gast.Call) -> None:
        found = self.freezing(call.func.value)
        if found is None or not self.method_call(call, found[0]):
            return
        distribution, _ = found
        freeze = call.func.value
        stored = freeze.args + [k.value for k in freeze.keywords]
        # Python evaluates the stored arguments before x; the rewrite after it.
        if any(_calls_something(a) for a in call.args) and \
                any(_calls_something(a) for a in stored):
            return
        call.func = self.unfrozen_method(freeze.func, distribution, call.func.attr, call.func)
        call.args = call.args + freeze.args
        call.keywords = freeze.keywords

    def frozen_global(self, call: gast.Call) -> None:
        bound = nodes.annotation(call.func, "value", None)
        owner = getattr(bound, "__self__", None)
        if owner is None or not _is_read_as_global(call.func.value):
            return
        found = self.frozen_at_compile_time(owner)
        if found is None:
            return
        distribution, positional, keywords = found
        if not self.method_call(call, distribution):
            return
        alias = next((n for n, v in self.parsed.bound.items() if v is distribution), None) \
            or self.namer.fresh(self.label(distribution))
        self.parsed.bound[alias] = distribution
        receiver = call.func.value

        def stored(kind, key):
            if kind == "attribute":
                return nodes.attribute(nodes.clone(receiver), key)
            return nodes.subscript(nodes.attribute(nodes.clone(receiver), kind), nodes.const(key))

        name = nodes.copy_location(nodes.name(alias), call.func)
        nodes.annotate(name, "value", distribution)
        call.func = self.unfrozen_method(name, distribution, call.func.attr, call.func)
        call.args = call.args + [nodes.located(stored(*p), call) for p in positional]
        call.keywords = [gast.keyword(arg=k, value=nodes.located(stored(kind, k), call))
                         for kind, k in keywords]

    def frozen_in_variable(self, tree, statement: gast.Assign, counts) -> None:
        if len(statement.targets) != 1 or not isinstance(statement.targets[0], gast.Name):
            return
        variable = statement.targets[0].id
        found = self.freezing(statement.value)
        if found is None or counts[variable] != 1:
            return
        distribution, params = found
        uses = [n for n in gast.walk(tree) if isinstance(n, gast.Name) and n.id == variable
                and isinstance(n.ctx, gast.Load)]
        calls = []
        for use in uses:
            attribute = self.parents.get(use)
            call = self.parents.get(attribute)
            if isinstance(attribute, gast.Attribute) and isinstance(call, gast.Call) and \
                    call.func is attribute and self.method_call(call, distribution):
                calls.append(call)
        if not calls:
            return
        freeze = statement.value
        copies, positional, keywords = [], [], []
        for param, value in list(zip(params, freeze.args)) + \
                [(k.arg, k.value) for k in freeze.keywords]:
            if isinstance(value, gast.Constant):
                held = value
            else:
                held_name = self.namer.fresh(f"{variable}_{param}")
                copies.append(nodes.located(nodes.assign(held_name, value), statement))
                held = nodes.name(held_name)
            if param in {k.arg for k in freeze.keywords}:
                keywords.append((param, held))
            else:
                positional.append(held)
        for call in calls:
            call.func = self.unfrozen_method(nodes.clone(freeze.func), distribution,
                                             call.func.attr, call.func)
            call.args = call.args + [nodes.located(nodes.clone(a), call) for a in positional]
            call.keywords = [gast.keyword(arg=k, value=nodes.located(nodes.clone(v), call))
                             for k, v in keywords]
        replacement = copies
        if len(calls) < len(uses):  # rv is used otherwise too: it stays
            freeze.args = [nodes.clone(a) for a in positional]
            freeze.keywords = [gast.keyword(arg=k, value=nodes.clone(v)) for k, v in keywords]
            replacement = copies + [statement]
        _replace_statement(self.parents.get(statement), statement, replacement)


def _calls_something(expr: gast.AST) -> bool:
    """Whether evaluating `expr` may do more than read values (so moving it
    past another expression could change what either computes)."""
    return any(isinstance(n, (gast.Call, gast.NamedExpr, gast.Yield, gast.Await))
               for n in gast.walk(expr))


def _is_read_as_global(receiver: gast.AST) -> bool:
    """`PRIOR` or `config.prior`: a chain off a name resolved to a module-level
    object (not a local variable), so the object is the one seen when compiling."""
    base = receiver
    while isinstance(base, gast.Attribute):
        base = base.value
    return isinstance(base, gast.Name) and nodes.annotation(base, "value", None) is not None


def _replace_statement(parent: gast.AST, old: gast.stmt, new: list) -> None:
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(s is old for s in block):
            index = next(i for i, s in enumerate(block) if s is old)
            block[index:index + 1] = new
            if not block:
                block.append(gast.Pass())
            return
    raise InternalCompilerError("a frozen distribution bound outside a block of statements")
