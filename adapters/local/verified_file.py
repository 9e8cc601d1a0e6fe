"""VerifiedStore in a YAML file beside the semantic model (``sample.verified.yaml`` next to
``sample.yaml``), so a data team can review and commit its verified questions with the model.

Reads are cached on the file's modification time and size; writes take an exclusive lock on a
``.lock`` file beside it, read the file again, change it and replace it atomically, so the CLI and
a running worker can both write.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from engine.answers.verified import VerifiedFormatError, VerifiedQuestion

HEADER = ("# Verified questions: answers a data steward approved. The bot answers questions that mean the\n"
          "# same from these (athena-bot verified list|add|remove; Mark as verified in Slack).\n")


class _Dumper(yaml.SafeDumper):
    """SQL written as a block (``|``), as a person would, instead of one quoted line."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def beside_model(model_path: Path) -> Path:
    """Where a model's verified questions live: ``<model stem>.verified.yaml`` in its folder."""
    return model_path.with_name(f"{model_path.stem}.verified.yaml")


class VerifiedFile:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._items: list[VerifiedQuestion] = []

    def all(self) -> list[VerifiedQuestion]:
        """The file's questions (the same list while the file is unchanged); VerifiedFormatError
        when it cannot be read."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            if self._stamp is not None:
                self._stamp, self._items = None, []
            return self._items
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._items = self._read()
            self._stamp = stamp
        return self._items

    def put(self, item: VerifiedQuestion) -> None:
        self._change(lambda items: [*(i for i in items if i.id != item.id), item])

    def remove(self, item_id: str) -> bool:
        found: list[bool] = []

        def drop(items: list[VerifiedQuestion]) -> list[VerifiedQuestion]:
            kept = [i for i in items if i.id != item_id]
            found.append(len(kept) != len(items))
            return kept

        self._change(drop)
        return found[0]

    def _read(self) -> list[VerifiedQuestion]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise VerifiedFormatError(f"{self.path} cannot be read: {err}") from err
        entries = data.get("verified") if isinstance(data, dict) else None
        if entries is None:
            return []
        if not isinstance(entries, list):
            raise VerifiedFormatError(f"{self.path}: 'verified' must be a list of questions")
        try:
            return [VerifiedQuestion.from_dict(e) for e in entries]
        except VerifiedFormatError as err:
            raise VerifiedFormatError(f"{self.path}: {err}") from err

    def _change(self, change: Callable[[list[VerifiedQuestion]], list[VerifiedQuestion]]) -> None:
        with self._locked():
            items = change(self._read() if self.path.exists() else [])
            text = HEADER + yaml.dump({"verified": [i.to_dict() for i in items]}, Dumper=_Dumper,
                                      sort_keys=False, allow_unicode=True, width=100)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
            self._stamp = None  # read again on the next all()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
