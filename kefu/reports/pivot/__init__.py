"""Pivot (OLAP-style) reports: the whitelist (fields), the engine, drill-down and charts."""
