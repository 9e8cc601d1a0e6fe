"""The script `athena-bot serve web` hands to `streamlit run` (a folder of its own: Streamlit puts
the script's folder on sys.path)."""
