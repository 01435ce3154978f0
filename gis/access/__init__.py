"""Who may see and do what: callers, API keys, masking of personal data, the one
jurisdiction rule."""
