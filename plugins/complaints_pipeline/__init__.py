"""Complaint analytics pipeline: ingestion, quality, warehouse and alerting logic.

DAG files under ``dags/`` only wire the functions of this package into tasks.
"""
