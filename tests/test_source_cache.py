"""The second and later reads of a function copy the tree source.py's cache
keeps (every pass rewrites the tree it is given): each read is a tree of its
own, node for node the parse, sharing no node or list with the cache or with
another read. A tree the parse left plain (nodes, lists of nodes, values that
cannot change, nothing twice) is copied without nodes.clone's bookkeeping;
any other is copied by nodes.clone."""

import importlib

import gast
import pytest

from adcompiler import nodes

source = importlib.import_module("adcompiler.source")


def read_three_times(x, w):
    a, b = x * w, [x, 2.0]
    if a > 0:
        b[0] = -a ** 2
    for i in range(3):
        a = a + b[0] * i
    return a


def _nodes_and_lists(tree) -> list:
    found = []
    for node in gast.walk(tree):
        found.append(node)
        found += [v for v in node.__dict__.values() if isinstance(v, list)]
    return found


def _same(a, b) -> bool:
    """The same tree: node types, attributes in the same order, values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, gast.AST):
        return list(a.__dict__) == list(b.__dict__) and all(
            _same(a.__dict__[k], b.__dict__[k]) for k in a.__dict__)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_later_reads_are_the_parse_and_share_nothing():
    source._PARSED.pop(read_three_times, None)
    first = source.parse_function(read_three_times).tree
    second = source.parse_function(read_three_times).tree
    third = source.parse_function(read_three_times).tree
    assert source._PARSED[read_three_times][3]  # the plain copy served the third
    assert _same(first, second) and _same(first, third)
    kept = source._PARSED[read_three_times][1]
    ids = [{id(n) for n in _nodes_and_lists(t)} for t in (second, third, kept)]
    assert not ids[0] & ids[1] and not ids[1] & ids[2] and not ids[0] & ids[2]
    # A pass rewriting one read changes no later one.
    third.body[0].targets[0].elts[0].id = "renamed"
    third.body.pop()
    assert _same(first, source.parse_function(read_three_times).tree)


def _plain_tree() -> gast.AST:
    return nodes.parse_module("y = f(x, 1.5)[0] + -2\nif y:\n    z = [y, 'a', None]\n")


def test_a_plain_copy_is_what_clone_gives():
    tree = _plain_tree()
    assert source._plain(tree)
    copied, cloned = source._copy(tree), nodes.clone(tree)
    assert _same(copied, cloned) and _same(copied, tree)
    assert not {id(n) for n in _nodes_and_lists(copied)} & \
        {id(n) for n in _nodes_and_lists(tree)}


def _annotated():
    tree = _plain_tree()
    nodes.annotate(tree.body[0].value, "value", 1)
    return tree


def _sharing():
    tree = _plain_tree()
    tree.body[1].body.append(tree.body[0])  # one statement in two places
    return tree


def _other_value():
    tree = _plain_tree()
    tree.body[0].targets[0].type_comment = object()
    return tree


@pytest.mark.parametrize("make", [_annotated, _sharing, _other_value],
                         ids=["annotations", "a node in two places", "a value of another type"])
def test_a_tree_that_is_not_plain_is_left_to_clone(make):
    assert not source._plain(make())
