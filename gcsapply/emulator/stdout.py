"""The stdout model: what a job prints, and whether it fails. Commands are NEVER executed.

* A command splits on unquoted ``;``, ``&&``, ``||``, ``&`` and newlines into simple pipelines.
* ``echo ARGS`` -- alone or piped only into ``tee ...`` -- prints its shell-unquoted ARGS joined by
  one space and a newline (``-n`` drops the newline; ``-e``/``-E`` are accepted and ignored).
  An echo whose stdout is redirected (``> file``) prints nothing. Nothing else prints.
* A job fails iff its whole command is ``exit N`` with N >= 1.
"""

from __future__ import annotations

import re

_EXIT = re.compile(r"^exit\s+([0-9]+)\s*;?$")
_SEPARATORS = {";", "&&", "||", "&", "\n"}
_STDOUT_REDIRECTS = {">", ">>", "1>", "1>>", ">|", "&>", "&>>", ">&"}


def job_fails(command: str) -> bool:
    """True iff the whole command is ``exit N`` with N >= 1."""
    return exit_code(command) >= 1


def exit_code(command: str) -> int:
    """N when the whole command is ``exit N``, else 0 (the model's jobs succeed)."""
    match = _EXIT.match(command.strip())
    return int(match.group(1)) if match else 0


def job_stdout(command: str) -> str:
    """What the command prints on stdout under the model."""
    return "".join(_pipeline_stdout(p) for p in _pipelines(_tokens(command)))


def _pipeline_stdout(pipeline: list[list[tuple[str, bool]]]) -> str:
    if not pipeline or not pipeline[0]:
        return ""
    first, rest = pipeline[0], pipeline[1:]
    if first[0] != ("echo", False) or any(not cmd or cmd[0] != ("tee", False) for cmd in rest):
        return ""
    words, skip = [], False
    for text, is_operator in first[1:]:
        if is_operator:
            if text in _STDOUT_REDIRECTS:
                return ""
            skip = True  # the next word is the redirect's target (2>/dev/null, < in)
        elif skip:
            skip = False
        else:
            words.append(text)
    newline = True
    while words and re.fullmatch(r"-[neE]+", words[0]):
        newline = newline and "n" not in words[0]
        words.pop(0)
    return " ".join(words) + ("\n" if newline else "")


def _pipelines(tokens: list[tuple[str, bool]]) -> list[list[list[tuple[str, bool]]]]:
    """Split tokens into pipelines (on separators) of commands (on ``|``)."""
    pipelines, commands, current = [], [], []
    for text, is_operator in tokens + [("\n", True)]:
        if is_operator and text in _SEPARATORS:
            commands.append(current)
            pipelines.append(commands)
            commands, current = [], []
        elif is_operator and text == "|":
            commands.append(current)
            current = []
        else:
            current.append((text, is_operator))
    return [p for p in pipelines if any(p)]


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Shell words (unquoted) and operators, as ``(text, is_operator)``.

    A quoted ``";"`` is a word. Command substitutions are kept verbatim inside words.
    """
    tokens: list[tuple[str, bool]] = []
    word: list[str] = []
    in_word = quoted = False
    i, n = 0, len(text)

    def flush():
        nonlocal word, in_word, quoted
        if in_word:
            tokens.append(("".join(word), False))
        word, in_word, quoted = [], False, False

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            if text[i + 1] == "\n":  # line continuation
                i += 2
                continue
            word.append(text[i + 1])
            in_word = quoted = True
            i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            word.append(text[i + 1:end])
            in_word = quoted = True
            i = end + 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                    if text[i + 1] != "\n":
                        word.append(text[i + 1])
                    i += 2
                else:
                    word.append(text[i])
                    i += 1
            in_word = quoted = True
            i += 1
        elif c in "`" or text.startswith("$(", i):
            end = _matching_end(text, i)
            word.append(text[i:end])
            in_word = True
            i = end
        elif c == "#" and not in_word:
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in " \t\r":
            flush()
            i += 1
        elif c in ";&|<>\n":
            op = _operator_at(text, i)
            if op in {">", ">>", "<"} and word and "".join(word).isdigit() and not quoted:
                op = "".join(word) + op  # 2> / 1>> : fd prefix
                word, in_word = [], False
            flush()
            tokens.append((op, True))
            i += len(_operator_at(text, i))
        else:
            word.append(c)
            in_word = True
            i += 1
    flush()
    return tokens


def _operator_at(text: str, i: int) -> str:
    for op in ("&&", "||", ">>", "&>>", ">&", "&>", ">|"):
        if text.startswith(op, i):
            return op
    return text[i]


def _matching_end(text: str, i: int) -> int:
    """End index (exclusive) of a backtick or ``$(...)`` substitution starting at ``i``."""
    if text[i] == "`":
        end = text.find("`", i + 1)
        return len(text) if end < 0 else end + 1
    depth, j = 0, i + 1
    while j < len(text):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return len(text)
