"""The autograder: exercise generation from solutions, sandboxed execution, scoring, reports."""
