"""Operators on objects of the user's classes become the method calls Python
makes for them, and a method given another such object reads its attributes.

Input: a fenced FunctionDef whose comprehensions are lowered (run by
local_objects.py, before it looks for objects). Output: the same function
where, for names every binding of which builds an object of one class of
the function's module that local_objects can model (`a = Vec2(...)`, or an
operator whose method builds one):

* `a + b`, `b * 2.0`, `-a` call the method Python calls, `type(a).__add__(a,
  b)`, `2.0 * b` its reflected one (a number's own method returns
  NotImplemented for an object of the user's class); a method whose every
  return builds an object of one class K, `return K(...)`, returns its
  arguments instead (annotated "factory_arguments", read by local_objects),
  and the object is built from them:

      c = a + b * 2.0      ->   vec2_arguments = b.__mul__(2.0)
                                vec2 = Vec2(vec2_arguments[0], vec2_arguments[1])
                                c_arguments = a.__add__(vec2.x, vec2.y)
                                c = Vec2(c_arguments[0], c_arguments[1])

* an object given to a method of another (`a.__add__(vec2)`, `a.dist(b)`)
  is given as the attributes the method reads of it (annotated
  "object_arguments": local_objects makes the method take `other_x,
  other_y` for `other.x`, `other.y`); the method must read them only, and
  change nothing, so reading them at the call is reading them where it does.

What Python would do otherwise is not modelled and stays as written, refused
by local_objects where the object is used: a method that may return
NotImplemented (refused here, naming it), a right operand whose class is a
subclass overriding the reflected method, a number or array on the left of a
method the object's class lacks, an operator whose operands are not
objects of known classes, one where Python may not evaluate it (a `while`
test, a branch of `a if t else b`).
"""

from __future__ import annotations

import inspect

import gast

from .. import nodes
from ..context import class_lookup
from ..errors import AdError, UnsupportedSyntaxError
from ..source import ParsedFunction, parse_function
from .constructed_receivers import Lift, snake
from .evaluation_order import Spill
from .inline_local import _deferred, _parents
from .resolve import local_names, module_value

_BINARY = {gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "truediv",
           gast.FloorDiv: "floordiv", gast.Mod: "mod", gast.Pow: "pow",
           gast.MatMult: "matmul"}
_UNARY = {gast.USub: "neg", gast.UAdd: "pos"}
_WORDS = {"add": "added", "sub": "difference", "mul": "product", "truediv": "quotient",
          "floordiv": "quotient", "mod": "remainder", "pow": "power", "matmul": "product",
          "neg": "negated", "pos": "positive"}
FACTORY = "factory_arguments"
OBJECT_ARGUMENTS = "object_arguments"
OBJECT_NAMES = "object_argument_names"   # the objects given, by name


def object_operators(parsed: ParsedFunction, modelled) -> bool:
    """Write operators on objects and objects given to methods as the calls
    Python makes (see the module docstring); `modelled(cls)` says whether
    local_objects can model objects of `cls`. Returns whether the tree changed."""
    return _Operators(parsed, modelled).run()


class _Operators:
    def __init__(self, parsed: ParsedFunction, modelled):
        self.parsed = parsed
        self.modelled = modelled
        self.tree = parsed.tree
        self.locals = local_names(self.tree)
        self.methods: dict = {}   # function -> its parsed tree (or None: no source)

    # -- what is known when compiling --

    def run(self) -> bool:
        tree = self.tree
        parents = _parents(tree)
        own = _own_nodes(tree)
        values: dict = {}
        augmented: dict = {}   # id(`p + v` standing for `p += v`) -> the statement
        for node in own:
            if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
                parent = parents.get(id(node), (None,))[0]
                if isinstance(parent, gast.Assign) and parent.targets == [node]:
                    values.setdefault(node.id, []).append(parent.value)
                elif isinstance(parent, gast.AugAssign) and type(parent.op) in _BINARY:
                    # Python's `p = p + v` where p's class has no __iadd__
                    # (operation() finds none for the in-place method).
                    value = nodes.copy_location(gast.BinOp(
                        left=nodes.copy_location(nodes.name(node.id), node), op=parent.op,
                        right=parent.value), parent)
                    augmented[id(value)] = parent
                    values.setdefault(node.id, []).append(value)
                else:
                    values.setdefault(node.id, []).append(None)
        for name in nodes.parameters(tree):
            values.setdefault(name, []).append(None)
        classes = self.classes_of(values, augmented)
        if not classes:
            return False
        if augmented:
            self.rebind(augmented, classes, parents)
            parents = _parents(tree)
            own = _own_nodes(tree)
        self.classes = classes
        operations = {}
        for node in own:
            if isinstance(node, (gast.BinOp, gast.UnaryOp)) and not _deferred(node, parents):
                operation = self.operation(node, classes)
                if operation is not None:
                    operations[id(node)] = operation
        calls = [n for n in own if isinstance(n, gast.Call) and self.object_arguments(n)]
        if not operations and not calls:
            return False
        namer = self.parsed.namer()
        # An operation building an object gets a name of its own, unless it
        # is the whole value bound to one (`c = a + b`).
        lifted, made = {}, {}
        for node in own:
            operation = operations.get(id(node))
            if operation is None:
                continue
            for side in (operation["receiver"], operation["argument"]):
                operand = getattr(node, side) if side is not None else None
                cls = self.class_of(operand, {}) if isinstance(operand, gast.Call) else None
                if cls is not None:   # `a + V(t)`: the object built gets a name
                    lifted[id(operand)] = (snake(cls.__name__), f"{cls.__name__}(...)")
                    made[id(operand)] = cls
            if operation["factory"] is None:
                continue
            made[id(node)] = operation["factory"][0]
            parent, field_name, _ = parents[id(node)]
            if not (isinstance(parent, gast.Assign) and field_name == "value" and
                    len(parent.targets) == 1 and isinstance(parent.targets[0], gast.Name)):
                lifted[id(node)] = (_WORDS[operation["word"]], "the result of an operator")
        if lifted:
            tree.body = Spill(self.parsed, set(lifted), set(), namer,
                              callee="an operator's method").block(tree.body)
            for node in nodes.walk(tree):
                # (an operand Spill computed into a variable before a later
                # operator: that binding is the object's)
                if isinstance(node, gast.Assign) and id(node.value) in lifted:
                    lifted.pop(id(node.value))
                    classes[node.targets[0].id] = made[id(node.value)]
            lift = Lift(self.parsed, lifted, namer)
            tree.body = lift.block(tree.body)
            for key, name in lift.names.items():
                classes[name] = made[key]
        self.namer = namer
        self.operations = operations
        tree.body = self.block(tree.body)
        return True

    def classes_of(self, values: dict, augmented: dict) -> dict:
        """name -> class for the names every binding of which gives an object
        of one class: assumed of each name bound to a construction, then
        dropped where a binding disagrees (`p = p + v` in a loop agrees)."""
        self.augmented = augmented
        classes, dropped = {}, set()
        for name, bound in values.items():
            if None not in bound:
                for value in bound:
                    if isinstance(value, gast.Call):
                        cls = self.class_of(value, {})
                        if cls is not None:
                            classes[name] = cls
                            break
        changed = True
        while changed:
            changed = False
            for name, bound in values.items():
                if None in bound or name in dropped:
                    continue
                found = {self.class_of(value, classes) for value in bound}
                if name in classes and found != {classes[name]}:
                    del classes[name]
                    dropped.add(name)
                    changed = True
                elif name not in classes and len(found) == 1 and None not in found:
                    classes[name] = found.pop()
                    changed = True
        return classes

    def rebind(self, augmented: dict, classes: dict, parents: dict) -> None:
        """`p += v` of an object p (whose class has no __iadd__) is `p = p + v`."""
        for value_id, stmt in augmented.items():
            if stmt.target.id not in classes:
                continue
            binop = gast.BinOp(left=nodes.copy_location(nodes.name(stmt.target.id), stmt),
                               op=stmt.op, right=stmt.value)
            assign = nodes.located(nodes.assign(stmt.target.id, nodes.copy_location(
                binop, stmt)), stmt)
            holder, field_name, index = parents[id(stmt)]
            getattr(holder, field_name)[index] = assign

    def class_of(self, expr, classes):
        """The class of the object `expr` builds or names, if known when compiling."""
        if isinstance(expr, gast.Name):
            return classes.get(expr.id)
        if isinstance(expr, gast.Call):
            cls = module_value(self.parsed, expr.func, self.locals)
            return cls if self.plain_class(cls) else None
        if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
            operation = self.operation(expr, classes)
            return None if operation is None or operation["factory"] is None else \
                operation["factory"][0]
        return None

    def plain_class(self, cls) -> bool:
        return isinstance(cls, type) and cls.__module__ == self.parsed.function.__module__ \
            and self.modelled(cls)

    def operation(self, node, classes):
        """What Python calls for the operator `node`: {receiver, method name,
        arguments, function, factory}, or None where this pass leaves it."""
        if isinstance(node, gast.UnaryOp):
            word = _UNARY.get(type(node.op))
            cls = self.class_of(node.operand, classes)
            if word is None or cls is None:
                return None
            return self.described(node, "operand", cls, f"__{word}__", None, word)
        word = _BINARY.get(type(node.op))
        if word is None:
            return None
        left, right = self.class_of(node.left, classes), self.class_of(node.right, classes)
        if id(node) in getattr(self, "augmented", {}) and left is not None and \
                _lookup(left, f"__i{word}__") is not None:
            return None  # `p += v` calls __iadd__, which changes p: not modelled
        if left is not None:
            reflected = f"__r{word}__"
            if right is not None and right is not left and issubclass(right, left) and \
                    _lookup(right, reflected) is not _lookup(left, reflected) or \
                    right is None and not _number(node.right) and \
                    _overridden_below(left, reflected):
                # Python tries the right operand's reflected method first where
                # its class is a subclass of the left's overriding it.
                raise UnsupportedSyntaxError(
                    f"the operator {word} on an object of {left.__name__} whose right "
                    f"operand is (or may be) of a subclass defining its own {reflected} "
                    "(Python calls that first, and the left's method only if it returns "
                    "NotImplemented): not supported by adcompiler",
                    self.parsed.location(node), help="Instead: call the method you mean "
                    f"by name, a.__{word}__(b) or b.{reflected}(a).")
            return self.described(node, "left", left, f"__{word}__", "right", word)
        if right is not None and _number(node.left):
            return self.described(node, "right", right, f"__r{word}__", "left", word)
        return None

    def described(self, node, receiver, cls, attr, arguments, word):
        function = _lookup(cls, attr)
        if not inspect.isfunction(function) or \
                function.__globals__ is not self.parsed.function.__globals__:
            return None
        tree = self.method_tree(function)
        if tree is None:
            return None
        if any(isinstance(n, gast.Name) and n.id == "NotImplemented" for n in nodes.walk(tree)):
            raise UnsupportedSyntaxError(
                f"the operator's method {function.__qualname__}, which may return "
                "NotImplemented (Python then tries the other operand's method): not "
                "supported by adcompiler", self.parsed.location(node),
                help="Instead: return a value on every path of the method (raise "
                "TypeError where there is none), or call the method you mean by name.")
        return {"receiver": receiver, "attr": attr, "argument": arguments,
                "function": function, "factory": self.factory(tree, function), "word": word}

    def method_tree(self, function):
        if function not in self.methods:
            try:
                self.methods[function] = parse_function(function).tree
            except AdError:
                self.methods[function] = None
        return self.methods[function]

    def factory(self, tree, function):
        """(K, positional count, keyword names) where every return of the
        method builds `K(...)` alike, K a class this pass models; else None."""
        shapes, found = set(), set()
        for node in nodes.walk(tree):
            if not isinstance(node, gast.Return):
                continue
            value = node.value
            if not isinstance(value, gast.Call) or \
                    any(isinstance(a, gast.Starred) for a in value.args) or \
                    any(k.arg is None for k in value.keywords):
                return None
            cls = module_value(self.parsed, value.func, local_names(tree)) \
                if isinstance(value.func, gast.Name) else None
            if not self.plain_class(cls):
                return None
            found.add(cls)
            shapes.add((len(value.args), tuple(k.arg for k in value.keywords)))
        if len(found) != 1 or len(shapes) != 1:
            return None
        return (found.pop(), *shapes.pop())

    # -- objects given to methods --

    def object_arguments(self, call) -> list:
        """[(position, parameter, attributes read)] for each known object
        `call` (`a.m(b)`) gives a method of a known object, which reads only
        attributes of it; empty where there is none, or the method does more."""
        func = call.func
        if not (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and
                func.value.id in getattr(self, "classes", {})):
            return []
        given = [i for i, arg in enumerate(call.args) if isinstance(arg, gast.Name) and
                 arg.id in self.classes]
        if not given or call.keywords or any(isinstance(a, gast.Starred) for a in call.args):
            return []
        function = _lookup(self.classes[func.value.id], func.attr)
        if not inspect.isfunction(function) or \
                function.__globals__ is not self.parsed.function.__globals__:
            return []
        tree = self.method_tree(function)
        if tree is None or not _changes_nothing(tree):
            return []
        parameters = tree.args.args
        defaulted = len(parameters) - len(tree.args.defaults)
        out = []
        for position in given:
            if position + 1 >= defaulted:
                return []
            if any(isinstance(n, gast.Call) and any(
                    isinstance(m, gast.Name) and m.id == call.args[position].id
                    for m in nodes.walk(n)) for arg in call.args[position + 1:]
                   for n in nodes.walk(arg)):
                # a.m(b, b.bump()): Python's method reads b after bump runs
                return []
            name = parameters[position + 1].id
            attributes = _attributes_read(tree, name)
            taken = {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)}
            if attributes is None or any(f"{name}_{a}" in taken for a in attributes):
                return []
            out.append((position, name, attributes))
        return out

    # -- the rewrite --

    def block(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            for field_name in ("body", "orelse"):
                if isinstance(getattr(stmt, field_name, None), list) and \
                        not isinstance(stmt, gast.FunctionDef):
                    setattr(stmt, field_name, self.block(getattr(stmt, field_name)))
            operation = self.operations.get(id(getattr(stmt, "value", None)))
            if isinstance(stmt, gast.Assign) and operation is not None and \
                    operation["factory"] is not None:
                out += self.built(stmt, operation)
                continue
            if not isinstance(stmt, gast.FunctionDef):
                self.calls_in(stmt)
            out.append(stmt)
        return out

    def built(self, stmt, operation) -> list:
        """`c = a + b` of a method building K(...): its arguments, then K(...)."""
        target = stmt.targets[0].id
        arguments = self.namer.fresh(f"{target}_arguments")
        call = self.call(operation, stmt.value)
        nodes.annotate(call, FACTORY, True)
        self.calls_in(call)
        cls, positional, keywords = operation["factory"]
        values = [nodes.copy_location(gast.Subscript(
            value=nodes.name(arguments), slice=nodes.const(i), ctx=gast.Load()), stmt)
            for i in range(positional + len(keywords))]
        construction = nodes.copy_location(gast.Call(
            func=nodes.copy_location(nodes.name(self.class_name(cls)), stmt),
            args=values[:positional],
            keywords=[gast.keyword(arg=k, value=v) for k, v in
                      zip(keywords, values[positional:])]), stmt)
        return [nodes.located(nodes.assign(arguments, call), stmt),
                nodes.located(nodes.assign(target, construction), stmt)]

    def call(self, operation, node):
        """`node`, an operator, as the call Python makes: its operands read
        now (one built by an operator is a name since Lift)."""
        receiver = getattr(node, operation["receiver"])
        arguments = [] if operation["argument"] is None else \
            [getattr(node, operation["argument"])]
        return nodes.copy_location(gast.Call(
            func=nodes.copy_location(gast.Attribute(value=receiver, attr=operation["attr"],
                                                    ctx=gast.Load()), node),
            args=arguments, keywords=[]), node)

    def calls_in(self, root) -> None:
        """Operators left in `root` (their values no object) become method
        calls, and objects given to methods their attributes."""
        for node in list(nodes.walk(root)):
            for field_name, value in gast.iter_fields(node):
                children = value if isinstance(value, list) else [value]
                for index, child in enumerate(children):
                    operation = self.operations.get(id(child))
                    if operation is None or operation["factory"] is not None:
                        continue
                    call = self.call(operation, child)
                    if isinstance(value, list):
                        value[index] = call
                    else:
                        setattr(node, field_name, call)
        for node in list(nodes.walk(root)):
            if isinstance(node, gast.Call):
                spec = self.object_arguments(node)
                if spec:
                    self.explode(node, spec)

    def explode(self, call, spec) -> None:
        args = []
        for position, arg in enumerate(call.args):
            entry = next((s for s in spec if s[0] == position), None)
            if entry is None:
                args.append(arg)
                continue
            args += [nodes.copy_location(gast.Attribute(
                value=nodes.copy_location(nodes.name(arg.id), arg), attr=attribute,
                ctx=gast.Load()), arg) for attribute in entry[2]]
        nodes.annotate(call, OBJECT_NAMES, tuple(call.args[position].id for position, _, _ in spec))
        call.args = args
        nodes.annotate(call, OBJECT_ARGUMENTS, tuple((name, tuple(attributes))
                                                     for _, name, attributes in spec))

    def class_name(self, cls) -> str:
        name = cls.__name__
        if name in self.locals or self.parsed.function.__globals__.get(name) is not cls:
            name = self.namer.fresh(snake(cls.__name__) + "_class")
            self.parsed.bound[name] = cls
        return name


def _own_nodes(tree) -> list:
    own, todo = [], list(gast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, (gast.FunctionDef, gast.Lambda)):
            continue
        own.append(node)
        todo.extend(gast.iter_child_nodes(node))
    return own


def _lookup(cls: type, attr: str):
    """What `cls` or a base of it other than `object` holds under `attr`;
    the compilation depends on it (context.class_lookup)."""
    owner, value = class_lookup(cls, attr)
    return None if owner is object else value


def _overridden_below(cls: type, attr: str) -> bool:
    """Whether a subclass of `cls` (defined so far) has its own `attr`."""
    todo = list(type.__subclasses__(cls))
    while todo:
        sub = todo.pop()
        if _lookup(sub, attr) is not _lookup(cls, attr):
            return True
        todo += type.__subclasses__(sub)
    return False


def _number(node) -> bool:
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _changes_nothing(tree) -> bool:
    """No attribute or element assigned, no method called on `self` (which
    could assign one), no super(), nothing deleted."""
    receiver = tree.args.args[0].id if tree.args.args else None
    for node in nodes.walk(tree):
        if isinstance(node, (gast.Attribute, gast.Subscript)) and \
                isinstance(node.ctx, (gast.Store, gast.Del)):
            return False
        if isinstance(node, (gast.AugAssign, gast.Delete, gast.Global, gast.Nonlocal)):
            return False
        if isinstance(node, gast.Call) and (
                isinstance(node.func, gast.Attribute) and
                isinstance(node.func.value, (gast.Name, gast.Call)) and
                getattr(node.func.value, "id", None) in (receiver, None) or
                isinstance(node.func, gast.Name) and node.func.id in (receiver, "super")):
            return False
    return True


def _attributes_read(tree, name: str):
    """The attributes the method reads of its parameter `name`, sorted, if
    those reads are all it does with it; else None."""
    parents = {id(c): p for p in nodes.walk(tree) for c in gast.iter_child_nodes(p)}
    found = set()
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and node.id == name and node is not \
                next(a for a in tree.args.args if a.id == name):
            parent = parents.get(id(node))
            if not (isinstance(node.ctx, gast.Load) and isinstance(parent, gast.Attribute) and
                    isinstance(parent.ctx, gast.Load) and not parent.attr.startswith("__")):
                return None
            holder = parents.get(id(parent))
            if isinstance(holder, gast.Call) and holder.func is parent:
                return None
            found.add(parent.attr)
    return sorted(found)
