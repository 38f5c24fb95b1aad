"""Reviewing a year's 项目支出绩效自评表 as they are filed: read, re-score, flag, rank (docs/review.md)."""
