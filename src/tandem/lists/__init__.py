"""Lists: contacts, accounts, deals and leads sorted, filtered, saved as views, exported and
changed in bulk, by one machinery."""
