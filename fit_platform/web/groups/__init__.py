"""Staff pages for groups in a day programme (docs/groups.md)."""
