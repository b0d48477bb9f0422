"""The compilation pipeline, as an explicit list of stages.

    source -> lower with -> desugar -> fence -> specialise *args -> lower reduce -> lower comprehensions
           -> inline mutating helpers
           -> inline local functions
           -> lower control -> resolve -> bind methods
           -> own arguments (the differentiated function only) -> normalise -> split lists
           -> aliasing -> hoist -> activity -> reverse -> simplify -> verify -> print -> compile

`front_end` runs the stages every derivative shares (up to activity); the
mode-specific back ends live in reverse_backend.py and forward_backend.py. `dump(fn, stage)` shows any
stage's output as Python source, which is what the golden tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import gast

from . import nodes
from .context import Context
from .passes.activity import Activity, analyse
from .passes.aliasing import check_aliasing
from .passes.census import Census
from .passes.array_namespace import array_namespace
from .passes.anf import normalise
from .passes.bind_methods import bind_methods
from .passes.desugar import desugar
from .passes.loop_targets import own_loop_targets
from .passes.lower_try import guard_try_regions, mark_try_regions
from .passes.lower_with import lower_with
from .passes.lower_itertools import lower_itertools
from .passes.local_imports import local_imports
from .passes.broadcast_arrays import lower_broadcast_arrays
from .passes.frozen_distributions import frozen_distributions
from .passes.fence import fence
from .passes.fuse_softmax import fuse_softmax
from .passes.hoist import hoist
from .passes.lower_comprehensions import lower_comprehensions
from .passes.missing_attributes import missing_attributes
from .passes.lower_mapping import lower_mapping
from .passes.lower_defaultdict import lower_defaultdict
from .passes.lower_dict_methods import lower_dict_methods
from .passes.lower_reduce import lower_reduce
from .passes.constructed_receivers import builds_objects
from .passes.inline_factories import inline_factories
from .passes.function_defaults import function_defaults
from .passes.function_sequences import unroll_function_sequences
from .passes.inline_generators import inline_generators
from .passes.inline_local import inline_local
from .passes.inline_mutating import inline_mutating
from .passes.local_objects import local_objects
from .passes.lower_control import lower_control
from .passes.module_globals import module_globals
from .passes.own_arguments import (copy_lists_read_before_resizing, own_arguments,
                                   refuse_changed_mutable_defaults)
from .passes.resolve import local_names, resolve
from .passes.result_fields import result_fields
from .passes.index_tricks import index_tricks
from .passes.einsum_forms import einsum_forms
from .passes.specialise_varargs import specialise_varargs
from .passes.split_lists import split_lists
from .auxiliary import AUX_MARK, constant_aux
from .lint import lint
from .printer import to_source
from .source import ParsedFunction, parse_function


@dataclass
class FrontEnd:
    ctx: Context
    normalised: gast.FunctionDef
    activity: Activity

    def fork(self) -> "FrontEnd":
        """An independent copy to generate a second derivative from (a
        function's variant for Python numbers): the back ends change the
        context and may change the tree, and the front end is most of a
        compilation's time (issue #13)."""
        activity = self.activity
        return FrontEnd(self.ctx.fork(), nodes.clone(self.normalised), replace(
            activity, varied=set(activity.varied), useful=set(activity.useful),
            lists=set(activity.lists), stacks=set(activity.stacks), tuples=set(activity.tuples)))


# Whether the front end leaves out, on code adcompiler generated, the passes
# that find nothing to do there (see `lowered`). False only in the test that
# compares the derivatives compiled both ways (tests/test_generated_front_end.py).
SKIP_NO_OPS_ON_GENERATED = True


def lowered(function, arity: int | None = None, entry: bool = False) -> ParsedFunction:
    """Parse and fence `function`, give it `arity` parameters in place of its
    `*args` (unless None), lower its comprehensions, inline the functions it
    defines, lower its control flow, resolve its names and bind its method calls.
    `entry`: `function` is the one the user differentiates (its parameters
    defaulting to functions call those, function_defaults.py)."""
    parsed = parse_function(function)
    if not parsed.generated:
        mark_try_regions(parsed)
        lower_with(parsed)
        local_imports(parsed)
        desugar(parsed)
    generated = parsed.generated and SKIP_NO_OPS_ON_GENERATED and arity is None
    # The passes given `census` share one walk of the tree (issue #13: most
    # find nothing to do, and each walked the whole function to see that);
    # each forgets it before it changes the tree. A pass not given it may
    # change the tree: the census is forgotten after it.
    census = Census(parsed.tree)
    walked = vars(parsed).pop("walked", None)  # (generated code read back: source.py)
    if walked is not None:
        census.restore(walked)
    if not generated:
        # (Generated code is written by the back ends in the language the
        # fence lets through, from code it let through: a check that finds
        # nothing there, a walk of a Hessian's gradient code.)
        fence(parsed, census=census)
    if getattr(function, AUX_MARK, False):
        constant_aux(parsed)  # has_aux: `return loss, aux` with aux a constant
        census.forget()
    if generated:
        # Derivative code read back (a Hessian's gradient, ten times the
        # function's length, and the split helpers it calls) is the output of
        # these very passes and of the back ends, which emit none of what the
        # passes below rewrite (issue #13; each compared on 508 generated
        # functions, and the derivatives compiled with and without this in
        # tests/test_generated_front_end.py):
        # - module_globals: `global` statements were rewritten into
        #   read_global/write_global calls the first time; no back end emits one.
        # - lower_reduce, lower_comprehensions: functools.reduce and
        #   comprehensions were lowered the first time; the back ends call
        #   runtime helpers and the user's functions, never those.
        # - inline_mutating, inline_local: mutating helpers and local functions
        #   were inlined the first time; what generated code calls is a rule's
        #   runtime helper or a generated split derivative (defined in
        #   codegen's scope, not in the caller's module, so never inlined).
        # - bind_methods, frozen_distributions, result_fields: method calls,
        #   frozen scipy distributions and named-tuple fields were bound and
        #   lowered the first time; the back ends write plain calls.
        # - index_tricks, einsum_forms: np.r_[...], np.c_[...] and np.einsum
        #   with subscripts known when the code runs became calls of runtime
        #   functions the first time; the back ends never index np.r_.
        # What stays: lower_control (generated loops
        # and branches are lowered again: their form differs from the
        # user's), resolve (it annotates every name with its value and
        # records what the compilation depends on), array_namespace (it marks
        # a function written against the array API standard) and the refusal
        # of changed mutable defaults (a check, a few microseconds).
        # (One census serves the three: resolve gives it back when it rewrote
        # nothing, which on generated code it never does, and array_namespace
        # then reads it instead of walking the function again.)
        lower_control(parsed, census)
        resolve(parsed, census)
        array_namespace(parsed, census)
        refuse_changed_mutable_defaults(parsed)
        # For front_end, which reads the nodes again (Context.create, the
        # lists resized): the census is of the tree as it stands, since every
        # pass given it forgets it before changing the tree (census.py).
        parsed.generated_census = census
        return parsed
    module_globals(parsed, census)
    if arity is not None:
        specialise_varargs(parsed, arity)
        census.forget()
    lower_reduce(parsed, census)
    lower_comprehensions(parsed, census)
    lower_mapping(parsed, census)  # np.apply_along_axis, np.vectorize: loops
    lower_itertools(parsed, census)  # itertools.combinations(x, 2), ...: loops over positions
    inline_generators(parsed, census)  # for t in times(0.0, 1.0): the generator's body, there
    if entry and function_defaults(parsed):  # def loss(w, act=np.tanh): act(h) calls np.tanh
        census.forget()
    if unroll_function_sequences(parsed, census.everything):  # for act in (np.tanh, relu)
        census.forget()
    # After lowering comprehensions (a method called in one is then called in a
    # loop), before inlining helpers: the methods of the objects the function
    # creates become local functions, whose mutating helpers and bodies those
    # two passes inline (passes/local_objects.py).
    building = builds_objects(parsed, census.calls)
    named = local_names(parsed.tree, census.everything) if building else set()
    local_objects(parsed, census=census)
    inline_factories(parsed, census)  # f = make_loss(scale): the function it builds, here
    inline_mutating(parsed, census)
    inline_local(parsed, census)
    if building and builds_objects(parsed, census.calls):
        # Objects the inlined methods build (`self.l1 = Dense(W)` in a model's
        # __init__) are now built in the function itself, under new names: a
        # second round replaces those by variables too, and inlines their
        # methods (the objects the first round left stay as they were).
        local_objects(parsed, census=census, known=named)
        inline_mutating(parsed, census)
        inline_local(parsed, census)
    lower_defaultdict(parsed, census)
    lower_dict_methods(parsed, census)
    lower_control(parsed, census)
    missing_attributes(parsed, census)  # np.trapz under NumPy 2: raises, as in Python
    resolve(parsed, census)
    bind_methods(parsed, census)
    array_namespace(parsed, census)
    frozen_distributions(parsed, census)
    result_fields(parsed, census)
    index_tricks(parsed, census)
    einsum_forms(parsed, census)
    refuse_changed_mutable_defaults(parsed)
    return parsed


def front_end(function, wrt: tuple, arity: int | None = None, entry: bool = False) -> FrontEnd:
    """Parse, fence, lower, resolve, normalise and analyse `function`; `wrt`
    counts the parameters that replace `*args` when `arity` is given. `entry`:
    `function` is the one the user differentiates, not a helper it calls (it
    copies the lists it resizes, own_arguments.py)."""
    parsed = lowered(function, arity, entry)
    # Generated code: the census `lowered` made, its nodes still those of
    # the tree (issue #13: Context.create and copy_lists_read_before_resizing
    # each walked a Hessian's gradient code again). Dropped from `parsed`,
    # which may outlive the compilation, with the nodes it lists.
    census = vars(parsed).pop("generated_census", None)
    if census is None and not parsed.generated:
        census = Census(parsed.tree)
    if entry and not (parsed.generated and SKIP_NO_OPS_ON_GENERATED):
        # Generated code never resizes its parameters (it would change the
        # caller's lists: derivative code never mutates its inputs), and the
        # first compilation copied the lists the user's function resizes.
        own_arguments(parsed, wrt, census)
    copy_lists_read_before_resizing(parsed, census)
    ctx = Context.create(parsed, wrt, census)
    # The tree itself is normalised, not a copy (issue #13: copying a Hessian's
    # gradient code took 4% of its compilation). Nothing reads parsed.tree
    # after this but its root's position (`first_line`, `location`) and the
    # names it reads, which Context.create kept (ctx.read_names); parse_function
    # gives every compilation a tree of its own.
    normalised = guard_try_regions(normalise(parsed.tree, ctx), ctx)
    if not parsed.generated:
        normalised = own_loop_targets(normalised, ctx)
    # Passes that find nothing in code adcompiler generated (issue #13: a
    # walk or two of a Hessian's gradient code each, 4% of its compilation):
    # - lower_broadcast_arrays: the user's np.broadcast_arrays were lowered
    #   the first time, and no rule template or back end writes one (were
    #   one left, it has no rule: refused, never wrong).
    # - hoist: the only loops it looks at (over a name bound once to a range
    #   of constants) are the primal sweep's copies of the user's loops, from
    #   which the first compilation hoisted every invariant statement; the
    #   derivative code only adds bindings and mutations, which make fewer
    #   statements invariant. (Adjoint loops go over `_range[::-1]`.)
    # - fuse_softmax: a softmax written out that the first compilation did not
    #   fuse stays unfusable (its intermediates are read and bound at least as
    #   often in the derivative code), and no rule template writes one.
    # hoist and fuse_softmax compute the same values either way: leaving them
    # out could cost speed, never a wrong derivative.
    # (tests/test_generated_front_end.py runs each on the generated code of
    # corpus programs: it changes nothing there.)
    leave_out = parsed.generated and SKIP_NO_OPS_ON_GENERATED
    if not leave_out:
        normalised = lower_broadcast_arrays(normalised, ctx)
    normalised = split_lists(normalised, ctx)
    # Before hoisting: a name written back into is not loop-invariant.
    normalised = check_aliasing(normalised, ctx)
    if not leave_out:
        ctx.list_definitions = None  # (hoisting moves statements)
        normalised = fuse_softmax(hoist(normalised), ctx)
    activity = analyse(normalised, ctx)
    lint(normalised, ctx, activity)
    return FrontEnd(ctx, normalised, activity)


STAGES = ("parse", "lower", "normalise", "hoist", "activity")


def dump(function, stage: str = "normalise", wrt: tuple = (0,),
         arity: int | None = None) -> str:
    """The output of one stage as text.

    Example:
        >>> def f(x):
        ...     return np.sin(x * 2)
        >>> print(dump(f, "normalise"))   # doctest: +SKIP
        def f(x):
            _t1 = x * 2
            _t2 = np.sin(_t1)
            return _t2
    """
    if stage == "parse":
        return to_source(parse_function(function).tree)
    if stage == "lower":
        return to_source(lowered(function, arity).tree)
    if stage == "normalise":
        parsed = lowered(function, arity)
        ctx = Context.create(parsed, wrt)
        normalised = guard_try_regions(normalise(nodes.clone(parsed.tree), ctx), ctx)
        return to_source(lower_broadcast_arrays(normalised, ctx))
    result = front_end(function, wrt, arity)
    if stage == "hoist":
        return to_source(result.normalised)
    if stage == "activity":
        return result.activity.dump()
    raise ValueError(f"unknown stage {stage!r}; choose one of {STAGES}")
