"""Oversight reports computed from the signed audit log (issue: what the provincial plans ask
agencies to report periodically): ``history`` replays entries into per-item facts, ``figures``
computes a period's figures with the entries behind each, ``source`` reads an export or the
database, ``exports`` writes CSV, XLSX and the administrative-report PDF, ``charts`` draws SVG."""
