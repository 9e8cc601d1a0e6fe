"""What an answer looks like in Slack and in Teams, for the README: `make screenshots`.

A real answer from the sample lake is rendered by the real adapters (adapters/slack/blocks.py,
adapters/teams/cards.py), the resulting Block Kit blocks and Adaptive Card are mapped to simple
HTML in each client's look (a small renderer of the block and element types the bot uses), and
headless Chromium captures each page at 2x. Writes docs/images/slack-answer.png and
docs/images/teams-answer.png (kept in git: the README shows them).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from adapters.slack.blocks import answer_blocks
from adapters.teams.cards import answer_card
from bot.bootstrap import build_local, ensure_sample_lake
from bot.settings import Settings
from engine.domain import LOCAL_ANALYST, Answer

AS_OF = dt.date(2025, 12, 31)
# thumbs drawn as SVG (the machine that captures may have no emoji font)
_THUMB = ("<svg width='16' height='16' viewBox='0 0 24 24' style='vertical-align:-3px{flip}'>"
          "<rect x='2' y='10' width='4' height='11' rx='1' fill='#616061'/><path d='M8 10 L12 3 C13 2 15 3 14.5 5 "
          "L13.5 9 H20 C21.2 9 22 10 21.7 11.2 L19.8 19 C19.5 20.2 18.6 21 17.4 21 H8 Z' fill='#616061'/></svg>")
UP, DOWN = _THUMB.format(flip=""), _THUMB.format(flip=";transform:rotate(180deg)")
QUESTION = "revenue by category this year"
OUT = Path("docs/images")


# -- Slack ------------------------------------------------------------------------------------
def _mrkdwn(text: str) -> str:
    """Slack mrkdwn (already escaped by the bot) as HTML: code fences, bold, emoji names."""
    text = html.unescape(text)
    out = html.escape(text)
    out = re.sub(r"```(.*?)```", r"<pre>\1</pre>", out, flags=re.S)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    out = out.replace(":thinking_face:", "🤔").replace(":+1:", UP).replace(":-1:", DOWN)
    return out.replace("\n", "<br>")


def _cell(cell: dict[str, Any]) -> str:
    if cell["type"] == "raw_text":
        return html.escape(cell["text"])
    return "".join(f"<b>{html.escape(e['text'])}</b>" if (e.get("style") or {}).get("bold") else html.escape(e["text"])
                   for s in cell["elements"] for e in s["elements"])


def slack_html(blocks: list[dict[str, Any]], chart_png: bytes | None) -> str:
    parts = []
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            parts.append(f"<div class='header'>{html.escape(block['text']['text'])}</div>")
        elif kind == "section":
            parts.append(f"<div class='section'>{_mrkdwn(block['text']['text'])}</div>")
        elif kind == "table":
            align = [s.get("align", "left") for s in block.get("column_settings") or []]
            rows = []
            for r, row in enumerate(block["rows"]):
                tag = "th" if r == 0 else "td"
                rows.append("<tr>" + "".join(f"<{tag} style='text-align:{align[i] if i < len(align) else 'left'}'>"
                                             f"{_cell(c)}</{tag}>" for i, c in enumerate(row)) + "</tr>")
            parts.append(f"<table>{''.join(rows)}</table>")
        elif kind == "image" and chart_png:
            data = base64.b64encode(chart_png).decode()
            parts.append(f"<div class='image'><img src='data:image/png;base64,{data}'></div>")
        elif kind == "context":
            parts.append("<div class='context'>" + " ".join(_mrkdwn(e["text"]) for e in block["elements"]) + "</div>")
        elif kind == "actions":
            buttons = "".join(f"<span class='button'>{_mrkdwn(e['text']['text'])}</span>" for e in block["elements"]
                              if e["type"] == "button")
            parts.append(f"<div class='actions'>{buttons}</div>")
        elif kind == "context_actions":
            parts.append(f"<div class='feedback'><span>{UP}</span><span>{DOWN}</span></div>")
    return f"""<!doctype html><html><head><meta charset='utf-8'><style>
body {{ margin: 0; background: #fff; font-family: 'Lato', 'DejaVu Sans', sans-serif; color: #1d1c1d; }}
.pane {{ width: 660px; border-left: 1px solid #e8e8e8; }}
.bar {{ padding: 14px 20px; border-bottom: 1px solid #e8e8e8; font-weight: 900; font-size: 18px; }}
.bar small {{ font-weight: 400; color: #616061; font-size: 13px; margin-left: 6px; }}
.msg {{ display: flex; gap: 10px; padding: 14px 20px 18px; }}
.user .avatar {{ background: #e8912d; }}
.avatar {{ width: 36px; height: 36px; border-radius: 6px; background: #2f6fde; color: #fff; font-weight: 900;
          display: flex; align-items: center; justify-content: center; flex: none; font-size: 17px; }}
.who {{ font-weight: 900; font-size: 15px; }} .who .app {{ font-size: 10px; font-weight: 700; color: #616061;
       background: #e8e8e8; border-radius: 3px; padding: 1px 4px; margin-left: 4px; vertical-align: 2px; }}
.who .time {{ font-weight: 400; color: #616061; font-size: 12px; margin-left: 6px; }}
.body {{ flex: 1; min-width: 0; font-size: 15px; line-height: 1.46; }}
.header {{ font-size: 22px; font-weight: 900; margin: 4px 0 2px; }}
.section {{ margin: 4px 0 8px; }}
table {{ border-collapse: separate; border-spacing: 0; border: 1px solid #dddddd; border-radius: 8px;
         margin: 6px 0 10px; font-size: 14px; overflow: hidden; }}
th, td {{ padding: 7px 14px; border-bottom: 1px solid #e8e8e8; white-space: nowrap; }}
th {{ background: #f8f8f8; }} tr:last-child td {{ border-bottom: 0; }}
.image img {{ width: 560px; border: 1px solid #e8e8e8; border-radius: 8px; display: block; margin: 4px 0 10px; }}
.context {{ color: #616061; font-size: 13px; margin: 2px 0 8px; }}
.actions {{ display: flex; gap: 8px; flex-wrap: wrap; margin-top: 6px; }}
.button {{ border: 1px solid #c6c6c6; border-radius: 6px; padding: 5px 12px; font-weight: 700; font-size: 14px; }}
.feedback {{ display: flex; gap: 6px; margin-top: 8px; }}
.feedback span {{ border: 1px solid #dddddd; border-radius: 14px; padding: 2px 10px; font-size: 14px; }}
.q {{ font-size: 15px; }}
</style></head><body><div class='pane'>
<div class='bar'>Thread <small>#analytics</small></div>
<div class='msg user'><div class='avatar'>A</div><div class='body'><div class='who'>Ana Costa
<span class='time'>10:41 AM</span></div><div class='q'><span style='color:#1264a3;background:#e8f5fa'>@athena-query-bot</span>
{html.escape(QUESTION)}</div></div></div>
<div class='msg'><div class='avatar'>A</div><div class='body'><div class='who'>Athena Query Bot<span class='app'>APP</span>
<span class='time'>10:41 AM</span></div>{''.join(parts)}</div></div>
</div></body></html>"""


# -- Teams ------------------------------------------------------------------------------------
def _runs(block: dict[str, Any]) -> str:
    out = []
    for run in block.get("inlines", []):
        style = []
        if run.get("weight") == "Bolder":
            style.append("font-weight:700")
        if run.get("size") == "ExtraLarge":
            style.append("font-size:26px")
        if run.get("size") == "Small":
            style.append("font-size:12px")
        if run.get("isSubtle"):
            style.append("color:#616161")
        out.append(f"<span style='{';'.join(style)}'>{html.escape(run['text'])}</span>")
    return "".join(out)


def teams_html(card: dict[str, Any], chart_png: bytes | None) -> str:
    parts = []
    for block in card["body"]:
        if block["type"] == "RichTextBlock":
            parts.append(f"<div class='text'>{_runs(block)}</div>")
        elif block["type"] == "Table":
            widths = [c.get("width", 1) for c in block["columns"]]
            total = sum(widths)
            cols = "".join(f"<col style='width:{w / total:.0%}'>" for w in widths)
            rows = []
            for r, row in enumerate(block["rows"]):
                cls = " class='head'" if r == 0 else ""
                cells = []
                for c in row["cells"]:
                    item = c["items"][0]
                    align = item.get("horizontalAlignment", "Left").lower()
                    cells.append(f"<td style='text-align:{align}'>{_runs(item)}</td>")
                rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
            parts.append(f"<table><colgroup>{cols}</colgroup>{''.join(rows)}</table>")
        elif block["type"] == "Image" and chart_png:
            data = base64.b64encode(chart_png).decode()
            parts.append(f"<img class='chart' src='data:image/png;base64,{data}'>")
    icons = {"👍": UP, "👎": DOWN}
    buttons = "".join(f"<span class='button'>{icons.get(a['title'], html.escape(a['title']))}</span>"
                      for a in card.get("actions", []))
    return f"""<!doctype html><html><head><meta charset='utf-8'><style>
body {{ margin: 0; background: #f5f5f5; font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; color: #242424; }}
.chat {{ width: 780px; padding: 18px 22px 22px; }}
.me {{ display: flex; justify-content: flex-end; margin-bottom: 14px; }}
.me div {{ background: #e8ebfa; border-radius: 6px; padding: 8px 12px; font-size: 14px; }}
.row {{ display: flex; gap: 10px; }}
.avatar {{ width: 32px; height: 32px; border-radius: 50%; background: #2f6fde; color: #fff; font-weight: 700;
          display: flex; align-items: center; justify-content: center; flex: none; }}
.meta {{ font-size: 12px; color: #616161; margin-bottom: 4px; }} .meta b {{ color: #242424; font-weight: 600; }}
.card {{ background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14); padding: 16px 18px; flex: 1; }}
.text {{ font-size: 14px; line-height: 1.45; margin-bottom: 8px; }}
table {{ width: 100%; border-collapse: collapse; font-size: 13.5px; margin: 6px 0 12px; table-layout: fixed; }}
td {{ padding: 6px 10px; border-bottom: 1px solid #ebebeb; }}
tr.head td {{ background: #ebebf5; border-bottom: 0; }}
.chart {{ width: 100%; display: block; margin: 4px 0 12px; }}
.actions {{ display: flex; gap: 8px; flex-wrap: wrap; margin-top: 4px; }}
.button {{ border: 1px solid #d1d1d1; border-radius: 4px; padding: 5px 12px; font-size: 14px; font-weight: 600; }}
</style></head><body><div class='chat'>
<div class='me'><div>{html.escape(QUESTION)}</div></div>
<div class='row'><div class='avatar'>A</div><div style='flex:1'><div class='meta'><b>Athena Query Bot</b> 10:41 AM</div>
<div class='card'>{''.join(parts)}<div class='actions'>{buttons}</div></div></div></div>
</div></body></html>"""


# -- capture ----------------------------------------------------------------------------------
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("screenshots need Chromium: `make browser` installs Debian's chromium (as root with apt)")


def capture(page: str, out: Path, width: int, height: int = 2400) -> None:
    """Headless Chromium at 2x, then the white (or background) margin below the content cut."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "page.html"
        source.write_text(page)
        shot = Path(tmp) / "shot.png"
        subprocess.run([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--force-device-scale-factor=2", f"--window-size={width},{height}",
                        f"--screenshot={shot}", source.as_uri()], check=True, capture_output=True, timeout=120)
        image = Image.open(shot).convert("RGB")
    background = image.getpixel((image.width - 1, image.height - 1))
    rows = [y for y in range(image.height) if any(image.getpixel((x, y)) != background
                                                   for x in range(0, image.width, 4))]
    bottom = min(image.height, (rows[-1] if rows else image.height) + 40)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.crop((0, 0, image.width, bottom)).save(out, optimize=True)


def answer_for(question: str) -> tuple[Answer, Any]:
    settings = Settings.from_env()
    ensure_sample_lake(settings)
    app = build_local(settings)
    answer = app.engine.ask(question, LOCAL_ANALYST, AS_OF)
    if answer.status != "answered":
        raise SystemExit(f"{question!r}: {answer.message}")
    return answer, app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args(argv)
    answer, _ = answer_for(args.question)
    blocks = [b.to_dict() for b in answer_blocks(answer, "key", chart_file="F0CHART", feedback_buttons=False)]
    capture(slack_html(blocks, answer.chart_png), args.out / "slack-answer.png", 660)
    card = answer_card(answer, "key", chart_url="https://bot.example.com/charts/c.png?sig=x")
    capture(teams_html(card, answer.chart_png), args.out / "teams-answer.png", 824)
    print(f"wrote {args.out / 'slack-answer.png'} and {args.out / 'teams-answer.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
