"""The signed-in user's own pages (notifications, display settings)."""
