"""The weekly revenue review: built from the dashboard facts, rendered as HTML, PDF and email."""
