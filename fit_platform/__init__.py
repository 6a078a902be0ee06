"""fit_platform: feedback-informed treatment for Norwegian mental health services."""
