"""The simulated shell's parser: pure, table-driven and property-based."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xensim.shell import For, If, Pipeline, Redir, ShellSyntaxError, Simple, While, Word, parse, tokenize


def words(line: str) -> list[str]:
    """The literal words of a line without expansions (quotes removed)."""
    out = []
    for tok in tokenize(line):
        assert isinstance(tok, Word) and all(kind == "lit" for kind, _ in tok), tok
        out.append("".join(v for _, v in tok))
    return out


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                        min_size=1), min_size=1, max_size=6))
def test_shlex_quoted_words_come_back_exactly(argv: list[str]) -> None:
    assert words(shlex.join(argv)) == argv


def first(line: str):
    seq = parse(line)
    assert len(seq.items) >= 1
    return seq.items[0].items[0][1]


def test_lists_and_or_and_pipelines() -> None:
    seq = parse("a; b && c || d\ne | f | g")
    assert [[op for op, _ in ao.items] for ao in seq.items] == [[";"], [";", "&&", "||"], [";"]]
    pipe = seq.items[2].items[0][1]
    assert isinstance(pipe, Pipeline) and len(pipe.commands) == 3
    assert first("! true").negate


def test_compound_commands() -> None:
    loop = first("for u in $(xe host-list --minimal); do echo $u; done").commands[0]
    assert isinstance(loop, For) and loop.name == "u" and loop.words[0] == [("cmd", "xe host-list --minimal")]
    w = first("while read -r x; do echo \"$x\"; done < /etc/hosts").commands[0]
    assert isinstance(w, While) and not w.until and w.redirs[0].op == "<"
    i = first("if a; then b; elif c; then d; else e; fi").commands[0]
    assert isinstance(i, If) and len(i.branches) == 2 and i.otherwise is not None
    assert first("for do in a; do echo; done").commands[0].name == "do"
    quoted_kw = first("echo 'done' \"fi\"").commands[0]
    assert isinstance(quoted_kw, Simple) and len(quoted_kw.words) == 3


def test_expansions_keep_their_quoting() -> None:
    (w,) = tokenize('"rc=$?"')
    assert w == [("lit", "rc="), ("qvar", "?")]
    (w,) = tokenize("$(echo a b)x")
    assert w == [("cmd", "echo a b"), ("lit", "x")]
    (w,) = tokenize('`hostname`')
    assert w == [("cmd", "hostname")]
    (w,) = tokenize("'$HOME'")
    assert w == [("lit", "$HOME")]


def test_redirections_with_descriptors() -> None:
    toks = tokenize("cmd 2>/dev/null >>out 2>&1 3<>/dev/tcp/h/443 2 > x")
    redirs = [(t.fd, t.op) for t in toks if isinstance(t, Redir)]
    assert redirs == [(2, ">"), (None, ">>"), (2, ">&"), (3, "<>"), (None, ">")]  # "2 >" is the word 2, then >


@pytest.mark.parametrize(("line", "message"), [
    ("case x in x) ;; esac", "case"),
    ("a &", "background"),
    ("cat <<EOF", "here-documents"),
    ("echo $((1))", "arithmetic"),
    ("f() { a; }", "functions"),
    ("a <(b)", "process substitution"),
    ("for ((i=0;;)); do a; done", "arithmetic"),
    ("do", "unexpected token `do'"),
    ("if a; then b", "unexpected end of file"),
    ("echo 'x", "matching"),
    ("a | ", "unexpected end of file"),
    ("echo ${x:-y}", "${NAME}"),
])
def test_unsupported_or_broken_lines_are_named(line: str, message: str) -> None:
    with pytest.raises(ShellSyntaxError, match=None) as e:
        parse(line)
    assert message in str(e.value)
