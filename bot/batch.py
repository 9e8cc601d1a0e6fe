"""`athena-bot ask --format jsonl -`: one JSON record per request line, whatever a line holds.

The contract (README's command table): each non-blank stdin line is a JSON object
``{"question": str, "as_of": str|null, "conversation": str|null}``; each gets exactly one output
line ``{"status", "question", "sql", "columns", "rows", "message"}``, in order.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import traceback
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from adapters.terminal.render import answer_record
from bot.bootstrap import LocalApp
from engine.domain import Answer, Principal
from engine.errors import Refused
from engine.service import failure_answer

MAX_LINE_BYTES = 64 * 1024  # a request line; a longer one is read past and answered with an error


def answer_lines(app: LocalApp, principal: Principal | Refused, stdin: BinaryIO, stdout: TextIO,
                 default_as_of: dt.date | None) -> int:
    """The jsonl batch: one JSON record per non-blank input line, in order, whatever the line holds.

    Nothing on a line ends the batch: a line that is not a request (bad JSON or UTF-8, wrong
    types, too long, nested too deep) is an ``error`` record naming the problem, and so is a
    failure of the engine itself (logged to stderr). Returns the number of records written.
    """
    written = 0
    for number, line in enumerate(_read_lines(stdin, MAX_LINE_BYTES), start=1):
        if isinstance(line, bytes) and not line.strip():
            continue
        record = _line_record(app, principal, line, number, default_as_of)
        try:
            text = json.dumps(record, allow_nan=False)
        except (TypeError, ValueError) as err:  # a value JSON cannot hold: say so, keep the line
            text = json.dumps(answer_record(Answer(status="error", question=str(record.get("question"))[:200],
                                                   message=f"Line {number}: the answer could not be written "
                                                           f"as JSON ({err}).")))
        stdout.write(text + "\n")
        stdout.flush()
        written += 1
    return written


def _read_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | int]:
    """The stream's lines as bytes; a line longer than ``limit`` is read past and given as its size."""
    while True:
        line = stream.readline(limit + 1)  # +1: the newline of a line of exactly ``limit`` bytes
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while line and not line.endswith(b"\n"):
            line = stream.readline(limit)
            size += len(line)
        yield size


def _line_record(app: LocalApp, principal: Principal | Refused, line: bytes | int, number: int,
                 default_as_of: dt.date | None) -> dict:
    if isinstance(line, int):
        return _error_record("", f"Line {number} is {line:,} bytes long; a request line holds at most "
                                 f"{MAX_LINE_BYTES:,} bytes.")
    try:
        question, as_of, conversation = _request(line, number, default_as_of)
    except _BadLine as err:
        return _error_record(line.decode("utf-8", "replace").strip()[:200], str(err))
    if isinstance(principal, Refused):
        return answer_record(failure_answer(question, principal))
    try:
        return answer_record(app.engine.ask(question, principal, as_of, conversation_id=conversation,
                                            charts=False))
    except Exception as err:  # noqa: BLE001 - one line's failure must not end the batch
        print(f"athena-bot: line {number}: internal error", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return _error_record(question, f"Line {number} could not be answered: an internal error "
                                       f"({type(err).__name__}). The batch goes on.")


class _BadLine(ValueError):
    """A jsonl line that is not a usable request; the message names the line and the problem."""


def _request(line: bytes, number: int, default_as_of: dt.date | None) -> tuple[str, dt.date | None, str | None]:
    """(question, as_of, conversation id) from one jsonl line, or _BadLine saying what is wrong."""
    where = f"Line {number}"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _BadLine(f"{where} is not valid UTF-8 (byte 0x{line[err.start]:02x} at position {err.start}).") from None
    if number == 1:
        text = text.removeprefix("\ufeff")  # a byte order mark some editors and shells write
    try:
        request = json.loads(text)
    except RecursionError:
        raise _BadLine(f"{where} is nested too deeply to be a request.") from None
    except ValueError as err:
        raise _BadLine(f"{where} is not valid JSON ({err}).") from None
    if not isinstance(request, dict):
        raise _BadLine(f"{where} is not a request: expected a JSON object with a string \"question\", "
                       f"got {_json_type(request)}.")
    question = request.get("question")
    if not isinstance(question, str):
        raise _BadLine(f"{where}: \"question\" must be a string, not {_json_type(question)}.")
    as_of = request.get("as_of")
    if as_of is not None and not isinstance(as_of, str):
        raise _BadLine(f"{where}: \"as_of\" must be a YYYY-MM-DD string or null, not {_json_type(as_of)}.")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else default_as_of
    except ValueError:
        raise _BadLine(f"{where}: \"as_of\" must be a YYYY-MM-DD date, not {as_of[:40]!r}.") from None
    conversation = request.get("conversation")
    if conversation is not None and (isinstance(conversation, bool) or not isinstance(conversation, (str, int))):
        raise _BadLine(f"{where}: \"conversation\" must be a string or null, not {_json_type(conversation)}.")
    return question, day, str(conversation) if conversation not in (None, "") else None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _error_record(question: str, message: str) -> dict:
    return answer_record(Answer(status="error", question=question, message=message))
