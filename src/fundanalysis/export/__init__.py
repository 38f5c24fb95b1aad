"""Files for people and programs: formula-safe cells, summary.json, chart files, workbooks."""
