"""The domain, with neither Redis nor Lean: theorems and attempts, verdicts, the screen,
job specs and budgets, search records and the search's pure transition."""
