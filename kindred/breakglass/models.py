"""Break-glass grants: emergency access to one client's record (models in the next commit)."""
