"""The web chat page, as Streamlit runs it: wiring from the environment, then the page."""

from bot.web import run_page

run_page()
