"""More of the mutation grammar (tests/mutation_generator.py): the views,
writes, containers and helpers its first grammar did not draw.

    wide_view    ::= NEW = VIEW                  v[n-1::-2], v[-2:0:-2], v[1::3], v[:, None],
                                                 v[None, :], v[..., None], np.expand_dims(v, k),
                                                 v.real, v.view(), np.array(v, copy=False), v[:],
                                                 np.ravel(v), v.reshape(-1, 1), M.transpose(),
                                                 np.moveaxis(M, 1, 0), np.swapaxes(M, -1, -2),
                                                 M.T[::-1], M[::-1, ::-2], M[:, 1::2],
                                                 np.squeeze(M[:, :1], axis=1), M[:1].squeeze(0),
                                                 np.expand_dims(M, 0)[0], and the copies that look
                                                 like views: M.T.ravel(), M.ravel(order="F")
                   (then, half the time, written through at once)
    wide_write   ::= T.flat[k] (op)= e | T.flat[[i, j]] = e | np.put(T, [i, j], e)
                   | np.place(T, T > 0, [a, b]) | np.copyto(T, e, where=T > 0)
                   | np.cumsum(e, axis=k, out=T) | np.cumsum(T, axis=k, out=T)
                   | np.add.at / np.subtract.at / np.multiply.at(T, [i, j, i], e)
                   | T.sort() | T.sort(axis=0) | T.fill(c) | np.fill_diagonal(T, e)
                   | T += T[::-1] | np.add(T, 0.5 * T[::-1], out=T) | T -= T[:1]
                   | np.copyto(T, T[::-1]) | T[:] = e | T[()] = e | T[n-1::-2] (op)= e
                   | np.tanh(e, out=T[::-1]) | np.sin(e, out=M.T) | np.multiply(T, T, out=T)
                   | np.clip(T, lo, hi, out=T[::-1]) | np.negative(T, out=T[::-1])
    readonly     ::= d = np.diagonal(M) | M.diagonal() | np.broadcast_to(v, (2, n))
                   | sliding_window_view(v, 3), then a write into the base; d is read at
                     the return (it shows the write)
    list_ops     ::= L = [a, b] then 1-3 of: L += [e], L.extend([a, e]), L.insert(0, a),
                     q = L.pop(), L.pop(0), del L[0], L.reverse(), L.sort(key=...),
                     L[0], L[-1] = L[-1], L[0], L[:1] = [a], L = L + [e]; second names for
                     it: L2 = L, copy.copy(L), copy.deepcopy(L), list(L), L[:], [*L];
                     writes through either name, read through both
    nested_list  ::= N = [[a, b], [c]]; N[0].append(e); N[i][j] (op)= e; for g in N: for t in g
    namespace    ::= ns = SimpleNamespace(a=u, b=w) | ns = Pair(u, w) (a dataclass); ns.a op= e,
                     ns.b[i] = e, t = ns.a; t op= e, ns.c = e
    dict_ops     ::= E = dict(D) | {**D} | copy.copy(D) | copy.deepcopy(D); E[k] op= e;
                     D.update(c=e); D.setdefault("a", e); q = D.pop("a")
    wide_helper  ::= helpers that change an argument and return a view of it (u[::-1], M.T),
                     write through out=None / out=w, cumsum into their argument, pop from or
                     grow a list, swap ends, sort rows, bump an attribute, bag=None defaults

Only shapes are modelled: what a name holds after a write is the NumPy
program's business, which is the oracle; a list's entries are a list of
shapes shared by the names that are one list.
"""

from __future__ import annotations

WIDE_HELPERS = {
    "scaled_view": ["def scaled_view(u, c):", "    u *= np.cos(c)", "    return u[::-1]"],
    "transposed_bump": ["def transposed_bump(u, c):", "    t = u.T", "    t[0] += c",
                        "    return t"],
    "into": ["def into(u, out=None):", "    if out is None:", "        out = np.empty_like(u)",
             "    np.tanh(u, out=out)", "    return out"],
    "cumulative": ["def cumulative(u):", "    np.cumsum(u, axis=0, out=u)", "    return u"],
    "pop_last": ["def pop_last(L):", "    t = L.pop()", "    t *= 0.5", "    return t"],
    "grow": ["def grow(L, v):", "    L += [v * 2.0]", "    return len(L)"],
    "swap_ends": ["def swap_ends(u):", "    u[0], u[-1] = u[-1].copy(), u[0].copy()"],
    "sort_rows": ["def sort_rows(u):", "    u.sort(axis=0)", "    return u[0]"],
    "bump_attr": ["def bump_attr(ns, c):", "    ns.a += c", "    return ns"],
    "bag_of": ["def bag_of(v, bag=None):", "    bag = [] if bag is None else bag",
               "    bag.append(v)", "    return bag"],
    "halve_view": ["def halve_view(u):", "    w = u.reshape(-1)", "    w[::2] *= 0.5",
                   "    return w"],
}

# Forms adcompiler refuses today (each refusal hides the rest of its program
# from the oracle): drawn one time in four that they come up.
SELDOM = {"flat_item", "flat_add", "flat_fancy", "copyto_where", "multiply_at",
          "sliding_window", "splat", "SimpleNamespace", "dataclass"}

PAIR = ["@dataclass", "class Pair:", "    a: np.ndarray", "    b: np.ndarray"]


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


class WideStatements:
    """The widened statements; mixed into mutation_generator.Writer, whose
    helpers (expr, scalar_leaf, bounded, mutation, index_write...) they use."""

    # -- views ----------------------------------------------------------------------

    def wide_view(self, scope, indent: int) -> None:
        base = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        shape = scope.arrays[base]
        name = self.fresh("w")
        if len(shape) == 1:
            n = shape[0]
            k = self.c.integer(0, 1)
            forms = {
                "step_back": (f"{base}[{n - 1}::-2]", (len(range(n - 1, -1, -2)),)),
                "step_back_inner": (f"{base}[-2:0:-2]", (len(range(n - 2, 0, -2)),)),
                "step3": (f"{base}[1::3]", (len(range(1, n, 3)),)),
                "column": (f"{base}[:, None]", (n, 1)),
                "row": (f"{base}[None, :]", (1, n)),
                "ellipsis_none": (f"{base}[..., None]", (n, 1)),
                "expand_dims": (f"np.expand_dims({base}, {k})", (1, n) if k == 0 else (n, 1)),
                "real": (f"{base}.real", (n,)),
                "view": (f"{base}.view()", (n,)),
                "array_no_copy": (f"np.array({base}, copy=False)", (n,)),
                "asarray": (f"np.asarray({base})", (n,)),
                "full_slice": (f"{base}[:]", (n,)),
                "ravel": (f"np.ravel({base})", (n,)),
                "reshape_column": (f"{base}.reshape(-1, 1)", (n, 1)),
                "squeeze_back": (f"np.squeeze({base}[None, :], axis=0)", (n,)),
            }
        else:
            r, c = shape
            forms = {
                "moveaxis": (f"np.moveaxis({base}, 1, 0)", (c, r)),
                "transpose_method": (self.c.choice([f"{base}.transpose()",
                                                    f"{base}.transpose(1, 0)"]), (c, r)),
                "swapaxes_negative": (f"np.swapaxes({base}, -1, -2)", (c, r)),
                "T_reversed": (f"{base}.T[::-1]", (c, r)),
                "double_step": (f"{base}[::-1, ::-2]", (r, len(range(c - 1, -1, -2)))),
                "column_step": (f"{base}[:, 1::2]", (r, len(range(1, c, 2)))),
                "squeeze": (f"np.squeeze({base}[:, :1], axis=1)", (r,)),
                "squeeze_method": (f"{base}[:1].squeeze(0)", (c,)),
                "expand_then_index": (f"np.expand_dims({base}, 0)[0]", (r, c)),
                "real": (f"{base}.real", (r, c)),
                "view": (f"{base}.view()", (r, c)),
                "T_ravel": (f"{base}.T.ravel()", (r * c,)),
                "ravel_F": (f'{base}.ravel(order="F")', (r * c,)),
                "reshape_flat": (f"{base}.reshape({r * c})", (r * c,)),
                "row_none": (f"{base}[{self.c.integer(0, r - 1)}][None]", (1, c)),
            }
        form = self.c.choice(sorted(forms))
        text, new_shape = forms[form]
        if not _size(new_shape):              # v[-2:0:-2] of two entries
            form, text, new_shape = "view", f"{base}.view()", shape
        self.features.add(f"wide view {form}")
        self.emit(indent, f"{name} = {text}")
        scope.arrays[name] = new_shape
        if self.c.flip():
            self.wide_write(scope, indent, name, new_shape)

    # -- writes -----------------------------------------------------------------------

    def wide_write(self, scope, indent: int, target: str | None = None, shape=None) -> None:
        if target is None:
            target, shape = self.target(scope)
        if not shape or not _size(shape):
            return self.in_place(scope, indent, target, shape)
        size = _size(shape)
        c = self.scalar_leaf(scope)
        e = lambda: self.expr(scope, shape)  # noqa: E731
        forms = ["flat_item", "flat_add", "flat_fancy", "put", "place", "copyto_where",
                 "cumsum_out", "cumsum_self", "add_at", "multiply_at", "sort", "fill",
                 "add_reversed", "iadd_reversed", "subtract_first", "copyto_reversed",
                 "full_slice", "empty_tuple", "step_back", "out_reversed", "square_out",
                 "clip_out_reversed", "negative_out_reversed"]
        if len(shape) == 2:
            forms += ["fill_diagonal", "sort_axis0", "out_transposed", "cumsum_axis1"]
        form = self.c.choice(forms)
        if form in SELDOM and self.c.integer(0, 3):
            form = self.c.choice([f for f in forms if f not in SELDOM])
        self.features.add(f"wide write {form}")
        n = shape[0]
        i, j = self.c.integer(0, size - 1), self.c.integer(-size, size - 1)
        row = shape[1:]
        line = {
            "flat_item": lambda: f"{target}.flat[{i}] = {c}",
            "flat_add": lambda: f"{target}.flat[{i}] += np.tanh({c})",
            "flat_fancy": lambda: f"{target}.flat[[{i}, {j}]] = np.tanh(np.array([{c}, "
                                  f"{self.scalar_leaf(scope)}]))",
            "put": lambda: f"np.put({target}, [{i}, {j}], np.cos(np.array([{c}, "
                           f"{self.scalar_leaf(scope)}])))",
            "place": lambda: f"np.place({target}, {target} > 0.0, [np.sin({c}), 0.25])",
            "copyto_where": lambda: f"np.copyto({target}, np.tanh({e()}), where={target} > 0.0)",
            "cumsum_out": lambda: f"np.cumsum(np.tanh({e()}), axis=0, out={target})",
            "cumsum_self": lambda: (f"np.cumsum({target}, axis=0, out={target})" if self.c.flip()
                                    else f"{target}.cumsum(axis=0, out={target})"),
            "cumsum_axis1": lambda: f"np.cumsum(0.5 * np.tanh({e()}), axis=1, out={target})",
            "add_at": lambda: (f"np.{self.c.choice(['add', 'subtract'])}.at({target}, "
                               f"[{self.c.integer(0, n - 1)}, {self.c.integer(-n, n - 1)}, 0], "
                               f"0.5 * np.tanh({self.expr(scope, (3,) + row)}))"),
            "multiply_at": lambda: (f"np.multiply.at({target}, [{self.c.integer(0, n - 1)}, "
                                    f"{self.c.integer(0, n - 1)}], np.cos({c}))"),
            "sort": lambda: f"{target}.sort()",
            "sort_axis0": lambda: f"{target}.sort(axis=0)",
            "fill": lambda: f"{target}.fill({c})",
            "fill_diagonal": lambda: f"np.fill_diagonal({target}, np.tanh({c}))",
            "add_reversed": lambda: f"np.add({target}, 0.5 * {target}[::-1], out={target})",
            "iadd_reversed": lambda: f"{target} += {target}[::-1]",
            "subtract_first": lambda: f"{target} -= {target}[:1]",
            "copyto_reversed": lambda: f"np.copyto({target}, {target}[::-1])",
            "full_slice": lambda: f"{target}[:] = np.tanh({e()})",
            "empty_tuple": lambda: f"{target}[()] = np.sin({e()})",
            "step_back": lambda: (f"{target}[{n - 1}::-2] "
                                  f"{self.c.choice(['=', '+=', '*='])} "
                                  f"np.cos({self.expr(scope, (len(range(n - 1, -1, -2)),) + row)})"),
            "out_reversed": lambda: f"np.tanh({e()}, out={target}[::-1])",
            "out_transposed": lambda: f"np.sin({self.expr(scope, shape[::-1])}, out={target}.T)",
            "square_out": lambda: f"np.multiply({target}, {target}, out={target})",
            "clip_out_reversed": lambda: f"np.clip({target}, -0.5123, 0.7541, out={target}[::-1])",
            "negative_out_reversed": lambda: f"np.negative({target}, out={target}[::-1])",
        }[form]()
        self.emit(indent, line)

    # -- read-only views read after a write into their base ----------------------------

    def readonly_view(self, scope, indent: int) -> None:
        name = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        shape = scope.arrays[name]
        d = self.fresh("d")
        if len(shape) == 2:
            form = self.c.choice(["diagonal", "diagonal_method", "broadcast_to"])
        else:
            form = self.c.choice(["broadcast_to", "sliding_window"] if shape[0] >= 3
                                 else ["broadcast_to"])
            if form in SELDOM and self.c.integer(0, 3):
                form = "broadcast_to"
        self.features.add(f"read-only view {form}")
        self.emit(indent, {
            "diagonal": f"{d} = np.diagonal({name})",
            "diagonal_method": f"{d} = {name}.diagonal()",
            "broadcast_to": f"{d} = np.broadcast_to({name}, (2,) + {name}.shape)",
            "sliding_window": f"{d} = np.lib.stride_tricks.sliding_window_view({name}, 3)",
        }[form])
        for _ in range(self.c.integer(1, 2)):
            if self.c.flip():
                self.wide_write(scope, indent, name, shape)
            else:
                self.index_write(scope, indent, name, shape)
        self.scalars.append(f"np.sum(np.sin({d}) * 0.75)")

    # -- lists: structure changed, second names, nested ----------------------------------

    def _list_entries(self, scope, name: str) -> None:
        """Re-register the entries of every name bound to the list `name` is."""
        model = self.lists[name]
        for other, m in self.lists.items():
            if m is not model:
                continue
            for key in [k for k in scope.arrays if k.startswith(f"{other}[")]:
                del scope.arrays[key]
            if model.known:
                for k, shape in enumerate(model):
                    scope.arrays[f"{other}[{k}]"] = shape
                if model:
                    scope.arrays[f"{other}[-1]"] = model[-1]

    def list_ops(self, scope, indent: int) -> None:
        names = sorted(n for n, sh in scope.arrays.items() if sh)
        mine = [n for n in self.lists if self.lists[n].known]
        if mine and self.c.flip():
            L = self.c.choice(sorted(mine))
        else:
            L = self.fresh("L")
            a, b = self.c.choice(names), self.c.choice(names)
            self.emit(indent, f"{L} = [{a}, {b}]")
            self.lists[L] = ListModel([scope.arrays[a], scope.arrays[b]])
            scope.containers.append(("list", L))
        for _ in range(self.c.integer(1, 3)):
            self._list_op(scope, indent, L, names)
            if not self.lists[L].known:
                break
        self._list_entries(scope, L)
        entries = [k for k in scope.arrays if k.startswith(f"{L}[") and scope.arrays[k]]
        if entries and self.c.flip():
            entry = self.c.choice(sorted(entries))
            if self.c.flip():
                self.wide_write(scope, indent, entry, scope.arrays[entry])
            else:
                self.in_place(scope, indent, entry, scope.arrays[entry])

    def _list_op(self, scope, indent: int, L: str, names) -> None:
        model = self.lists[L]
        forms = ["iadd", "extend", "insert", "pop", "reverse", "sort", "swap", "slice_assign",
                 "rebind_concat", "second_name", "second_name"]
        if len(model) > 1:
            forms += ["pop_front", "del"]
        form = self.c.choice(forms)
        self.features.add(f"list {form}")
        a = self.c.choice([n for n in names if n in scope.arrays])
        a_shape = scope.arrays[a]          # `a` may be an entry re-registered below
        shape = self.c.choice([(3,), (4,), (6,), (3, 4)])
        if form == "iadd":
            self.emit(indent, f"{L} += [{self.expr(scope, shape, exact=True)}]")
            model.append(shape)
        elif form == "extend":
            self.emit(indent, f"{L}.extend([{a}, {self.expr(scope, shape, exact=True)}])")
            model.extend([a_shape, shape])
        elif form == "insert":
            self.emit(indent, f"{L}.insert(0, {a})")
            model.insert(0, a_shape)
        elif form in ("pop", "pop_front"):
            q = self.fresh("q")
            self.emit(indent, f"{q} = {L}.pop()" if form == "pop" else f"{q} = {L}.pop(0)")
            scope.arrays[q] = model.pop() if form == "pop" else model.pop(0)
            if not model:
                model.append(scope.arrays[q])
                self.emit(indent, f"{L}.append({q})")
        elif form == "del":
            self.emit(indent, f"del {L}[0]")
            model.pop(0)
        elif form == "reverse":
            self.emit(indent, f"{L}.reverse()")
            model.reverse()
        elif form == "sort":
            self.emit(indent, f"{L}.sort(key=lambda t: float(np.sum(t)))")
            if len(set(model)) > 1:     # which entry lands where depends on the data
                model.known = False
        elif form == "swap":
            self.emit(indent, f"{L}[0], {L}[-1] = {L}[-1], {L}[0]")
            model[0], model[-1] = model[-1], model[0]
        elif form == "slice_assign":
            self.emit(indent, f"{L}[:1] = [{a}]")
            model[0] = a_shape
        elif form == "rebind_concat":
            self.emit(indent, f"{L} = {L} + [{self.expr(scope, shape, exact=True)}]")
            self.lists[L] = ListModel(list(model) + [shape])
        else:
            M = self.fresh("L")
            how = self.c.choice(["{}", "copy.copy({})", "copy.deepcopy({})", "list({})",
                                 "{}[:]", "[*{}]"])
            self.features.add(f"second list name {how.format('L')}")
            if "copy." in how:
                self.imports.add("import copy")
            self.emit(indent, f"{M} = {how.format(L)}")
            self.lists[M] = model if how == "{}" else ListModel(model)
            scope.containers.append(("list", M))
            self._list_entries(scope, M)
            entries = [k for k in scope.arrays if k.startswith(f"{M}[") and scope.arrays[k]]
            if entries:
                entry = self.c.choice(sorted(entries))
                self.in_place(scope, indent, entry, scope.arrays[entry])
            if self.c.flip():
                self.emit(indent, f"{M}.append({a})")
                self.lists[M].append(a_shape)
                self._list_entries(scope, M)
        self._list_entries(scope, L)

    def nested_list(self, scope, indent: int) -> None:
        names = sorted(n for n, sh in scope.arrays.items() if sh)
        a, b, c = (self.c.choice(names) for _ in range(3))
        N = self.fresh("N")
        self.features.add("nested list")
        self.emit(indent, f"{N} = [[{a}, {b}], [{c}]]")
        entries = {f"{N}[0][0]": scope.arrays[a], f"{N}[0][1]": scope.arrays[b],
                   f"{N}[1][0]": scope.arrays[c]}
        if self.c.flip():
            shape = self.c.choice([(3,), (4,), (6,), (3, 4)])
            self.emit(indent, f"{N}[{self.c.integer(0, 1)}].append(np.tanh("
                              f"{self.expr(scope, shape, exact=True)}))")
        scope.arrays.update(entries)
        form = self.c.choice(["entry", "loop", "row_name"])
        self.features.add(f"nested list {form}")
        if form == "entry":
            entry = self.c.choice(sorted(entries))
            self.wide_write(scope, indent, entry, entries[entry])
        elif form == "loop":
            g, t = self.fresh("g"), self.fresh("t")
            self.emit(indent, f"for {g} in {N}:")
            self.emit(indent + 1, f"for {t} in {g}:")
            self.generic(scope, indent + 2, t)
        else:
            g = self.fresh("g")
            self.emit(indent, f"{g} = {N}[0]")
            self.emit(indent, f"{g}[1] *= np.cos({self.scalar_leaf(scope)})")

    # -- attributes and dicts ----------------------------------------------------------------

    def namespace(self, scope, indent: int) -> None:
        if self.c.integer(0, 3):        # SELDOM: attribute writes are refused
            return self.wide_write(scope, indent)
        names = sorted(n for n, sh in scope.arrays.items() if sh)
        a, b = self.c.choice(names), self.c.choice(names)
        ns = self.fresh("ns")
        if self.c.flip():
            self.imports.add("from types import SimpleNamespace")
            self.features.add("SimpleNamespace")
            self.emit(indent, f"{ns} = SimpleNamespace(a={a}, b={b})")
        else:
            self.imports.add("from dataclasses import dataclass")
            self.pair = True
            self.features.add("dataclass instance")
            self.emit(indent, f"{ns} = Pair({a}, {b})")
        scope.arrays[f"{ns}.a"] = scope.arrays[a]
        scope.arrays[f"{ns}.b"] = scope.arrays[b]
        form = self.c.choice(["in_place", "entry", "second_name", "new_attribute", "helper"])
        self.features.add(f"attribute {form}")
        if form == "in_place":
            self.in_place(scope, indent, f"{ns}.a", scope.arrays[a])
        elif form == "entry":
            self.wide_write(scope, indent, f"{ns}.b", scope.arrays[b])
        elif form == "second_name":
            t = self.fresh("t")
            self.emit(indent, f"{t} = {ns}.a")
            scope.arrays[t] = scope.arrays[a]
            self.in_place(scope, indent, t, scope.arrays[a])
        elif form == "new_attribute":
            shape = self.c.choice([(3,), (4,), (6,)])
            self.emit(indent, f"{ns}.c = np.tanh({self.expr(scope, shape, exact=True)})")
            scope.arrays[f"{ns}.c"] = shape
            self.emit(indent, f"{ns}.c[0] += {ns}.a.sum() * 0.25")
        else:
            self.use_wide_helper("bump_attr")
            self.emit(indent, f"bump_attr({ns}, {self.scalar_leaf(scope)})")

    def dict_ops(self, scope, indent: int) -> None:
        dicts = ["P"] + [n for k, n in scope.containers if k == "dict"]
        D = self.c.choice(dicts)
        keys = ["w", "b"] if D == "P" else ["a", "b"]
        k = self.c.choice(keys)
        shape = scope.arrays.get(f'{D}["{k}"]')
        if not shape:
            return self.mutation(scope, indent)
        form = self.c.choice(["dict", "splat", "copy", "deepcopy", "update", "setdefault", "pop"])
        if form in SELDOM and self.c.integer(0, 3):
            form = "dict"
        self.features.add(f"dict {form}")
        E = self.fresh("E")
        if form in ("dict", "splat", "copy", "deepcopy"):
            if form in ("copy", "deepcopy"):
                self.imports.add("import copy")
            how = {"dict": "dict({})", "splat": "{{**{}}}", "copy": "copy.copy({})",
                   "deepcopy": "copy.deepcopy({})"}[form]
            self.emit(indent, f"{E} = {how.format(D)}")
            scope.arrays[f'{E}["{k}"]'] = shape
            self.wide_write(scope, indent, f'{E}["{k}"]', shape) if self.c.flip() else \
                self.in_place(scope, indent, f'{E}["{k}"]', shape)
        elif form == "update":
            new = self.c.choice([(3,), (4,)])
            self.emit(indent, f"{D}.update(c=np.tanh({self.expr(scope, new, exact=True)}))")
            scope.arrays[f'{D}["c"]'] = new
            self.in_place(scope, indent, f'{D}["c"]', new)
        elif form == "setdefault":
            self.emit(indent, f'{E} = {D}.setdefault("{k}", np.zeros({shape}))')
            scope.arrays[E] = shape
            self.in_place(scope, indent, E, shape)
        else:
            self.emit(indent, f'{E} = {D}.pop("{k}")')
            del scope.arrays[f'{D}["{k}"]']
            scope.arrays[E] = shape
            self.wide_write(scope, indent, E, shape)
            self.emit(indent, f'{D}["{k}"] = {E}')
            scope.arrays[f'{D}["{k}"]'] = shape

    # -- helpers ---------------------------------------------------------------------------

    def use_wide_helper(self, name: str) -> str:
        if name not in self.wide_helpers:
            self.wide_helpers.append(name)
        self.features.add(f"helper {name}")
        return name

    def wide_helper(self, scope, indent: int) -> None:
        names = sorted(n for n, sh in scope.arrays.items() if sh)
        u = self.c.choice(names)
        shape = scope.arrays[u]
        r = self.fresh("r")
        forms = ["scaled_view", "into", "into_out", "into_self", "cumulative", "swap_ends",
                 "sort_rows", "bag_of", "halve_view"]
        lists = [n for n in self.lists if self.lists[n].known and self.lists[n]]
        if lists:
            forms += ["pop_last", "grow"]
        if len(shape) == 2:
            forms.append("transposed_bump")
        form = self.c.choice(forms)
        c = self.scalar_leaf(scope)
        helper = {"into_out": "into", "into_self": "into"}.get(form, form)
        self.use_wide_helper(helper)
        if form == "scaled_view":
            self.emit(indent, f"{r} = scaled_view({u}, {c})")
            scope.arrays[r] = shape
            self.wide_write(scope, indent, r, shape)
        elif form == "transposed_bump":
            self.emit(indent, f"{r} = transposed_bump({u}, {c})")
            scope.arrays[r] = shape[::-1]
            self.in_place(scope, indent, r, shape[::-1])
        elif form == "into":
            self.emit(indent, f"{r} = into({u})")
            scope.arrays[r] = shape
        elif form == "into_out":
            others = [n for n in names if scope.arrays[n] == shape and n != u]
            if not others:
                self.emit(indent, f"{r} = into({u}, out={u})")
            else:
                self.emit(indent, f"{r} = into({u}, out={self.c.choice(others)})")
            scope.arrays[r] = shape
            self.in_place(scope, indent, r, shape)
        elif form == "into_self":
            self.emit(indent, f"into({u}, {u})")
        elif form == "cumulative":
            self.emit(indent, f"{r} = cumulative({u})")
            scope.arrays[r] = shape
        elif form == "swap_ends":
            self.emit(indent, f"swap_ends({u})")
        elif form == "sort_rows":
            self.emit(indent, f"{r} = sort_rows({u})")
            if len(shape) == 2:      # of a vector: its least entry, a number
                scope.arrays[r] = shape[1:]
        elif form == "bag_of":
            self.emit(indent, f"{r} = bag_of({u})")
            self.emit(indent, f"{r}[0] *= np.cos({c})")
        elif form == "halve_view":
            self.emit(indent, f"{r} = halve_view({u})")
            scope.arrays[r] = (_size(shape),)
        elif form == "pop_last":
            L = self.c.choice(sorted(lists))
            self.emit(indent, f"{r} = pop_last({L})")
            scope.arrays[r] = self.lists[L].pop()
            if not self.lists[L]:
                self.emit(indent, f"{L}.append({r})")
                self.lists[L].append(scope.arrays[r])
            self._list_entries(scope, L)
        else:
            L = self.c.choice(sorted(lists))
            self.emit(indent, f"{r} = grow({L}, {u})")
            self.lists[L].append(shape)
            self._list_entries(scope, L)


class ListModel(list):
    """The shapes of a list's entries, in order; `known` is False once the order
    depends on the data (sorted by a key of the values)."""

    def __init__(self, shapes=()):
        super().__init__(shapes)
        self.known = True
