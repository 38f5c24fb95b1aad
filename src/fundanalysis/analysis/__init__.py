"""Numbers from validated tables: metrics, reconciliation of stated totals, the summary, and the
standard self-evaluation form's targets and scores. Results are numbers and codes, never words."""
