"""Per-route flags, rollout plans, the guard, the dashboard: who serves which route, and when."""
