"""Developer tools: the demo, the accuracy eval and a local Home Assistant (scripts/demo, eval, develop)."""
