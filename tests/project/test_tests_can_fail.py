"""A test that cannot fail is a defect: every test function reaches a check on every path.

Read from the test files' own syntax (no test is run):
- a *check* is an `assert`, `pytest.raises` / `pytest.fail`, or a call to a function (of the
  same module, conftest.py or tests/helpers/) that itself reaches a check on every path;
- a check inside a `for` or `while` body, or inside only some branches of an `if`, is not
  reached on every path: a loop over an empty list or a case that no branch expects asserts
  nothing (test_xe_corpus.py's if/elif once let 9 corpus files through unchecked);
- so each test needs one check outside such places: a check that the list it walks is not
  empty, or an `else: pytest.fail(…)` after the branches.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]  # the whole tests/ tree
RAISING = {"raises", "fail", "warns", "deprecated_call"}


def _called_name(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        if isinstance(f.value, ast.Name) and f.value.id == "pytest" and f.attr in RAISING:
            return f"pytest.{f.attr}"
        return f.attr
    return None


def _calls(node: ast.AST) -> list[str]:
    """Names called in a statement's own expressions (not in nested functions, loops or branches)."""
    out: list[str] = []
    todo = [node]
    while todo:
        n = todo.pop()
        for child in ast.iter_child_nodes(n):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.stmt)):
                continue
            if isinstance(child, ast.Call) and (name := _called_name(child)):
                out.append(name)
            todo.append(child)
    return out


class Checks:
    def __init__(self, functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> None:
        self.functions = functions
        self.memo: dict[str, bool] = {}

    def function_checks(self, name: str) -> bool:
        if name not in self.functions:
            return False
        if name not in self.memo:
            self.memo[name] = False  # recursion: not by itself
            self.memo[name] = self.block(self.functions[name].body)
        return self.memo[name]

    def call_checks(self, names: list[str]) -> bool:
        return any(n.startswith("pytest.") or self.function_checks(n) for n in names)

    def block(self, stmts: list[ast.stmt]) -> bool:
        return any(self.statement(s) for s in stmts)

    def statement(self, s: ast.stmt) -> bool:
        if isinstance(s, ast.Assert):
            return True
        if isinstance(s, ast.Raise):
            return True  # a test that raises on its path fails there
        if isinstance(s, (ast.With, ast.AsyncWith)):
            items = [n for item in s.items for n in _calls(ast.Expr(item.context_expr)) + (
                [_called_name(item.context_expr)] if isinstance(item.context_expr, ast.Call) else [])]
            return self.call_checks([n for n in items if n]) or self.block(s.body)
        if isinstance(s, ast.If):
            return self.call_checks(_calls(s.test)) or (bool(s.orelse) and self.block(s.body) and self.block(s.orelse))
        if isinstance(s, ast.Try):
            return self.block(s.body) or self.block(s.finalbody) or (
                bool(s.handlers) and self.block(s.orelse) and all(self.block(h.body) for h in s.handlers))
        if isinstance(s, (ast.For, ast.AsyncFor, ast.While)):
            return self.call_checks(_calls(s.iter if not isinstance(s, ast.While) else s.test))
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return False
        return self.call_checks(_calls(s))


def _module_functions(path: Path) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(node.name, node)
    return out


def unchecked_tests() -> list[str]:
    shared: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for path in [TESTS / "conftest.py", *sorted((TESTS / "helpers").glob("*.py"))]:
        shared.update(_module_functions(path))
    offenders = []
    modules = sorted(TESTS.rglob("test_*.py"))
    assert len(modules) > 50, modules
    for path in modules:
        functions = {**shared, **_module_functions(path)}
        checks = Checks(functions)
        for name, fn in functions.items():
            if name.startswith("test_") and fn in _module_functions(path).values() and not checks.block(fn.body):
                offenders.append(f"{path.relative_to(TESTS)}::{name} (line {fn.lineno})")
    return offenders


def test_every_test_reaches_a_check_on_every_path() -> None:
    offenders = unchecked_tests()
    assert offenders == [], "tests that can end without checking anything:\n" + "\n".join(offenders)


def test_the_rule_sees_the_shapes_it_forbids(tmp_path: Path) -> None:
    """The checker itself can fail: each forbidden shape is caught, each honest one passes."""
    src = '''
import pytest
def walk(cases):
    for c in cases:
        assert c
def checked(cases):
    assert cases
    for c in cases:
        assert c
def test_loop_only(xs):
    for x in xs:
        assert x
def test_if_elif_no_else(name):
    if name == "a":
        assert 1
    elif name == "b":
        assert 2
def test_helper_walks_maybe_empty():
    walk([])
def test_nothing():
    x = 1
def test_ok_assert():
    assert 1
def test_ok_else_fail(name):
    if name == "a":
        assert 1
    else:
        pytest.fail("no branch")
def test_ok_raises():
    with pytest.raises(ValueError):
        int("x")
def test_ok_helper():
    checked([1])
'''
    tree = ast.parse(src)
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    checks = Checks(functions)
    got = {name for name, fn in functions.items() if name.startswith("test_") and not checks.block(fn.body)}
    assert got == {"test_loop_only", "test_if_elif_no_else", "test_helper_walks_maybe_empty", "test_nothing"}
