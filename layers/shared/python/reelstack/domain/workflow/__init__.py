"""Workflow executions as operators read them (pure: Step Functions history events in, plain data out)."""
