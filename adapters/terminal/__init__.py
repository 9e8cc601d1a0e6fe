"""Terminal adapter: renders Answers as text and JSON for the command line and the demo."""
