"""Grafana dashboards of vendor-errors as code (grafana-foundation-sdk), generated into the
committed JSON beside this file by `python dashboards/generate.py`; Prometheus rules in rules/."""
