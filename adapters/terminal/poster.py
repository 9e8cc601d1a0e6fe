"""ReplyPoster that prints answers to a stream and writes their charts to a folder."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

from adapters.terminal.render import render_text
from engine.domain import Answer, ReplyTarget


def chart_file_name(target: ReplyTarget, answer: Answer) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", answer.question.lower()).strip("-")[:60] or "chart"
    thread = re.sub(r"[^A-Za-z0-9]+", "-", target.thread or target.channel)
    return f"{thread}-{slug}.png"


class ConsolePoster:
    """Prints each answer; the chart goes to ``charts_dir`` and its path is printed."""

    def __init__(self, charts_dir: Path | None, stream: TextIO | None = None) -> None:
        self.charts_dir = charts_dir
        self.stream = stream or sys.stdout
        self.posted: list[tuple[ReplyTarget, Answer]] = []

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        chart_path = None
        if answer.chart_png and self.charts_dir is not None:
            self.charts_dir.mkdir(parents=True, exist_ok=True)
            path = self.charts_dir / chart_file_name(target, answer)
            path.write_bytes(answer.chart_png)
            chart_path = str(path)
        self.posted.append((target, answer))
        heading = f"[{target.channel}{' / ' + target.thread if target.thread else ''}] Q: {answer.question}"
        self.stream.write(f"{heading}\n{render_text(answer, chart_path)}\n\n")
        self.stream.flush()
