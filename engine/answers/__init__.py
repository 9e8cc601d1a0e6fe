"""What happens to answers after they are given: verified questions, feedback, the records the
buttons under an answer act on, and its QuickSight dashboard."""
